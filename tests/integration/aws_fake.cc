#include "aws_fake.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include <pugixml.hpp>

#include "util/http_client.h"

namespace wpfleet::testing {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxHead = 1 << 20;
constexpr std::size_t kMaxBody = 64 << 20;

const std::string kRunTask = std::string(aws::kEcs.json_target) + ".RunTask";
const std::string kDescribeTasks = std::string(aws::kEcs.json_target) + ".DescribeTasks";
const std::string kCreateService = std::string(aws::kEcs.json_target) + ".CreateService";
const std::string kDeleteService = std::string(aws::kEcs.json_target) + ".DeleteService";
const std::string kListServices = std::string(aws::kEcs.json_target) + ".ListServices";
const std::string kUpdateService = std::string(aws::kEcs.json_target) + ".UpdateService";
const std::string kDescribeServices = std::string(aws::kEcs.json_target) + ".DescribeServices";

bool write_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool read_more(int fd, std::string& data) {
  char buffer[16384];
  const ssize_t got = read(fd, buffer, sizeof buffer);
  if (got <= 0) return false;
  data.append(buffer, static_cast<std::size_t>(got));
  return true;
}

std::string header_value(const std::string& line) {
  std::string value = line.substr(line.find(':') + 1);
  value.erase(0, value.find_first_not_of(" \t"));
  return value;
}

bool header_is(const std::string& line, std::string_view name) {
  return line.size() > name.size() && line[name.size()] == ':' &&
         strncasecmp(line.c_str(), name.data(), name.size()) == 0;
}

// The value of `key` in a form-encoded body ("" when absent); action names need no
// decoding.
std::string form_value(const std::string& body, const std::string& key) {
  std::istringstream pairs(body);
  std::string pair;
  while (std::getline(pairs, pair, '&')) {
    if (pair.rfind(key + "=", 0) == 0) return pair.substr(key.size() + 1);
  }
  return "";
}

std::string task_id(const std::string& task_arn) {
  return task_arn.substr(task_arn.rfind('/') + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> fields;
  std::istringstream parts(text);
  for (std::string field; std::getline(parts, field, separator);) fields.push_back(field);
  return fields;
}

// "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX" out of a secrets[].valueFrom,
// which may add ":<json-key>:<version-stage>:<version-id>"; "" when it names no secret.
std::string secret_arn(const std::string& value_from) {
  const std::vector<std::string> fields = split(value_from, ':');
  if (fields.size() < 7 || fields[0] != "arn" || fields[2] != "secretsmanager") return "";
  std::string arn = fields[0];
  for (std::size_t i = 1; i < 7; ++i) arn += ":" + fields[i];
  return arn;
}

// "a=1&b&c=%2F" -> {"a","1"}, {"b",""}, {"c","%2F"}: as sent, nothing decoded.
std::vector<std::pair<std::string, std::string>> query_pairs(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::istringstream parts(query);
  for (std::string part; std::getline(parts, part, '&');) {
    if (part.empty()) continue;
    const auto equals = part.find('=');
    pairs.emplace_back(part.substr(0, equals),
                       equals == std::string::npos ? "" : part.substr(equals + 1));
  }
  return pairs;
}

// The query parameters of query-string authentication, which the signature covers
// (X-Amz-Signature aside) but presign() adds itself.
const std::set<std::string> kQueryAuthParameters = {
    "X-Amz-Algorithm", "X-Amz-Credential",    "X-Amz-Date",     "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"};

bool has_header(const AwsProxy::Request& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const std::string& line) { return header_is(line, name); });
}

// Authenticated by its query (a presigned URL) rather than an Authorization header.
bool is_presigned(const AwsProxy::Request& request) {
  if (has_header(request, "Authorization")) return false;
  const auto query_at = request.target.find('?');
  if (query_at == std::string::npos) return false;
  for (const auto& [key, value] : query_pairs(request.target.substr(query_at + 1))) {
    if (key == "X-Amz-Signature") return true;
  }
  return false;
}

// The access key in a presigned request's X-Amz-Credential; "" without one.
std::string presigned_access_key(const AwsProxy::Request& request) {
  const auto query_at = request.target.find('?');
  if (query_at == std::string::npos) return "";
  for (const auto& [key, value] : query_pairs(request.target.substr(query_at + 1))) {
    if (key != "X-Amz-Credential") continue;
    const std::string credential = aws::uri_decode(value);
    return credential.substr(0, credential.find('/'));
  }
  return "";
}

