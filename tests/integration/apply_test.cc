// End to end: the real wpfleet binary applies fleets onto real MariaDB, php-fpm and
// nginx, and the sites answer through nginx.
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "backends/local/names.h"
#include "harness.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

void write_text(const fs::path& path, const std::string& text) {
  ASSERT_TRUE(write_file_atomic(path, text, 0644).ok());
}

// One platform and one applied example fleet shared by the tests of this suite.
class ExampleFleet : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    std::string example = read_text(fs::path(WPFLEET_SOURCE_DIR) / "examples" / "bbws.toml");
    start_fleet(std::regex_replace(example, std::regex("127\\.0\\.0\\.1:8080"),
                                   "127.0.0.1:" + std::to_string(port_)));
  }


  // A tenant's secret, or with an empty tenant the environment's.
  static std::string secret(const std::string& tenant, const std::string& env,
                            const std::string& name) {
    std::vector<std::string> args = {"secret", "get", "-e", env, name};
    if (!tenant.empty()) args.insert(args.begin() + 2, tenant);
    CliResult got = wpfleet(args);
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return got.out.substr(0, got.out.find('\n'));
  }

  static std::uint16_t port_;
};

std::uint16_t ExampleFleet::port_ = 0;

TEST_F(ExampleFleet, EveryTenantAnswers200WithItsOwnTitle) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"goldencrust.wpdev.localhost", "Golden Crust Bakery"},
      {"sterlinglaw.wpdev.localhost", "Sterling Law"},
      {"bbwstrustedservice.wpdev.localhost", "BBWS Trusted Service"},
      {"goldencrust.wpsit.localhost", "Golden Crust Bakery"},
      {"tenant1.wpsit.localhost", "Tenant One"}};
  const std::string sit_login = "bbws-sit:" + secret("", "sit", "basic-auth-password");
  for (const auto& [host, title] : expected) {
    const bool sit = host.find(".wpsit.") != std::string::npos;
    HttpRequest request;
    request.url = "http://" + host + ":" + std::to_string(port_) + "/";
    request.connect_to = "127.0.0.1";
    if (sit) {
      EXPECT_EQ(http_request(request)->status, 401) << host << " is behind basic auth";
      request.basic_auth = sit_login;
    }
    auto page = http_request(request);
    ASSERT_TRUE(page.ok()) << host;
    EXPECT_EQ(page->status, 200) << host;
    EXPECT_NE(page->body.find(title), std::string::npos) << host;
  }
  CliResult list = wpfleet({"tenant", "list", "--output", "json"});
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  const auto rows = nlohmann::json::parse(list.out);
  EXPECT_EQ(rows.size(), 17u);
  for (const auto& row : rows) EXPECT_TRUE(row["healthy"].get<bool>()) << row.dump();
}

