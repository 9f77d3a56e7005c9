// What integration tests share: a temporary state directory, free loopback ports,
// running the real wpfleet binary, and HTTP requests to the nginx it started.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <gtest/gtest.h>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/types.h>
#include <string>
#include <vector>

#include "util/mysql_client.h"

namespace wpfleet::testing {

// A fresh directory under /tmp, removed at the end unless WPFLEET_KEEP_TEST_DIRS is set.
// It is made traversable (0711) so that tenant users and the mysql user can reach
// their subdirectories when the tests run as root.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that nothing listens on right now.
std::uint16_t free_port();

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the wpfleet binary under test with `args`, in `cwd` (default: current dir), as
// the user `as_uid` when given (the tests run as root).
CliResult run_wpfleet(const std::vector<std::string>& args, const std::string& cwd = "",
                      std::optional<uid_t> as_uid = std::nullopt);

struct HttpResponse {
  long status = 0;           // 0 when the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

// GET http://HOST:PORT/PATH, connecting to 127.0.0.1 whatever HOST resolves to.
HttpResponse http_get(const std::string& host, std::uint16_t port, const std::string& path = "/");

// Logs in as WordPress's admin at http://HOST:PORT/wp-login.php (through the edge, on
// 127.0.0.1): WordPress answers a good password with a redirect to wp-admin and the
// logged-in cookie, a bad one with the form again.
bool admin_login_works(const std::string& host, std::uint16_t port, const std::string& password);

// A fleet file for tests: `tenants` in env "dev" (and those in `sit_tenants` also in
// "sit"), both environments listening on 127.0.0.1:port.
std::string test_fleet(std::uint16_t port, const std::vector<std::string>& tenants,
                       const std::vector<std::string>& sit_tenants = {});

// Deletes every tenant of the fleet file (so that tests leave no Unix users, databases
// or files behind: `down` alone keeps data, as it should) and stops the platform. The
// fleet file keeps only its environments.
void destroy_fleet(const std::filesystem::path& fleet_file,
                   std::optional<uid_t> as_uid = std::nullopt);

// A test suite that shares one temporary state, platform and applied fleet: its
// SetUpTestSuite calls start_fleet(); the base deletes every tenant and stops the
// platform after the suite.
class FleetSuite : public ::testing::Test {
 protected:
  // Writes `fleet_text` as the fleet file, starts the platform and applies the fleet.
  static void start_fleet(const std::string& fleet_text);
  static void TearDownTestSuite();
  static std::filesystem::path fleet();
  static std::filesystem::path state();
  // wpfleet with `-f` the suite's fleet file.
  static CliResult wpfleet(std::vector<std::string> args);
  // The secret `wpfleet secret get ARGS` prints (its first line).
  static std::string secret(const std::vector<std::string>& args);

 private:
  static TempDir* dir_;
};

// MariaDB's root, with the password from the state directory's secret store.
Result<std::unique_ptr<MysqlClient>> mariadb_root(const std::filesystem::path& state);

// Everything a visitor could see of a tenant: every table's checksum (options without
// WordPress's own cron and caches) and every regular file with its size.
std::string content_checksum(const std::filesystem::path& state, const std::string& env,
                             const std::string& tenant);

// A tenant's Unix user (the tests run as root, with a user per tenant and environment).
struct TenantUser {
  uid_t uid;
  gid_t gid;
};
TenantUser tenant_user(const std::filesystem::path& state, const std::string& env,
                       const std::string& tenant);

// Forks a process that runs `body` as `user` (what code that escaped PHP would be) and
// returns its pid at once.
pid_t start_as(const TenantUser& user, const std::function<int()>& body);
// The same, waiting for it: what `body` returned (-1 if it did not exit).
int run_as(const TenantUser& user, const std::function<int()>& body);

// A test with a fleet of its own (a temporary state, a port), deleted after the test;
// for tests that start, kill and restart things rather than share a running fleet.
class OwnFleetTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::filesystem::path fleet() const { return dir_.path() / "fleet.toml"; }
  std::filesystem::path state() const { return dir_.path() / ".wpfleet"; }
  // The test fleet (see test_fleet) on this test's port.
  void write_fleet(const std::vector<std::string>& tenants,
                   const std::vector<std::string>& sit_tenants = {});
  // wpfleet with `-f` this test's fleet file.
  CliResult wpfleet(std::vector<std::string> args) const;
  // Starts `wpfleet ARGS` in the background with its output in `log`.
  pid_t start(std::vector<std::string> args, const std::filesystem::path& log) const;
  // The exit code of `pid`, or minus the signal that ended it.
  static int wait_exit(pid_t pid);
  // The file's text, or "" when it cannot be read.
  static std::string read_text(const std::filesystem::path& path);
  bool answers(const std::string& host) const;

  TempDir dir_;
  std::uint16_t port_ = 0;
};

// Headless Chromium (Debian's `chromium`) as a visitor's browser, driven over the
// DevTools protocol: loads `url` and returns the page's HTML once it has loaded. A
// password prompt (basic auth) is answered with `login` ("user:password"), or without
// one is cancelled, as a visitor who has no password does; headless Chromium would
// otherwise fail the page at once. An Error carries Chromium's reason when the page did
// not load (net::ERR_INVALID_RESPONSE, ...) or says it timed out. Each run has a fresh
// profile; Chromium and everything it started are killed afterwards.
Result<std::string> chromium_page(const std::string& url,
                                  const std::optional<std::string>& login = std::nullopt,
                                  std::chrono::seconds timeout = std::chrono::seconds(60));
bool chromium_installed();

// The same browser through several steps in one tab (its cookies and password kept):
// load a URL, or run a script in the page (a promise it returns is awaited). The result
// is the last step's: the page's HTML, or the script's value (JSON unless a string).
struct BrowserStep {
  enum class Kind { Load, Script } kind;
  std::string text;
};
Result<std::string> chromium_session(const std::vector<BrowserStep>& steps,
                                     const std::optional<std::string>& login = std::nullopt,
                                     std::chrono::seconds timeout = std::chrono::seconds(60));

// Poll `condition` every 100 ms until it is true or `seconds` pass.
bool eventually(double seconds, const std::function<bool()>& condition);

}  // namespace wpfleet::testing