// "20130524T000000Z"; nothing when it is not one.
std::optional<std::chrono::system_clock::time_point> amz_time(const std::string& date) {
  std::tm tm{};
  const char* end = strptime(date.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (date.size() != 16 || end == nullptr || *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// The request's headers the signature covers, by their names "host;x-amz-date".
std::vector<aws::Header> signed_headers(const std::vector<aws::Header>& headers,
                                        const std::string& names) {
  const std::vector<std::string> listed = split(names, ';');
  const std::set<std::string> wanted(listed.begin(), listed.end());
  std::vector<aws::Header> kept;
  for (const auto& header : headers) {
    std::string lower = header.first;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (wanted.count(lower)) kept.push_back(header);
  }
  return kept;
}

// S3's error document.
AwsProxy::Answer s3_error(long status, const std::string& code, const std::string& message) {
  return {status,
          {{"content-type", "application/xml"}},
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
              "</Code><Message>" + message + "</Message><RequestId>x</RequestId></Error>"};
}

std::string names_of(const json& variables) {
  std::string names;
  for (const auto& variable : variables) {
    names += (names.empty() ? "" : ", ") + variable.value("name", "?");
  }
  return names;
}

}  // namespace

AwsProxy::AwsProxy(std::string moto_endpoint, aws::Credentials moto_credentials)
    : moto_endpoint_(std::move(moto_endpoint)), credentials_(std::move(moto_credentials)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listen_fd_ >= 0) close(listen_fd_);
    throw std::runtime_error("the AWS proxy cannot listen on loopback");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

AwsProxy::~AwsProxy() {
  // Before the acceptor stops: a run still going may call the proxy.
  for (;;) {
    std::vector<std::thread> runs;
    {
      std::lock_guard lock(mutex_);
      runs.swap(runs_);
    }
    if (runs.empty()) break;
    for (auto& run : runs) run.join();
  }
  stop_ = true;
  acceptor_.join();
  close(listen_fd_);
  std::unique_lock lock(mutex_);
  connections_done_.wait(lock, [this] { return open_connections_ == 0; });
}

std::string AwsProxy::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void AwsProxy::throttle(int n) {
  std::lock_guard lock(mutex_);
  throttle_left_ = n;
}

int AwsProxy::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::map<std::string, int> AwsProxy::requests_by_action() const {
  std::lock_guard lock(mutex_);
  return by_action_;
}

void AwsProxy::set_task_exit_code(int code) {
  std::lock_guard lock(mutex_);
  exit_code_ = code;
}

void AwsProxy::set_task_log_lines(std::vector<std::string> lines) {
  std::lock_guard lock(mutex_);
  log_lines_ = std::move(lines);
}

void AwsProxy::set_task_runner(std::function<TaskOutcome(const TaskRun&)> runner) {
  std::lock_guard lock(mutex_);
  task_runner_ = std::move(runner);
}

std::vector<json> AwsProxy::run_task_requests() const {
  std::lock_guard lock(mutex_);
  return run_task_requests_;
}

std::vector<std::string> AwsProxy::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

std::vector<std::string> AwsProxy::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

void AwsProxy::record(std::vector<std::string>& list, std::string entry) {
  std::lock_guard lock(mutex_);
  list.push_back(std::move(entry));
}

// One thread per connection, so that a slow call (moto creating an RDS instance) does
// not hold up the others, as AWS would not.
void AwsProxy::accept_loop() {
  while (!stop_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, 50) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    // A client that connects and never sends must not keep the destructor waiting.
    const timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    {
      std::lock_guard lock(mutex_);
      ++open_connections_;
    }
    std::thread([this, fd] {
      serve_connection(fd);
      close(fd);
      std::lock_guard lock(mutex_);
      --open_connections_;
      connections_done_.notify_all();  // under the lock: the destructor may run right after
    }).detach();
  }
}

// The request on `fd`, with its body; nothing when the client left or sent too much.
std::optional<AwsProxy::Request> AwsProxy::read_request(int fd) {
  std::string data;
  std::size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kMaxHead || !read_more(fd, data)) return std::nullopt;
  }
  Request request;
  std::istringstream head(data.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  std::istringstream(line) >> request.method >> request.target;
  std::size_t length = 0;
  bool expects_continue = false;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (header_is(line, "Content-Length")) {
      length = std::stoul(header_value(line));
    } else if (header_is(line, "Expect")) {
      expects_continue = true;
    } else {
      if (header_is(line, "X-Amz-Target")) request.amz_target = header_value(line);
      request.headers.push_back(line);  // Host and the signature unchanged
    }
  }
  if (length > kMaxBody) return std::nullopt;
  if (expects_continue && !write_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return std::nullopt;
  request.body = data.substr(head_end + 4);
  while (request.body.size() < length) {
    if (!read_more(fd, request.body)) return std::nullopt;
  }
  return request;
}

