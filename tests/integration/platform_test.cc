// The local platform against the real servers from Debian: MariaDB, php-fpm and nginx
// started by a real `wpfleet supervise` in a temporary state directory.
#include "platform/platform.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include "harness.h"
#include "state/secret_store.h"
#include "state/store.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet {
namespace {

using testing::eventually;
using testing::free_port;
using testing::http_get;
using testing::TempDir;

constexpr char kNoTenant[] = "no wpfleet tenant answers to this host name\n";

// A platform in its own state directory, stopped when the test ends whatever happened.
class TestPlatform {
 public:
  TestPlatform() : port_(free_port()) { layout_.root = dir_.path() / "state"; }
  ~TestPlatform() { (void)platform_down(layout_, nullptr); }

  Status up(std::vector<ListenAddress> listen = {}) {
    if (listen.empty()) listen = {address()};
    progress_.clear();
    return platform_up(layout_, PlatformOptions{WPFLEET_BINARY, listen, {}},
                       [this](const std::string& line) { progress_.push_back(line); });
  }

  // Starts the platform and says how long that took, for the record.
  void up_timed(const std::string& what) {
    auto started = std::chrono::steady_clock::now();
    Status status = up();
    ASSERT_TRUE(status.ok()) << status.error().message;
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::cout << "[ timing   ] platform_up, " << what << ": " << took.count() << " s\n";
  }

  ServiceState service(Service which) const {
    Result<PlatformStatus> status = platform_status(layout_);
    EXPECT_TRUE(status.ok());
    for (const ServiceState& state : status->services) {
      if (state.service == which) return state;
    }
    return ServiceState{which};
  }

  pid_t supervisor_pid() const { return platform_status(layout_)->supervisor_pid; }

  // Logs in as root over the socket with the password from the secret store.
  Status root_connects() const {
    TRY_ASSIGN(std::unique_ptr<StateStore> store, StateStore::open(layout_.state_db()));
    TRY_ASSIGN(SecretStore secrets, SecretStore::open(*store, layout_.secret_key()));
    TRY_ASSIGN(MysqlEndpoint endpoint, mariadb_root_endpoint(layout_, secrets));
    TRY_ASSIGN(std::unique_ptr<MysqlClient> client, MysqlClient::connect(endpoint));
    return client->execute("SELECT 1");
  }

  ListenAddress address() const { return ListenAddress{"127.0.0.1", port_}; }
  const StateLayout& layout() const { return layout_; }
  std::uint16_t port() const { return port_; }
  const std::vector<std::string>& progress() const { return progress_; }

 private:
  TempDir dir_;
  std::uint16_t port_;
  StateLayout layout_;
  std::vector<std::string> progress_;
};

bool contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// Kills a server's master with SIGKILL and waits until the supervisor has a new one
// running.
void expect_recovers_from_kill(TestPlatform& platform, Service service) {
  ServiceState before = platform.service(service);
  ASSERT_TRUE(before.running);
  ASSERT_EQ(::kill(before.pid, SIGKILL), 0);
  bool recovered = eventually(20, [&] {
    ServiceState now = platform.service(service);
    return now.running && now.pid != before.pid;
  });
  ASSERT_TRUE(recovered) << service_name(service) << " was not restarted";
  EXPECT_EQ(platform.service(service).restarts, before.restarts + 1);
}

// One platform shared by the checks that do not need their own: starting the servers
// takes seconds.
class RunningPlatform : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    platform_ = new TestPlatform;
    platform_->up_timed("cold first start");
  }
  static void TearDownTestSuite() {
    delete platform_;  // stops it
    platform_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(require_platform_up(platform_->layout()).ok()); }

  static TestPlatform* platform_;
};

TestPlatform* RunningPlatform::platform_ = nullptr;

TEST_F(RunningPlatform, RunsEveryServiceAndReportedProgress) {
  Result<PlatformStatus> status = platform_status(platform_->layout());
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(status->supervisor_running);
  EXPECT_EQ(status->isolated_users, ::geteuid() == 0);
  ASSERT_EQ(status->services.size(), 3u);
  for (const ServiceState& state : status->services) {
    EXPECT_TRUE(state.running) << service_name(state.service);
    EXPECT_TRUE(process_alive(state.pid)) << service_name(state.service);
  }
  EXPECT_TRUE(require_platform_up(platform_->layout()).ok());
}

TEST_F(RunningPlatform, MariaDbTakesTheRootPasswordFromTheSecretStore) {
  Status connected = platform_->root_connects();
  EXPECT_TRUE(connected.ok()) << connected.error().message;
}

TEST_F(RunningPlatform, OtherUsersCanReachTheMariaDbSocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as another user";
  CommandSpec ping;
  ping.argv = {"mariadb-admin", "--no-defaults",
               "--socket=" + platform_->layout().mariadb_socket().string(), "ping"};
  ping.run_as = RunAs{65534, 65534};  // nobody: like a tenant's PHP
  Result<CommandOutput> output = run_command(ping);
  ASSERT_TRUE(output.ok()) << output.error().message;
  // Without credentials MariaDB refuses the login, which mariadb-admin reports as alive.
  EXPECT_EQ(output->exit_code, 0) << output->out << output->err;
}