TEST_F(ExampleFleet, SecondApplyIsANoOp) {
  CliResult plan = wpfleet({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_NE(plan.out.find("No changes"), std::string::npos);
  CliResult apply = wpfleet({"apply", "--yes"});
  EXPECT_EQ(apply.exit_code, 0);
  EXPECT_EQ(apply.err.find("created"), std::string::npos) << apply.err;
}

// Every one of the 17 sites, probed from inside its own pool and Unix user.
TEST_F(ExampleFleet, AuditFindsEveryTenantConfined) {
  CliResult audit = wpfleet({"audit"});
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  EXPECT_NE(audit.out.find("all 17 tenants are confined"), std::string::npos) << audit.out;
}

TEST_F(ExampleFleet, NonProductionSitesAreHiddenFromSearchEngines) {
  HttpResponse robots = http_get("goldencrust.wpdev.localhost", port_, "/robots.txt");
  EXPECT_EQ(robots.status, 200);
  EXPECT_NE(robots.body.find("Disallow: /"), std::string::npos) << robots.body;
}

TEST_F(ExampleFleet, TenantCredentialsCannotReadAnotherTenantsDatabase) {
  MysqlEndpoint a;
  a.socket = (state() / "mariadb" / "mysqld.sock").string();
  a.user = "dev_goldencrust_user";
  a.password = secret("goldencrust", "dev", "db-password");
  auto client = MysqlClient::connect(a);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_TRUE((*client)->query("SELECT COUNT(*) FROM dev_goldencrust_db.wp_options").ok());
  EXPECT_FALSE((*client)->query("SELECT COUNT(*) FROM dev_sunsetbistro_db.wp_options").ok());
  EXPECT_FALSE((*client)->query("SELECT COUNT(*) FROM sit_goldencrust_db.wp_options").ok());
  EXPECT_FALSE((*client)->query("SELECT User FROM mysql.user").ok());
}

// WordPress's own Site Health test of the PHP modules it recommends (curl, dom, exif,
// imagick, intl, mbstring, zip, ...), run inside a tenant's pool: every one is there.
TEST_F(ExampleFleet, SiteHealthFindsEveryRecommendedPhpModule) {
  const fs::path mu = state() / "sites" / "dev" / "tenant2" / "wp-content" / "mu-plugins";
  const TenantUser owner = tenant_user(state(), "dev", "tenant2");
  ASSERT_EQ(run_as(owner, [&] {
              std::error_code ec;
              fs::create_directories(mu, ec);
              return write_file_atomic(mu / "health.php", R"php(<?php
add_action('init', function () {
    if (!isset($_GET['php-modules'])) return;
    require_once ABSPATH . 'wp-admin/includes/class-wp-site-health.php';
    $test = WP_Site_Health::get_instance()->get_test_php_extensions();
    exit($test['status'] . ': ' . wp_strip_all_tags($test['description']));
});
)php") ? 0 : 1;
            }),
            0);
  HttpResponse health = http_get("tenant2.wpdev.localhost", port_, "/?php-modules=1");
  EXPECT_EQ(health.body.rfind("good: ", 0), 0u) << health.body.substr(0, 600);
  fs::remove(mu / "health.php");
}

TEST_F(ExampleFleet, TenantPhpCannotReadAnotherTenantsConfig) {
  // A must-use plugin in goldencrust's own wp-content tries to read sunsetbistro's files.
  const fs::path victim = state() / "sites" / "dev" / "sunsetbistro";
  const fs::path mu = state() / "sites" / "dev" / "goldencrust" / "wp-content" / "mu-plugins";
  fs::create_directories(mu);
  write_text(mu / "probe.php",
             "<?php if (isset($_GET['probe'])) { $r = @file_get_contents('" +
                 (victim / "wp-config.php").string() +
                 "'); echo $r === false ? 'PROBE-DENIED' : 'PROBE-READ'; exit; }\n");
  HttpResponse own = http_get("goldencrust.wpdev.localhost", port_, "/?probe=1");
  EXPECT_EQ(own.status, 200);
  EXPECT_NE(own.body.find("PROBE-DENIED"), std::string::npos) << own.body.substr(0, 300);
  fs::remove(mu / "probe.php");

  if (geteuid() != 0) GTEST_SKIP() << "Unix-user isolation needs root";
  // Without open_basedir, the Unix permissions alone still keep the tenant out.
  CliResult show = wpfleet({"tenant", "show", "goldencrust", "-e", "dev", "--output", "json"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(show.out, m, std::regex("\"unix_user\": \"(wpf_[0-9a-f]+)\"")))
      << show.out;
  struct passwd* pw = getpwnam(m[1].str().c_str());
  ASSERT_NE(pw, nullptr);
  CommandSpec cat;
  cat.argv = {"cat", (victim / "wp-config.php").string()};
  cat.run_as = RunAs{pw->pw_uid, pw->pw_gid};
  auto out = run_command(cat);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->exit_code, 0);
  EXPECT_EQ(out->out.find("DB_PASSWORD"), std::string::npos);
}

TEST_F(ExampleFleet, CronRunExecutesDueEventsAsTheTenant) {
  const fs::path content = state() / "sites" / "dev" / "sunsetbistro" / "wp-content";
  fs::create_directories(content / "mu-plugins");
  write_text(content / "mu-plugins" / "cron-probe.php",
             "<?php\nadd_action('wpfleet_probe', function () {\n"
             "  file_put_contents(WP_CONTENT_DIR . '/uploads/cron-probe.txt', 'ran');\n});\n"
             "if (!wp_next_scheduled('wpfleet_probe')) "
             "wp_schedule_single_event(time() - 60, 'wpfleet_probe');\n");
  const fs::path marker = content / "uploads" / "cron-probe.txt";
  // A page view loads the plugin, which schedules the event; serving the page must not
  // run it (WordPress's HTTP cron is off).
  EXPECT_EQ(http_get("sunsetbistro.wpdev.localhost", port_).status, 200);
  EXPECT_FALSE(fs::exists(marker));
  CliResult cron = wpfleet({"cron", "run"});
  EXPECT_EQ(cron.exit_code, 0) << cron.err;
  EXPECT_EQ(read_text(marker), "ran");
  fs::remove(content / "mu-plugins" / "cron-probe.php");
}

TEST_F(ExampleFleet, KilledPhpFpmAndMariadbAreRecoveredBySupervisor) {
  for (const std::string service : {"php-fpm", "mariadb"}) {
    const auto status = nlohmann::json::parse(wpfleet({"status", "--output", "json"}).out);
    pid_t pid = 0;
    for (const auto& s : status["services"]) {
      if (s["name"] == service) pid = s["pid"].get<pid_t>();
    }
    ASSERT_GT(pid, 1) << service << ": " << status.dump();
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    EXPECT_TRUE(eventually(30, [&] {
      return http_get("goldencrust.wpdev.localhost", port_).status == 200;
    })) << "not recovered after kill -9 of " << service;
  }
}

TEST_F(ExampleFleet, DeleteLeavesNoTrace) {
  const std::string unix_user = local::unix_user(StateLayout{state()}, "dev", "lenslight");
  ASSERT_NE(getgrnam(unix_user.c_str()), nullptr);
  // A process of the tenant's (a cron run, a worker finishing a request) made userdel refuse.
  const pid_t busy = start_as(tenant_user(state(), "dev", "lenslight"), [] {
    ::sleep(300);
    return 0;
  });
  CliResult del = wpfleet({"tenant", "delete", "lenslight", "-e", "dev", "--yes"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  int status = 0;
  EXPECT_EQ(::waitpid(busy, &status, 0), busy);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the tenant's process outlived its user";
  EXPECT_EQ(getpwnam(unix_user.c_str()), nullptr);
  // nginx's user is a member of the tenant's group, which must not keep it alive.
  EXPECT_EQ(getgrnam(unix_user.c_str()), nullptr);
  EXPECT_FALSE(fs::exists(state() / "sites" / "dev" / "lenslight"));
  EXPECT_FALSE(fs::exists(state() / "php-fpm" / "pools" / "dev--lenslight.conf"));
  EXPECT_FALSE(fs::exists(state() / "nginx" / "sites" / "dev--lenslight.conf"));
  EXPECT_EQ(wpfleet({"secret", "get", "lenslight", "-e", "dev", "db-password"}).exit_code, 3);
  auto client = mariadb_root(state());
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto dbs = (*client)->query("SHOW DATABASES LIKE 'dev_lenslight%'");
  ASSERT_TRUE(dbs.ok());
  EXPECT_TRUE(dbs->empty());
  auto users = (*client)->query("SELECT User FROM mysql.user WHERE User LIKE 'dev_lenslight%'");
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->empty());
  EXPECT_NE(http_get("lenslight.wpdev.localhost", port_).status, 200);
  // It is still in the fleet file: plan wants it back.
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 2);
}

}  // namespace
}  // namespace wpfleet::testing