// One request per connection, answered with Connection: close, which libcurl handles.
void AwsProxy::serve_connection(int fd) {
  const auto request = read_request(fd);
  if (!request) return;
  Answer answer;
  try {
    answer = handle(*request);
  } catch (const std::exception& e) {  // e.g. a body that is not the JSON its protocol says
    record(errors_, "cannot handle " + request->method + " " + request->target + ": " + e.what());
    answer = {500, {{"content-type", "text/plain"}}, e.what()};
  }
  std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " X\r\n";
  for (const auto& [name, value] : answer.headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(answer.body.size()) + "\r\nConnection: close\r\n\r\n" +
         answer.body;
  write_all(fd, out);
}

std::string AwsProxy::action_of(const Request& request) {
  if (!request.amz_target.empty()) {
    return request.amz_target.substr(request.amz_target.rfind('.') + 1);
  }
  if (std::string action = form_value(request.body, "Action"); !action.empty()) return action;
  return request.method + " " + request.target.substr(0, request.target.find('?'));
}

AwsProxy::Answer AwsProxy::handle(const Request& request) {
  std::optional<int> throttled_before;
  {
    std::lock_guard lock(mutex_);
    ++requests_;
    ++by_action_[action_of(request)];
    if (throttle_left_ > 0) {
      --throttle_left_;
      throttled_before = throttled_++;
    }
  }
  if (throttled_before) return throttled(request, *throttled_before);
  if (request.amz_target == kRunTask) return run_task(request);
  if (auto answered = cloudfront(request)) return std::move(*answered);
  if (auto faked = answer_by_fake(request)) return std::move(*faked);
  Answer answer = forward(request);
  if (answer.status == 200) track_deleted_services(request, answer);
  if (answer.status == 200) roll_out_gradually(request, answer);
  if (answer.status == 200 && action_of(request) == "AssumeRole") learn_assumed_role(answer);
  if (request.amz_target == kDescribeTasks && answer.status == 200) {
    json described = json::parse(answer.body, nullptr, false);
    finish_described_tasks(described);
    answer.body = described.dump();
  }
  return answer;
}

// moto's ListServices goes on listing a deleted service; AWS lists ACTIVE and DRAINING
// services only. The proxy remembers what DeleteService removed until CreateService
// makes it again, and leaves it out of ListServices.
void AwsProxy::track_deleted_services(const Request& request, Answer& answer) {
  if (request.amz_target == kDeleteService || request.amz_target == kCreateService) {
    const json made = json::parse(answer.body, nullptr, false);
    const std::string arn = made.is_object() ? made["service"].value("serviceArn", "") : "";
    std::lock_guard lock(mutex_);
    if (request.amz_target == kDeleteService) {
      deleted_services_.insert(arn);
    } else {
      deleted_services_.erase(arn);
    }
  } else if (request.amz_target == kListServices) {
    json listed = json::parse(answer.body, nullptr, false);
    if (!listed.is_object() || !listed.contains("serviceArns")) return;
    json kept = json::array();
    std::lock_guard lock(mutex_);
    for (const auto& arn : listed["serviceArns"]) {
      if (!deleted_services_.count(arn.get<std::string>())) kept.push_back(arn);
    }
    listed["serviceArns"] = kept;
    answer.body = listed.dump();
  }
}

// moto swaps a forced deployment in at once: its DescribeServices shows the new
// deployment done, the old one gone. ECS starts the new tasks first and drains the old
// ones after: the first DescribeServices after a forced deployment shows that, the new
// deployment IN_PROGRESS beside the old one with its tasks still running.
void AwsProxy::roll_out_gradually(const Request& request, Answer& answer) {
  if (request.amz_target == kUpdateService) {
    const json body = json::parse(request.body, nullptr, false);
    const json made = json::parse(answer.body, nullptr, false);
    if (!body.is_object() || !body.value("forceNewDeployment", false) || !made.is_object()) return;
    std::lock_guard lock(mutex_);
    rolling_out_.insert(made["service"].value("serviceArn", ""));
  } else if (request.amz_target == kDescribeServices) {
    json described = json::parse(answer.body, nullptr, false);
    if (!described.is_object()) return;
    std::lock_guard lock(mutex_);
    for (auto& service : described["services"]) {
      if (!rolling_out_.erase(service.value("serviceArn", ""))) continue;
      ++rollouts_polled_;
      json& deployments = service["deployments"];
      if (!deployments.is_array() || deployments.empty()) continue;
      json old = deployments[0];
      old["id"] = "ecs-svc/before-" + old.value("id", "");
      old["status"] = "ACTIVE";
      json& fresh = deployments[0];
      fresh["rolloutState"] = "IN_PROGRESS";
      fresh["pendingCount"] = fresh.value("runningCount", 0);
      fresh["runningCount"] = 0;
      deployments.push_back(old);
    }
    answer.body = described.dump();
  }
}

int AwsProxy::rollouts_polled() const {
  std::lock_guard lock(mutex_);
  return rollouts_polled_;
}

// AWS throttles with 429 (no error body needed: the status says it all) and with 400
// and the protocol's throttling error; alternating tests that the client knows both.
AwsProxy::Answer AwsProxy::throttled(const Request& request, int throttled_before) const {
  if (throttled_before % 2 == 0) {
    return {429, {{"content-type", "text/plain"}}, "Too Many Requests"};
  }
  if (!form_value(request.body, "Action").empty()) {
    return {400,
            {{"content-type", "text/xml"}},
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            "<Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>"};
  }
  return {400,
          {{"content-type", "application/x-amz-json-1.1"}},
          R"({"__type":"ThrottlingException","message":"Rate exceeded"})"};
}

aws::Client AwsProxy::moto_as(const aws::Credentials& as) const {
  aws::ClientConfig config;
  config.credentials = as;
  config.credentials_source = "the AwsProxy, as " + as.access_key_id;
  config.region = "us-east-1";
  config.endpoint_url = moto_endpoint_;
  return aws::Client(std::move(config));
}

aws::ApiResult<json> AwsProxy::call_moto(const aws::Credentials& as, const aws::Service& service,
                                         const std::string& action, const json& input) const {
  std::shared_lock gate(moto_gate_);
  return moto_as(as).json(service, action, input);
}

aws::Credentials AwsProxy::caller_of(const Request& request) const {
  for (const auto& line : request.headers) {
    if (!header_is(line, "Authorization")) continue;
    const std::string value = header_value(line);
    const auto start = value.find("Credential=");
    if (start == std::string::npos) break;
    const std::string key = value.substr(start + 11, value.find('/', start) - start - 11);
    if (auto known = credentials_for(key)) return *known;
  }
  return credentials_;
}

std::optional<aws::Credentials> AwsProxy::credentials_for(const std::string& access_key_id) const {
  if (access_key_id == credentials_.access_key_id) return credentials_;
  std::lock_guard lock(mutex_);
  const auto assumed = assumed_roles_.find(access_key_id);
  if (assumed == assumed_roles_.end()) return std::nullopt;
  return assumed->second.credentials;
}

std::optional<std::string> AwsProxy::assumed_account(const std::string& access_key_id) const {
  std::lock_guard lock(mutex_);
  const auto assumed = assumed_roles_.find(access_key_id);
  if (assumed == assumed_roles_.end()) return std::nullopt;
  return assumed->second.account;
}

std::optional<std::string> AwsProxy::signature_problem(const Request& request) const {
  std::string authorization, date;
  std::vector<aws::Header> headers;
  for (const auto& line : request.headers) {
    const std::string name = line.substr(0, line.find(':'));
    if (strcasecmp(name.c_str(), "Authorization") == 0) {
      authorization = header_value(line);
    } else if (strcasecmp(name.c_str(), "X-Amz-Date") == 0) {
      date = header_value(line);
    } else {
      headers.emplace_back(name, header_value(line));
    }
  }
  auto between = [&](const std::string& from, const std::string& to) {
    const auto start = authorization.find(from);
    if (start == std::string::npos) return std::string();
    const auto begin = start + from.size();
    return authorization.substr(begin, authorization.find(to, begin) - begin);
  };
  const std::vector<std::string> scope = split(between("Credential=", ","), '/');
  const auto time = amz_time(date);
  if (scope.size() != 5 || !time) return "no SigV4 Authorization or X-Amz-Date";
  auto credentials = credentials_for(scope[0]);
  if (!credentials) return "unknown access key " + scope[0];
  // The request's own X-Amz-Security-Token header is among those it signed, and
  // aws::sign would add it a second time.
  credentials->session_token.clear();
  // Sign only what the client signed (the proxy's transport adds nothing signed).
  const auto query_at = request.target.find('?');
  const aws::SignableRequest signable{
      request.method, request.target.substr(0, query_at),
      query_at == std::string::npos ? "" : request.target.substr(query_at + 1),
      signed_headers(headers, between("SignedHeaders=", ",")), request.body};
  aws::SigningScope signing{scope[2], scope[3], *time};
  // S3 signs the path as sent; its x-amz-content-sha256 header is among the signed ones.
  signing.normalize_path = signing.encode_path_again = scope[3] != "s3";
  const aws::Signature expected = aws::sign(signable, *credentials, signing);
  if (expected.signature != between("Signature=", ",")) {
    return "the signature does not match the request (canonical request:\n" +
           expected.canonical_request + ")";
  }
  return std::nullopt;
}

// As S3 checks a presigned URL: every parameter there, X-Amz-Expires at most a week,
// not expired, a known key with its own session token if it is a role's, and the
// signature over the request with UNSIGNED-PAYLOAD
// (presign() recomputes it from the query without the authentication parameters).
std::optional<AwsProxy::Answer> AwsProxy::presigned_refusal(const Request& request) const {
  const auto query_at = request.target.find('?');
  std::map<std::string, std::string> auth;  // decoded
  std::string rest;                         // the other parameters, as sent
  for (const auto& [key, value] : query_pairs(request.target.substr(query_at + 1))) {
    if (kQueryAuthParameters.count(key)) {
      auth[key] = aws::uri_decode(value);
    } else {
      rest += (rest.empty() ? "" : "&") + key + (value.empty() ? "" : "=" + value);
    }
  }
  const std::vector<std::string> scope = split(auth["X-Amz-Credential"], '/');
  const auto time = amz_time(auth["X-Amz-Date"]);
  const std::string& expires_text = auth["X-Amz-Expires"];
  if (auth["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" || scope.size() != 5 || !time ||
      expires_text.empty() || expires_text.size() > 9 ||
      expires_text.find_first_not_of("0123456789") != std::string::npos ||
      auth["X-Amz-SignedHeaders"].empty()) {
    return s3_error(400, "AuthorizationQueryParametersError",
                    "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                    "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                    "X-Amz-Expires parameters.");
  }
  const std::chrono::seconds expires(std::stol(expires_text));
  if (expires < std::chrono::seconds(1) || expires > std::chrono::hours(24 * 7)) {
    return s3_error(400, "AuthorizationQueryParametersError",
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  if (std::chrono::system_clock::now() > *time + expires) {
    return s3_error(403, "AccessDenied", "Request has expired");
  }
  auto credentials = credentials_for(scope[0]);
  if (!credentials) {
    return s3_error(403, "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.");
  }
  // A role's temporary key is good only with its own token.
  if (credentials->session_token != auth["X-Amz-Security-Token"]) {
    return s3_error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.");
  }
  std::vector<aws::Header> headers;
  for (const auto& line : request.headers) {
    headers.emplace_back(line.substr(0, line.find(':')), header_value(line));
  }
  const aws::SignableRequest signable{request.method, request.target.substr(0, query_at), rest,
                                      signed_headers(headers, auth["X-Amz-SignedHeaders"]), ""};
  aws::SigningScope signing{scope[2], scope[3], *time};
  signing.normalize_path = signing.encode_path_again = scope[3] != "s3";
  const aws::Signature expected = aws::presign(signable, *credentials, signing, expires);
  if (expected.signature != auth["X-Amz-Signature"]) {
    return s3_error(403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided. Check your key and signing method. (canonical request:\n" +
                        expected.canonical_request + ")");
  }
  return std::nullopt;
}

std::optional<AwsProxy::Answer> AwsProxy::refusal(const Request& request) const {
  if (is_presigned(request)) return presigned_refusal(request);
  if (auto problem = signature_problem(request)) return signature_refused(*problem);
  return std::nullopt;
}

void AwsProxy::learn_assumed_role(const Answer& answer) {
  pugi::xml_document doc;
  if (!doc.load_string(answer.body.c_str())) return;
  const pugi::xml_node found = doc.select_node("//Credentials").node();
  AssumedRole role{{found.child_value("AccessKeyId"), found.child_value("SecretAccessKey"),
                    found.child_value("SessionToken")},
                   ""};
  // "arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION"
  const std::vector<std::string> arn =
      split(doc.select_node("//AssumedRoleUser/Arn").node().child_value(), ':');
  if (arn.size() > 4) role.account = arn[4];
  if (role.credentials.access_key_id.empty()) return;
  std::lock_guard lock(mutex_);
  assumed_roles_[role.credentials.access_key_id] = std::move(role);
}

AwsProxy::Answer AwsProxy::signature_refused(const std::string& problem) {
  return {403,
          {{"content-type", "application/json"}, {"x-amzn-errortype", "SignatureDoesNotMatch"}},
          json{{"message", "The request signature we calculated does not match the signature "
                           "you provided: " + problem}}
              .dump()};
}

void AwsProxy::add_fake(Fake fake) { fakes_.push_back(std::move(fake)); }

std::optional<AwsProxy::Answer> AwsProxy::answer_by_fake(const Request& request) {
  for (const auto& fake : fakes_) {
    if (!fake.takes(request)) continue;
    if (auto refused = refusal(request)) return std::move(*refused);
    return fake.answer(request);
  }
  return std::nullopt;
}

bool AwsProxy::let_one_unchecked() const {
  HttpRequest unchecked_once;
  unchecked_once.method = "POST";
  unchecked_once.url = moto_endpoint_ + "/moto-api/reset-auth";
  unchecked_once.body = "1";
  unchecked_once.headers = {"Content-Type: text/plain"};
  const auto reply = http_request(unchecked_once);
  return reply && reply->status == 200;
}

AwsProxy::Answer AwsProxy::forward_checked_here(const Request& request) const {
  if (auto refused = refusal(request)) return std::move(*refused);
  Request sent = request;
  // moto finds a request's account by the key in its Authorization header; a presigned
  // one has none, so the account of its key is named.
  if (is_presigned(request)) {
    if (auto account = assumed_account(presigned_access_key(request))) {
      sent.headers.push_back("x-moto-account-id: " + *account);
    }
  }
  std::unique_lock gate(moto_gate_);
  if (!let_one_unchecked()) {
    return {502, {{"content-type", "text/plain"}}, "moto refused /moto-api/reset-auth"};
  }
  return send_to_moto(sent);
}

// A request with no Authorization header is checked here too, whatever moto would make
// of it: a presigned one as S3 checks it (expiry included), an unsigned one refused
// (moto answers an unsigned PUT with a 500).
AwsProxy::Answer AwsProxy::forward(const Request& request) const {
  if (request.method == "GET" || request.method == "DELETE" ||
      !has_header(request, "Authorization")) {
    return forward_checked_here(request);
  }
  std::shared_lock gate(moto_gate_);
  return send_to_moto(request);
}

AwsProxy::Answer AwsProxy::send_to_moto(const Request& request) const {
  HttpRequest out;
  out.method = request.method;
  out.url = moto_endpoint_ + request.target;
  out.headers = request.headers;
  // An untyped body (curl -T to a presigned URL) stays untyped: libcurl would label it
  // form-encoded, which moto then waits to read as a form.
  if (!has_header(request, "Content-Type")) out.headers.push_back("Content-Type:");
  out.body = request.body;
  out.timeout = std::chrono::seconds(60);
  auto reply = http_request(out);
  if (!reply) return {502, {{"content-type", "text/plain"}}, reply.error().message};
  Answer answer{reply->status, {}, std::move(reply->body)};
  for (auto& [name, value] : reply->headers) {
    if (name != "content-length" && name != "connection" && name != "transfer-encoding") {
      answer.headers[name] = value;
    }
  }
  return answer;
}

// Records the request and checks what AWS would; then, once moto has started the
// tasks, gives each its fate and writes its log lines as its container would.
AwsProxy::Answer AwsProxy::run_task(const Request& request) {
  const json run_task = json::parse(request.body, nullptr, false);
  {
    std::lock_guard lock(mutex_);
    run_task_requests_.push_back(run_task);
  }
  check_overrides(run_task);
  // Everything the task does happens in the caller's account, as the caller.
  const aws::Credentials caller = caller_of(request);
  Answer answer = forward(request);
  if (answer.status != 200) return answer;
  const json started = json::parse(answer.body, nullptr, false);
  auto definition = call_moto(caller, aws::kEcs, "DescribeTaskDefinition",
                               {{"taskDefinition", run_task.value("taskDefinition", "")}});
  if (!definition) {
    record(errors_, "cannot read the task definition of a RunTask: " + definition.error().message);
    return answer;
  }
  const json& task_definition = (*definition)["taskDefinition"];
  check_secrets(caller, task_definition);
  std::vector<std::string> lines;
  std::function<TaskOutcome(const TaskRun&)> runner;
  {
    std::lock_guard lock(mutex_);
    lines = log_lines_;
    runner = task_runner_;
    for (const auto& task : started.value("tasks", json::array())) {
      if (runner) {
        running_.insert(task.value("taskArn", ""));
      } else {
        exit_codes_[task.value("taskArn", "")] = exit_code_;
      }
    }
  }
  for (const auto& task : started.value("tasks", json::array())) {
    if (runner) {
      start_runner(caller, runner, run_task, task.value("taskArn", ""), task_definition);
    } else {
      write_task_logs(caller, task_definition["containerDefinitions"][0],
                      task_id(task.value("taskArn", "")), lines);
    }
  }
  return answer;
}

// The task's container runs on a thread of its own, as on Fargate, and stops when the
// runner returns: its log lines written first, so that whoever sees it STOPPED finds
// them.
void AwsProxy::start_runner(const aws::Credentials& caller,
                            std::function<TaskOutcome(const TaskRun&)> runner,
                            const json& run_task, const std::string& task_arn,
                            const json& task_definition) {
  std::lock_guard lock(mutex_);
  runs_.emplace_back([this, caller, runner = std::move(runner), run_task, task_arn,
                      task_definition] {
    json container = task_definition["containerDefinitions"][0];
    TaskOutcome outcome;
    auto run = task_run(caller, run_task, task_arn, task_definition);
    if (!run) {
      record(errors_, "cannot run task " + task_arn + ": " + run.error().message);
      outcome = {1, {run.error().message}};
    } else {
      container = run->container;
      try {
        outcome = runner(*run);
      } catch (const std::exception& e) {
        record(errors_, "the task runner failed on " + task_arn + ": " + e.what());
        outcome = {1, {e.what()}};
      }
    }
    write_task_logs(caller, container, task_id(task_arn), outcome.log_lines);
    std::lock_guard finished(mutex_);
    running_.erase(task_arn);
    exit_codes_[task_arn] = outcome.exit_code;
  });
}

Result<TaskRun> AwsProxy::task_run(const aws::Credentials& caller, const json& run_task,
                                   const std::string& task_arn,
                                   const json& task_definition) const {
  TaskRun run;
  run.task_arn = task_arn;
  run.task_definition = task_definition;
  for (const auto& container : task_definition.value("containerDefinitions", json::array())) {
    if (container.value("essential", true)) {
      run.container = container;
      break;
    }
  }
  if (run.container.is_null()) {
    return make_error("task definition " + task_definition.value("family", "?") +
                      " has no essential container");
  }
  const std::string name = run.container.value("name", "");
  json overrides = json::object();
  for (const auto& container :
       run_task.value(json::json_pointer("/overrides/containerOverrides"), json::array())) {
    if (container.value("name", "") == name) overrides = container;
  }

  for (const auto& part : run.container.value("entryPoint", json::array())) {
    run.command.push_back(part.get<std::string>());
  }
  const json command = overrides.value("command", run.container.value("command", json::array()));
  for (const auto& part : command) {
    run.command.push_back(part.get<std::string>());
  }

  for (const auto& variable : run.container.value("environment", json::array())) {
    run.environment[variable.value("name", "")] = variable.value("value", "");
  }
  for (const auto& secret : run.container.value("secrets", json::array())) {
    TRY_ASSIGN(run.environment[secret.value("name", "")],
               secret_value(caller, secret.value("valueFrom", "")));
  }
  for (const auto& variable : overrides.value("environment", json::array())) {
    run.environment[variable.value("name", "")] = variable.value("value", "");
  }

  std::map<std::string, json> volumes;
  for (const auto& volume : task_definition.value("volumes", json::array())) {
    volumes[volume.value("name", "")] = volume;
  }
  for (const auto& mount : run.container.value("mountPoints", json::array())) {
    const json volume = volumes[mount.value("sourceVolume", "")];
    if (!volume.contains("efsVolumeConfiguration")) continue;
    const json& efs = volume["efsVolumeConfiguration"];
    EfsMount& efs_mount = run.efs_mounts[mount.value("containerPath", "")];
    efs_mount.file_system_id = efs.value("fileSystemId", "");
    efs_mount.root_directory = efs.value("rootDirectory", "/");
    const std::string access_point =
        efs.value(json::json_pointer("/authorizationConfig/accessPointId"), "");
    if (!access_point.empty()) {
      TRY_ASSIGN(efs_mount.access_point_root, access_point_root(caller, access_point));
    }
  }
  return run;
}

// valueFrom is the secret's ARN, or "ARN:json-key:version-stage:version-id" with any of
// the three left empty.
Result<std::string> AwsProxy::secret_value(const aws::Credentials& as,
                                           const std::string& value_from) const {
  const std::string arn = secret_arn(value_from);
  if (arn.empty()) {
    return make_error("valueFrom " + value_from +
                      " names no Secrets Manager secret (the proxy does not resolve SSM "
                      "parameters)");
  }
  std::vector<std::string> selectors = split(value_from.substr(arn.size()), ':');
  selectors.resize(4);  // "", key, stage, id
  json input{{"SecretId", arn}};
  if (!selectors[2].empty()) input["VersionStage"] = selectors[2];
  if (!selectors[3].empty()) input["VersionId"] = selectors[3];
  TRY_ASSIGN(const json value, call_moto(as, aws::kSecretsManager, "GetSecretValue", input));
  const std::string text = value.value("SecretString", "");
  if (selectors[1].empty()) return text;
  const json fields = json::parse(text, nullptr, false);
  if (!fields.is_object() || !fields.contains(selectors[1])) {
    return make_error("secret " + arn + " has no JSON key " + selectors[1]);
  }
  const json& field = fields[selectors[1]];
  return field.is_string() ? field.get<std::string>() : field.dump();
}

// A REST GET, which moto cannot check: let through unchecked, as forward_checked_here
// does for the client's.
Result<std::string> AwsProxy::access_point_root(const aws::Credentials& as,
                                                const std::string& access_point_id) const {
  std::unique_lock gate(moto_gate_);
  if (!let_one_unchecked()) return make_error("moto refused /moto-api/reset-auth");
  TRY_ASSIGN(const json described,
             moto_as(as).rest_json(aws::kEfs, "DescribeAccessPoints", "GET",
                                   "/2015-02-01/access-points", {{"AccessPointId", access_point_id}}));
  const json points = described.value("AccessPoints", json::array());
  if (points.empty()) return make_error("EFS has no access point " + access_point_id);
  return points[0].value(json::json_pointer("/RootDirectory/Path"), "/");
}

// Environment overrides would show secrets in the task's description: wpfleet must
// pass them only through the task definition's `secrets`.
void AwsProxy::check_overrides(const json& run_task) {
  const json overrides =
      run_task.value(json::json_pointer("/overrides/containerOverrides"), json::array());
  for (const auto& container : overrides) {
    const json environment = container.value("environment", json::array());
    if (environment.empty()) continue;
    record(violations_, "RunTask of " + run_task.value("taskDefinition", "?") +
                            " overrides the environment of container " +
                            container.value("name", "?") + " (" + names_of(environment) +
                            "): secrets must come only through the task definition's secrets");
  }
}

// ECS refuses to start a task whose secret does not exist; moto starts it anyway.
void AwsProxy::check_secrets(const aws::Credentials& caller, const json& task_definition) {
  for (const auto& container : task_definition.value("containerDefinitions", json::array())) {
    for (const auto& secret : container.value("secrets", json::array())) {
      const std::string arn = secret_arn(secret.value("valueFrom", ""));
      if (arn.empty()) continue;
      auto described =
          call_moto(caller, aws::kSecretsManager, "DescribeSecret", {{"SecretId", arn}});
      if (described) continue;
      if (described.error().code != "ResourceNotFoundException") {
        record(errors_, "cannot look up a task's secret: " + described.error().message);
        continue;
      }
      record(violations_, "task definition " + task_definition.value("family", "?") +
                              " gives container " + container.value("name", "?") + " the secret " +
                              secret.value("name", "?") + " from " + arn +
                              ", which Secrets Manager does not have");
    }
  }
}

// The awslogs driver's stream name is <prefix>/<container name>/<task id>.
void AwsProxy::write_task_logs(const aws::Credentials& as, const json& container,
                               const std::string& task_id,
                               const std::vector<std::string>& lines) {
  const json configuration = container.value("logConfiguration", json::object());
  if (configuration.value("logDriver", "") != "awslogs") return;
  const json options = configuration.value("options", json::object());
  const std::string group = options.value("awslogs-group", "");
  const std::string stream = options.value("awslogs-stream-prefix", "") + "/" +
                             container.value("name", "") + "/" + task_id;
  auto made = call_moto(as, aws::kLogs, "CreateLogGroup", {{"logGroupName", group}});
  if (!made && made.error().code != "ResourceAlreadyExistsException") {
    record(errors_, "cannot create the task's log group: " + made.error().message);
    return;
  }
  auto opened = call_moto(as, aws::kLogs, "CreateLogStream",
                           {{"logGroupName", group}, {"logStreamName", stream}});
  if (!opened) {
    record(errors_, "cannot create the task's log stream: " + opened.error().message);
    return;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  json events = json::array();
  for (const auto& line : lines) events.push_back({{"timestamp", now}, {"message", line}});
  auto put =
      call_moto(as, aws::kLogs, "PutLogEvents",
                 {{"logGroupName", group}, {"logStreamName", stream}, {"logEvents", events}});
  if (!put) record(errors_, "cannot write the task's log lines: " + put.error().message);
}

// moto's one-off tasks never finish as a container would: their status only steps
// towards STOPPED with each describe, desiredStatus stays RUNNING, and containers stay
// PENDING with exit code 0. Those started through the proxy have ended, their essential
// container with the exit code the test chose, or are RUNNING until their runner
// returns its exit code.
void AwsProxy::finish_described_tasks(json& described) const {
  std::lock_guard lock(mutex_);
  for (auto& task : described["tasks"]) {
    if (running_.count(task.value("taskArn", ""))) {
      task["lastStatus"] = task["desiredStatus"] = "RUNNING";
      for (auto& container : task["containers"]) {
        container["lastStatus"] = "RUNNING";
        container.erase("exitCode");
      }
      continue;
    }
    const auto fate = exit_codes_.find(task.value("taskArn", ""));
    if (fate == exit_codes_.end()) continue;
    task["lastStatus"] = "STOPPED";
    task["desiredStatus"] = "STOPPED";
    task["stopCode"] = "EssentialContainerExited";
    task["stoppedReason"] = "Essential container in task exited";
    for (auto& container : task["containers"]) {
      container["lastStatus"] = "STOPPED";
      container["exitCode"] = fate->second;
    }
  }
}

}  // namespace wpfleet::testing