TEST_F(RunningPlatform, UnknownHostGetsNotFoundFromNginx) {
  testing::HttpResponse response = http_get("nobody.wpdev.localhost", platform_->port());
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, kNoTenant);
}

TEST_F(RunningPlatform, UpAgainIsANoOp) {
  pid_t supervisor = platform_->supervisor_pid();
  pid_t nginx = platform_->service(Service::Nginx).pid;
  Status again = platform_->up();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(platform_->supervisor_pid(), supervisor);
  EXPECT_EQ(platform_->service(Service::Nginx).pid, nginx);
  EXPECT_TRUE(platform_->progress().empty());
}

TEST_F(RunningPlatform, RecoversFromKilledMariaDb) {
  expect_recovers_from_kill(*platform_, Service::MariaDB);
  Status connected = platform_->root_connects();
  EXPECT_TRUE(connected.ok()) << connected.error().message;
}

TEST_F(RunningPlatform, RecoversFromKilledPhpFpmMaster) {
  expect_recovers_from_kill(*platform_, Service::PhpFpm);
}

TEST_F(RunningPlatform, RecoversFromKilledNginxMaster) {
  // Its workers outlive it holding the port: the supervisor must kill them too.
  expect_recovers_from_kill(*platform_, Service::Nginx);
  EXPECT_TRUE(
      eventually(5, [] { return http_get("nobody.localhost", platform_->port()).status == 404; }));
}

TEST_F(RunningPlatform, UpWithAnotherListenAddressReloadsNginx) {
  const ListenAddress second{"127.0.0.1", free_port()};
  pid_t nginx = platform_->service(Service::Nginx).pid;
  Status up = platform_->up({platform_->address(), second});
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_TRUE(contains(platform_->progress(), "reloading nginx…"));
  EXPECT_EQ(http_get("nobody.localhost", second.port).status, 404);
  EXPECT_EQ(platform_->service(Service::Nginx).pid, nginx);

  up = platform_->up();  // and back
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_TRUE(eventually(5, [&] { return http_get("nobody.localhost", second.port).status == 0; }));
}

TEST_F(RunningPlatform, InvalidNginxConfigurationIsNotLoaded) {
  const auto broken = platform_->layout().nginx_sites() / "broken.conf";
  std::ofstream(broken) << "server { listen 127.0.0.1:1 no_such_parameter; }\n";
  Status reloaded = reload_service(platform_->layout(), Service::Nginx);
  std::filesystem::remove(broken);
  ASSERT_FALSE(reloaded.ok());
  EXPECT_NE(reloaded.error().message.find("invalid"), std::string::npos)
      << reloaded.error().message;
  EXPECT_NE(reloaded.error().message.find("no_such_parameter"), std::string::npos)
      << reloaded.error().message;
  EXPECT_EQ(http_get("nobody.localhost", platform_->port()).status, 404);
}

TEST_F(RunningPlatform, ReloadsPhpFpmInPlace) {
  pid_t master = platform_->service(Service::PhpFpm).pid;
  Status reloaded = reload_service(platform_->layout(), Service::PhpFpm);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message;
  EXPECT_EQ(platform_->service(Service::PhpFpm).pid, master);
  EXPECT_TRUE(platform_->service(Service::PhpFpm).running);
}

TEST(Platform, PortInUseFailsBeforeAnythingStarts) {
  TestPlatform platform;
  int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(platform.port());
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);

  Status up = platform.up();
  ::close(blocker);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().message, platform.address().to_string() +
                                    " is already in use by another program: stop it, or "
                                    "change `listen` in the fleet file");
  EXPECT_FALSE(platform_status(platform.layout())->supervisor_running);
  EXPECT_FALSE(std::filesystem::exists(platform.layout().mariadb_dir()));
}

TEST(Platform, RequireUpNamesTheFix) {
  TestPlatform platform;
  Status required = require_platform_up(platform.layout());
  ASSERT_FALSE(required.ok());
  EXPECT_EQ(required.error().message, "the local platform is not running: run `wpfleet up`");
  EXPECT_TRUE(platform_down(platform.layout(), nullptr).ok());  // nothing to stop is fine
}

TEST(Platform, DownStopsEverythingAndUpReusesTheData) {
  TestPlatform platform;
  platform.up_timed("cold first start");
  ASSERT_TRUE(contains(platform.progress(), "starting MariaDB…"));
  std::vector<pid_t> pids{platform.supervisor_pid()};
  for (Service service : {Service::MariaDB, Service::PhpFpm, Service::Nginx}) {
    pids.push_back(platform.service(service).pid);
  }

  ASSERT_TRUE(platform_down(platform.layout(), nullptr).ok());
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << pid;
  EXPECT_FALSE(platform_status(platform.layout())->supervisor_running);
  EXPECT_FALSE(require_platform_up(platform.layout()).ok());
  EXPECT_EQ(http_get("nobody.localhost", platform.port()).status, 0);

  platform.up_timed("warm start");
  EXPECT_FALSE(contains(platform.progress(), "initialising the MariaDB data directory…"));
  EXPECT_FALSE(contains(platform.progress(), "copying WordPress core…"));
  Status connected = platform.root_connects();
  EXPECT_TRUE(connected.ok()) << connected.error().message;
}

}  // namespace
}  // namespace wpfleet
