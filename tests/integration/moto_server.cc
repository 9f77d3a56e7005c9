#include "moto_server.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "util/fs.h"
#include "util/http_client.h"
#include "util/process.h"

namespace wpfleet::testing {

namespace {

void check(const aws::ApiResult<pugi::xml_document>& result) {
  if (!result) throw std::runtime_error("moto setup: " + result.error().message);
}

}  // namespace

MotoServer::MotoServer(const std::map<std::string, std::string>& env) : port_(free_port()) {
  CommandSpec spec;
  spec.env = env;
  // ACM issues a DNS-validated certificate once it sees the record; moto, which sees no
  // DNS, after this many seconds (60 by default).
  spec.env.emplace("MOTO_ACM_VALIDATION_WAIT", "0");
  spec.argv = {"python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port_)};
  const std::string log = (dir_.path() / "moto.log").string();
  auto pid = spawn_child(spec, log);
  if (!pid) throw std::runtime_error("cannot start moto: " + pid.error().message);
  pid_ = *pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_alive(pid_)) break;
    HttpRequest probe;
    probe.url = endpoint() + "/moto-api/";
    if (http_request(probe)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto output = read_file(log);
  throw std::runtime_error("moto's server did not start on port " + std::to_string(port_) +
                           " (install it with scripts/install-deps): " + (output ? *output : ""));
}

MotoServer::~MotoServer() {
  if (pid_ <= 0) return;
  kill(-pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

std::string MotoServer::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

aws::ClientConfig MotoServer::client_config(const aws::Credentials& credentials) const {
  aws::ClientConfig config;
  config.credentials = credentials;
  config.credentials_source = "the test's IAM user";
  config.region = "us-east-1";
  config.endpoint_url = endpoint();
  return config;
}

void MotoServer::reset_auth(const std::string& unchecked_calls) {
  HttpRequest reset;
  reset.method = "POST";
  reset.url = endpoint() + "/moto-api/reset-auth";
  reset.body = unchecked_calls;
  reset.headers = {"Content-Type: text/plain"};  // moto reads the raw body, not a form
  if (auto reply = http_request(reset); !reply || reply->status != 200) {
    throw std::runtime_error("moto refused /moto-api/reset-auth");
  }
}

void MotoServer::check_signatures(bool on) { reset_auth(on ? "0" : "inf"); }

aws::Credentials MotoServer::enable_auth() {
  // The three IAM calls below are the last ones moto lets through unchecked.
  reset_auth("3");
  aws::Client iam(client_config({"AKIDUNCHECKED", "unchecked", ""}));
  const std::string user = "aws-client-test";
  check(iam.query(aws::kIam, "CreateUser", {{"UserName", user}}));
  check(iam.query(aws::kIam, "PutUserPolicy",
                  {{"UserName", user},
                   {"PolicyName", "everything"},
                   {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[)"
                                      R"({"Effect":"Allow","Action":"*","Resource":"*"}]})"}}));
  auto key = iam.query(aws::kIam, "CreateAccessKey", {{"UserName", user}});
  check(key);
  const pugi::xml_node access_key = key->select_node("//AccessKey").node();
  return {access_key.child_value("AccessKeyId"), access_key.child_value("SecretAccessKey"), ""};
}

}  // namespace wpfleet::testing
