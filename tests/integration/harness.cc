#include "harness.h"

#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "aws/sigv4.h"
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

bool admin_login_works(const std::string& host, std::uint16_t port, const std::string& password) {
  HttpRequest request;
  request.method = "POST";
  request.url = "http://" + host + ":" + std::to_string(port) + "/wp-login.php";
  request.connect_to = "127.0.0.1";
  request.headers = {"Content-Type: application/x-www-form-urlencoded"};
  // A form body, encoded as AWS's query protocol encodes its own.
  request.body = "log=admin&pwd=" + aws::uri_encode(password) + "&wp-submit=Log+In";
  request.timeout = std::chrono::seconds(30);
  auto reply = http_request(request);
  if (!reply) return false;
  const auto cookie = reply->headers.find("set-cookie");
  const auto location = reply->headers.find("location");
  return reply->status == 302 && location != reply->headers.end() &&
         location->second.find("/wp-admin") != std::string::npos &&
         cookie != reply->headers.end() &&
         cookie->second.find("wordpress_logged_in_") != std::string::npos;
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

bool chromium_installed() { return find_executable("chromium").has_value(); }

namespace {
using Clock = std::chrono::steady_clock;

// A browser tab over Chromium's --remote-debugging-pipe: Chromium reads DevTools
// commands on descriptor 3 and writes answers and events on 4, each JSON ended by NUL.
// It answers the tab's password prompts as a visitor would, lets every other request
// through, and notes which navigations have loaded.
class DevToolsTab {
 public:
  DevToolsTab(int to_browser, int from_browser, Clock::time_point deadline,
              std::optional<std::string> login)
      : to_(to_browser), from_(from_browser), deadline_(deadline), login_(std::move(login)) {}

  // Opens the tab: a blank page whose password prompts are answered (handle()).
  Status open() {
    TRY_ASSIGN(auto target, call("Target.createTarget", {{"url", "about:blank"}}));
    TRY_ASSIGN(auto attached, call("Target.attachToTarget",
                                   {{"targetId", target["targetId"]}, {"flatten", true}}));
    session_ = attached["sessionId"];
    TRY(call("Fetch.enable", {{"handleAuthRequests", true}}));
    TRY(call("Page.enable", nlohmann::json::object()));
    TRY(call("Page.setLifecycleEventsEnabled", {{"enabled", true}}));
    return {};
  }

  // Loads `url` and returns the page's HTML once its load event fired.
  Result<std::string> load(const std::string& url) {
    TRY_ASSIGN(auto navigated, call("Page.navigate", {{"url", url}}));
    if (navigated.contains("errorText")) {
      return make_error("chromium could not show " + url + ": " +
                        navigated["errorText"].get<std::string>());
    }
    const std::string loader = navigated.value("loaderId", "");
    while (!loaded_.count(loader)) {
      TRY_ASSIGN(nlohmann::json event, receive());
      TRY(handle(event));
    }
    return run("document.documentElement.outerHTML");
  }

  // Evaluates `script` in the page, waiting for the promise it may return; its value as
  // text (JSON unless it is a string).
  Result<std::string> run(const std::string& script) {
    TRY_ASSIGN(auto evaluated, call("Runtime.evaluate", {{"expression", script},
                                                         {"awaitPromise", true},
                                                         {"returnByValue", true}}));
    if (evaluated.contains("exceptionDetails")) {
      return make_error("the page's script failed: " + evaluated["exceptionDetails"].dump());
    }
    const nlohmann::json value = evaluated["result"].value("value", nlohmann::json());
    return value.is_string() ? value.get<std::string>() : value.dump();
  }

 private:
  // Sends a command to the tab (the browser's own before there is one) without waiting.
  Status post(const std::string& method, const nlohmann::json& params) {
    nlohmann::json message = {{"id", next_id_++}, {"method", method}, {"params", params}};
    if (!session_.empty()) message["sessionId"] = session_;
    const std::string text = message.dump() + '\0';
    for (std::size_t sent = 0; sent < text.size();) {
      const ssize_t n = ::send(to_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return make_error("chromium stopped reading its DevTools pipe");
      sent += static_cast<std::size_t>(n);
    }
    return {};
  }

  // Sends a command and returns its result, handling the events that come first.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params) {
    const int id = next_id_;
    TRY(post(method, params));
    while (true) {
      TRY_ASSIGN(nlohmann::json message, receive());
      if (message.value("id", 0) == id) {
        if (message.contains("error")) return make_error(method + ": " + message["error"].dump());
        return message["result"];
      }
      TRY(handle(message));
    }
  }

  Status handle(const nlohmann::json& event) {
    if (event.contains("id") || event.value("sessionId", "") != session_) return {};
    const std::string method = event.value("method", "");
    const nlohmann::json& params = event["params"];
    if (method == "Fetch.requestPaused") {
      return post("Fetch.continueRequest", {{"requestId", params["requestId"]}});
    }
    if (method == "Fetch.authRequired") {
      // The login once; asked again (it was wrong), or without one, the visitor cancels.
      nlohmann::json answer = {{"response", "CancelAuth"}};
      if (login_ && !login_given_) {
        login_given_ = true;
        const auto colon = login_->find(':');
        answer = {{"response", "ProvideCredentials"},
                  {"username", login_->substr(0, colon)},
                  {"password", login_->substr(colon + 1)}};
      }
      return post("Fetch.continueWithAuth",
                  {{"requestId", params["requestId"]}, {"authChallengeResponse", answer}});
    }
    if (method == "Page.lifecycleEvent" && params.value("name", "") == "load") {
      loaded_.insert(params.value("loaderId", ""));
    }
    return {};
  }

  Result<nlohmann::json> receive() {
    while (true) {
      if (const auto end = buffer_.find('\0'); end != std::string::npos) {
        auto message = nlohmann::json::parse(buffer_.substr(0, end), nullptr, false);
        buffer_.erase(0, end + 1);
        if (message.is_object()) return message;
        continue;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      pollfd readable{from_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
        return make_error("chromium did not load the page in time");
      }
      char chunk[65536];
      const ssize_t n = ::read(from_, chunk, sizeof chunk);
      if (n <= 0) return make_error("chromium closed its DevTools pipe (did it crash?)");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int to_, from_;
  Clock::time_point deadline_;
  std::optional<std::string> login_;
  bool login_given_ = false;
  std::string session_;
  int next_id_ = 1;
  std::string buffer_;
  std::set<std::string> loaded_;  // loaderIds of navigations whose load event fired
};

// Kills every process that uses `profile`: Chromium's group, and any helper that left it.
void kill_chromium(pid_t pid, const std::filesystem::path& profile) {
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::error_code ignored;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_file(entry.path() / "cmdline");
    if (cmdline && cmdline->find(profile.string()) != std::string::npos) {
      ::kill(std::stoi(name), SIGKILL);
    }
  }
}
}  // namespace

Result<std::string> chromium_session(const std::vector<BrowserStep>& steps,
                                     const std::optional<std::string>& login,
                                     std::chrono::seconds timeout) {
  const TempDir profile;
  std::vector<std::string> args = {"chromium", "--headless", "--disable-gpu", "--no-first-run",
                                   "--user-data-dir=" + profile.path().string(),
                                   "--remote-debugging-pipe", "about:blank"};
  // As root, Chromium refuses to start with its sandbox on.
  if (::geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int to_browser[2], from_browser[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to_browser) != 0) {
    return make_error("cannot make the DevTools pipes");
  }
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, from_browser) != 0) {
    ::close(to_browser[0]);
    ::close(to_browser[1]);
    return make_error("cannot make the DevTools pipes");
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // dup2 leaves close-on-exec off on 3 and 4 alone.
    const int null = ::open("/dev/null", O_RDWR);
    if (::dup2(to_browser[1], 3) < 0 || ::dup2(from_browser[1], 4) < 0 || null < 0 ||
        ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) {
      ::_exit(127);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(to_browser[1]);
  ::close(from_browser[1]);
  Result<std::string> last = make_error("cannot start chromium");
  if (pid > 0) {
    DevToolsTab tab(to_browser[0], from_browser[0], Clock::now() + timeout, login);
    Status opened = tab.open();
    last = opened ? Result<std::string>(std::string()) : Result<std::string>(opened.error());
    for (const BrowserStep& step : steps) {
      if (!last) break;
      last = step.kind == BrowserStep::Kind::Load ? tab.load(step.text) : tab.run(step.text);
    }
    kill_chromium(pid, profile.path());
  }
  ::close(to_browser[0]);
  ::close(from_browser[0]);
  return last;
}

Result<std::string> chromium_page(const std::string& url, const std::optional<std::string>& login,
                                  std::chrono::seconds timeout) {
  return chromium_session({{BrowserStep::Kind::Load, url}}, login, timeout);
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
