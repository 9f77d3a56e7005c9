#include "harness.h"

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "backends/local/names.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/process.h"

namespace wpfleet::testing {

TempDir::TempDir() {
  std::string pattern = "/tmp/wpfleet-test-XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms(0711));
}

TempDir::~TempDir() {
  if (std::getenv("WPFLEET_KEEP_TEST_DIRS")) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

CliResult run_wpfleet(const std::vector<std::string>& args, const std::string& cwd,
                      std::optional<uid_t> as_uid) {
  CommandSpec spec;
  if (as_uid) spec.run_as = RunAs{*as_uid, *as_uid};
  spec.argv.push_back(WPFLEET_BINARY);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  if (!cwd.empty()) spec.cwd = cwd;
  spec.timeout = std::chrono::minutes(10);
  auto output = run_command(spec);
  if (!output) throw std::runtime_error(output.error().message);
  return CliResult{output->exit_code, output->out, output->err};
}

HttpResponse http_get(const std::string& host, std::uint16_t port, const std::string& path) {
  HttpRequest request;
  request.url = "http://" + host + ":" + std::to_string(port) + path;
  request.connect_to = "127.0.0.1";
  request.timeout = std::chrono::seconds(30);
  auto reply = http_request(request);
  if (!reply) return HttpResponse{};
  return HttpResponse{reply->status, reply->body, reply->headers};
}

std::string test_fleet(std::uint16_t port, const std::vector<std::string>& tenants,
                       const std::vector<std::string>& sit_tenants) {
  const std::string listen = "\"127.0.0.1:" + std::to_string(port) + "\"";
  std::string text =
      "[environments.dev]\nbackend = \"local\"\ndomain = \"{tenant}.wpdev.localhost\"\n"
      "listen = " + listen + "\n\n"
      "[environments.sit]\nbackend = \"local\"\ndomain = \"{tenant}.wpsit.localhost\"\n"
      "listen = " + listen + "\n";
  for (const auto& id : tenants) {
    bool in_sit = false;
    for (const auto& s : sit_tenants) in_sit = in_sit || s == id;
    text += "\n[[tenants]]\nid = \"" + id + "\"\ntitle = \"Site of " + id +
            "\"\nadmin_email = \"admin@" + id + ".example\"\nenvironments = [\"dev\"" +
            (in_sit ? ", \"sit\"" : "") + "]\n";
  }
  return text;
}

void destroy_fleet(const std::filesystem::path& fleet_file, std::optional<uid_t> as_uid) {
  auto text = read_file(fleet_file);
  if (!text) return;
  const auto tenants = text->find("[[tenants]]");
  if (tenants != std::string::npos) {
    if (!write_file_atomic(fleet_file, text->substr(0, tenants)).ok()) return;
  }
  run_wpfleet({"-f", fleet_file.string(), "apply", "--prune", "--yes", "--approve"}, "", as_uid);
  run_wpfleet({"-f", fleet_file.string(), "down"}, "", as_uid);
}

TempDir* FleetSuite::dir_ = nullptr;

void FleetSuite::start_fleet(const std::string& fleet_text) {
  dir_ = new TempDir();
  ASSERT_TRUE(write_file_atomic(fleet(), fleet_text).ok());
  CliResult up = wpfleet({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
}

void FleetSuite::TearDownTestSuite() {
  destroy_fleet(fleet());
  delete dir_;
  dir_ = nullptr;
}

std::filesystem::path FleetSuite::fleet() { return dir_->path() / "fleet.toml"; }
std::filesystem::path FleetSuite::state() { return dir_->path() / ".wpfleet"; }

CliResult FleetSuite::wpfleet(std::vector<std::string> args) {
  args.insert(args.begin(), {"-f", fleet().string()});
  return run_wpfleet(args);
}

std::string FleetSuite::secret(const std::vector<std::string>& args) {
  std::vector<std::string> full = {"secret", "get"};
  full.insert(full.end(), args.begin(), args.end());
  CliResult got = wpfleet(full);
  EXPECT_EQ(got.exit_code, 0) << got.err;
  return got.out.substr(0, got.out.find('\n'));
}

std::string content_checksum(const std::filesystem::path& state, const std::string& env,
                             const std::string& tenant) {
  auto root = mariadb_root(state);
  if (!root) return "no server: " + root.error().message;
  const std::string db = env + "_" + tenant + "_db";
  std::string out;
  auto tables = (*root)->query("SELECT table_name FROM information_schema.tables WHERE "
                               "table_schema = '" + db + "' ORDER BY table_name");
  if (!tables) return "no tables: " + tables.error().message;
  for (const auto& row : *tables) {
    const std::string table = *row[0];
    const std::string sql =
        table == "wp_options"
            ? "SELECT GROUP_CONCAT(MD5(CONCAT(option_name, option_value)) ORDER BY option_name) "
              "FROM `" + db + "`.wp_options WHERE option_name NOT LIKE '%transient%' AND "
              "option_name NOT IN ('cron', 'doing_cron')"
            : "CHECKSUM TABLE `" + db + "`.`" + table + "`";
    auto sum = (*root)->query(sql);
    out += table + ":" + (sum && !sum->empty() ? sum->at(0).back().value_or("") : "?") + "\n";
  }
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(state / "sites" / env / tenant / "wp-content")) {
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    out += entry.path().string() + ":" + std::to_string(entry.file_size()) + "\n";
  }
  return out;
}

TenantUser tenant_user(const std::filesystem::path& state, const std::string& env,
                       const std::string& tenant) {
  const std::string name = local::unix_user(StateLayout{state}, env, tenant);
  const passwd* entry = ::getpwnam(name.c_str());
  if (!entry) throw std::runtime_error("no Unix user " + name + " for " + env + "/" + tenant);
  return {entry->pw_uid, entry->pw_gid};
}

pid_t start_as(const TenantUser& user, const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(1, &user.gid) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0) {
      ::_exit(99);
    }
    ::_exit(body());
  }
  return pid;
}

int run_as(const TenantUser& user, const std::function<int()>& body) {
  const pid_t pid = start_as(user, body);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<std::unique_ptr<MysqlClient>> mariadb_root(const std::filesystem::path& state) {
  MysqlEndpoint root;
  root.socket = (state / "mariadb" / "mysqld.sock").string();
  root.user = "root";
  root.password = run_wpfleet({"--state-dir", state.string(), "secret", "get", "-e", "platform",
                               "mariadb-root-password"})
                      .out;
  root.password = root.password.substr(0, root.password.find('\n'));
  return MysqlClient::connect(root);
}

void OwnFleetTest::SetUp() { port_ = free_port(); }

void OwnFleetTest::TearDown() {
  if (std::filesystem::exists(state())) destroy_fleet(fleet());
}

void OwnFleetTest::write_fleet(const std::vector<std::string>& tenants,
                               const std::vector<std::string>& sit_tenants) {
  ASSERT_TRUE(write_file_atomic(fleet(), test_fleet(port_, tenants, sit_tenants)).ok());
}

CliResult OwnFleetTest::wpfleet(std::vector<std::string> args) const {
  args.insert(args.begin(), {"-f", fleet().string()});
  return run_wpfleet(args);
}

pid_t OwnFleetTest::start(std::vector<std::string> args, const std::filesystem::path& log) const {
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto pid = spawn_child(spec, log.string());
  EXPECT_TRUE(pid.ok());
  return pid ? *pid : -1;
}

int OwnFleetTest::wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string OwnFleetTest::read_text(const std::filesystem::path& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

bool OwnFleetTest::answers(const std::string& host) const {
  return http_get(host, port_).status == 200;
}

bool eventually(double seconds, const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

}  // namespace wpfleet::testing
