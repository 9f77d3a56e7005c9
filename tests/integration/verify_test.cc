// `wpfleet verify` and `wpfleet logs` against a real platform: everything passes after
// apply; a stopped pool, a revoked grant and unwritable storage each fail the right
// check with the next step to take, and `apply` repairs them.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "harness.h"
#include "util/fs.h"
#include "util/mysql_client.h"
#include "util/process.h"
#include "util/tls.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string listen_line(std::uint16_t port) {
  return "listen = \"127.0.0.1:" + std::to_string(port) + "\"\n";
}

// dev without basic auth and sit behind it (the user's SIT CloudFront) on one port; uat
// with TLS on another. alpha and beta run in dev and sit, alpha also in uat.
std::string verify_fleet(std::uint16_t port, std::uint16_t tls_port) {
  std::string text =
      "[environments.dev]\nbackend = \"local\"\ndomain = \"{tenant}.wpdev.localhost\"\n" +
      listen_line(port) +
      "\n[environments.sit]\nbackend = \"local\"\ndomain = \"{tenant}.wpsit.localhost\"\n" +
      listen_line(port) + "basic_auth = { user = \"bbws-sit\" }\n" +
      "\n[environments.uat]\nbackend = \"local\"\ndomain = \"{tenant}.wpuat.localhost\"\n" +
      listen_line(tls_port) + "tls = true\n";
  for (const std::string id : {"alpha", "beta"}) {
    text += "\n[[tenants]]\nid = \"" + id + "\"\ntitle = \"Site of " + id +
            "\"\nadmin_email = \"admin@" + id + ".example\"\nenvironments = [\"dev\", \"sit\"" +
            (id == "alpha" ? ", \"uat\"]\n" : "]\n");
  }
  return text;
}

// A second free port, distinct from `taken`.
std::uint16_t another_free_port(std::uint16_t taken) {
  std::uint16_t port = free_port();
  while (port == taken) port = free_port();
  return port;
}

std::string read_text(const fs::path& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

struct Verification {
  int exit_code = -1;
  json report;  // null when stdout was not JSON
  std::string err;
};

// The named check of one tenant in a verify report (null when absent).
json check_of(const json& report, const std::string& env, const std::string& tenant,
              const std::string& name) {
  if (!report.is_object()) return nullptr;
  for (const auto& t : report["tenants"]) {
    if (t["env"] != env || t["tenant"] != tenant) continue;
    for (const auto& check : t["checks"]) {
      if (check["name"] == name) return check;
    }
  }
  return nullptr;
}

bool tenant_ok(const json& report, const std::string& env, const std::string& tenant) {
  if (!report.is_object()) return false;
  for (const auto& t : report["tenants"]) {
    if (t["env"] == env && t["tenant"] == tenant) return t["ok"].get<bool>();
  }
  return false;
}

// One platform with the fleet applied, shared by the tests of this suite. Each test
// that breaks something repairs it with `apply` before it ends.
class Verify : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(verify_fleet(port_, another_free_port(port_)));
  }

  static Verification verify(std::vector<std::string> args = {}) {
    args.insert(args.begin(), "verify");
    args.insert(args.end(), {"--output", "json"});
    CliResult result = wpfleet(args);
    return {result.exit_code, json::parse(result.out, nullptr, false), result.err};
  }

  // Verify reports this tenant failing `check` (retried while a server reloads).
  static bool eventually_fails(const std::string& env, const std::string& tenant,
                               const std::string& check) {
    return eventually(30, [&] {
      Verification v = verify({tenant, "-e", env});
      const json c = check_of(v.report, env, tenant, check);
      return v.exit_code == 1 && c.is_object() && !c["ok"].get<bool>();
    });
  }

  static void expect_repaired_by_apply(const std::string& env, const std::string& tenant) {
    CliResult apply = wpfleet({"apply", "--yes"});
    EXPECT_EQ(apply.exit_code, 0) << apply.err;
    Verification after = verify({tenant, "-e", env});
    EXPECT_EQ(after.exit_code, 0) << after.report.dump(2) << after.err;
    EXPECT_TRUE(tenant_ok(after.report, env, tenant)) << after.report.dump(2);
  }

  // Rewrites a file the platform made, keeping its mode.
  static void replace_file(const fs::path& path, const std::string& text) {
    const auto mode = static_cast<mode_t>(fs::status(path).permissions());
    ASSERT_TRUE(write_file_atomic(path, text, mode).ok()) << path;
  }

  static pid_t service_pid(const std::string& name) {
    const auto status = json::parse(wpfleet({"status", "--output", "json"}).out, nullptr, false);
    if (!status.is_object()) return 0;
    for (const auto& s : status["services"]) {
      if (s["name"] == name) return s["pid"].get<pid_t>();
    }
    return 0;
  }

  static std::uint16_t port_;
};

std::uint16_t Verify::port_ = 0;

TEST_F(Verify, EveryCheckPassesAfterApply) {
  Verification v = verify();
  ASSERT_EQ(v.exit_code, 0) << v.report.dump(2) << v.err;
  EXPECT_TRUE(v.report["ok"].get<bool>());
  ASSERT_EQ(v.report["tenants"].size(), 5u) << v.report.dump(2);
  for (const auto& tenant : v.report["tenants"]) {
    EXPECT_TRUE(tenant["ok"].get<bool>()) << tenant.dump(2);
    ASSERT_EQ(tenant["checks"].size(), 7u) << tenant.dump(2);
    for (const auto& check : tenant["checks"]) {
      EXPECT_TRUE(check["ok"].get<bool>())
          << tenant["env"] << "/" << tenant["tenant"] << " " << check.dump();
    }
    EXPECT_TRUE(tenant["recent_errors"].contains("php-error")) << tenant.dump(2);
    EXPECT_TRUE(tenant["recent_errors"].contains("nginx-error")) << tenant.dump(2);
  }
  // Behind basic auth the edge check saw both the 401 and the page with the password.
  const json sit_edge = check_of(v.report, "sit", "alpha", "edge");
  EXPECT_NE(sit_edge["detail"].get<std::string>().find("401 without"), std::string::npos)
      << sit_edge.dump();

  CliResult table = wpfleet({"verify", "-e", "dev"});
  EXPECT_EQ(table.exit_code, 0) << table.out << table.err;
  EXPECT_NE(table.out.find("all 2 tenants pass every check"), std::string::npos) << table.out;
}

TEST_F(Verify, UnknownTenantOrEnvironmentIsInvalidInput) {
  EXPECT_EQ(wpfleet({"verify", "nosuch"}).exit_code, 3);
  CliResult env = wpfleet({"verify", "-e", "prod"});
  EXPECT_EQ(env.exit_code, 3);
  EXPECT_NE(env.err.find("unknown environment 'prod'"), std::string::npos) << env.err;
  EXPECT_EQ(wpfleet({"logs", "alpha", "-e", "prod"}).exit_code, 3);
  EXPECT_EQ(wpfleet({"logs", "nosuch", "-e", "dev"}).exit_code, 3);
}

TEST_F(Verify, TenantNotAppliedYetSaysToApply) {
  const std::string applied = read_text(fleet());
  ASSERT_TRUE(write_file_atomic(fleet(), applied +
                                             "\n[[tenants]]\nid = \"gamma\"\ntitle = \"Gamma\"\n"
                                             "admin_email = \"admin@gamma.example\"\n"
                                             "environments = [\"dev\"]\n")
                  .ok());
  Verification v = verify({"gamma"});
  ASSERT_TRUE(write_file_atomic(fleet(), applied).ok());
  EXPECT_EQ(v.exit_code, 1) << v.err;
  ASSERT_EQ(v.report["tenants"].size(), 1u) << v.report.dump(2);
  const json& checks = v.report["tenants"][0]["checks"];
  ASSERT_EQ(checks.size(), 1u) << checks.dump(2);
  EXPECT_EQ(checks[0]["name"], "applied");
  EXPECT_NE(checks[0]["fix"].get<std::string>().find("wpfleet apply"), std::string::npos);
}

TEST_F(Verify, StoppedPoolFailsRuntimeUntilApply) {
  ASSERT_TRUE(fs::remove(state() / "php-fpm" / "pools" / "dev--alpha.conf"));
  const pid_t php_fpm = service_pid("php-fpm");
  ASSERT_GT(php_fpm, 1);
  ASSERT_EQ(kill(php_fpm, SIGUSR2), 0);
  ASSERT_TRUE(eventually_fails("dev", "alpha", "runtime"));

  Verification v = verify({"-e", "dev"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_FALSE(v.report["ok"].get<bool>());
  const std::string fix = check_of(v.report, "dev", "alpha", "runtime")["fix"];
  EXPECT_NE(fix.find("wpfleet status"), std::string::npos) << fix;
  EXPECT_NE(fix.find("wpfleet apply"), std::string::npos) << fix;
  EXPECT_TRUE(tenant_ok(v.report, "dev", "beta")) << v.report.dump(2);

  // The table names the failing check, what to do, and shows the recent errors.
  CliResult table = wpfleet({"verify", "alpha", "-e", "dev"});
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("runtime"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("next: check `wpfleet status -f " + fleet().string() + "`"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("recent errors of dev/alpha"), std::string::npos) << table.out;

  expect_repaired_by_apply("dev", "alpha");
}

TEST_F(Verify, RevokedGrantFailsDatabaseUntilApply) {
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok()) << root.error().message;
  ASSERT_TRUE((*root)
                  ->execute("REVOKE ALL PRIVILEGES ON `dev\\_alpha\\_db`.* FROM "
                            "'dev_alpha_user'@'localhost'")
                  .ok());
  ASSERT_TRUE(eventually_fails("dev", "alpha", "database"));

  const json check = check_of(verify({"alpha", "-e", "dev"}).report, "dev", "alpha", "database");
  EXPECT_NE(check["detail"].get<std::string>().find("denied"), std::string::npos) << check.dump();
  EXPECT_NE(check["fix"].get<std::string>().find("wpfleet apply"), std::string::npos)
      << check.dump();

  expect_repaired_by_apply("dev", "alpha");
}

TEST_F(Verify, UnwritableStorageFailsUntilApply) {
  const fs::path content = state() / "sites" / "sit" / "beta" / "wp-content";
  ASSERT_EQ(chmod(content.c_str(), 0555), 0);
  if (geteuid() == 0) {
    ASSERT_EQ(chown(content.c_str(), 0, 0), 0);
  }
  ASSERT_TRUE(eventually_fails("sit", "beta", "storage"));

  const json check = check_of(verify({"beta", "-e", "sit"}).report, "sit", "beta", "storage");
  EXPECT_NE(check["detail"].get<std::string>().find("wp-content"), std::string::npos)
      << check.dump();
  EXPECT_NE(check["fix"].get<std::string>().find("wpfleet apply"), std::string::npos)
      << check.dump();

  expect_repaired_by_apply("sit", "beta");
}

TEST_F(Verify, EdgeThatLetsEveryoneInFailsTheEdgeCheck) {
  const fs::path site = state() / "nginx" / "sites" / "sit--alpha.conf";
  const std::string original = read_text(site);
  const std::string open =
      std::regex_replace(original, std::regex("  if \\(\\$wpf_gate = \"0\"\\) \\{ return 418; \\}\n"), "");
  ASSERT_NE(open, original) << "no basic auth gate in " << site;
  const pid_t nginx = service_pid("nginx");
  ASSERT_GT(nginx, 1);
  replace_file(site, open);
  ASSERT_EQ(kill(nginx, SIGHUP), 0);
  ASSERT_TRUE(eventually_fails("sit", "alpha", "edge"));

  const json check = check_of(verify({"alpha", "-e", "sit"}).report, "sit", "alpha", "edge");
  EXPECT_NE(check["detail"].get<std::string>().find("basic auth is not enforced"),
            std::string::npos)
      << check.dump();
  EXPECT_NE(check["fix"].get<std::string>().find("wpfleet apply"), std::string::npos)
      << check.dump();

  replace_file(site, original);
  ASSERT_EQ(kill(nginx, SIGHUP), 0);
  EXPECT_TRUE(eventually(30, [&] { return verify({"alpha", "-e", "sit"}).exit_code == 0; }));
}

TEST_F(Verify, CertificateNotSignedByTheWpfleetCaFailsTheEdgeCheck) {
  const fs::path ca = state() / "tls" / "ca.pem";
  const std::string original = read_text(ca);
  ASSERT_FALSE(original.empty()) << ca;
  auto foreign = make_certificate_authority("not wpfleet", 1);
  ASSERT_TRUE(foreign.ok()) << foreign.error().message;
  replace_file(ca, foreign->certificate_pem);
  Verification v = verify({"alpha", "-e", "uat"});
  replace_file(ca, original);

  EXPECT_EQ(v.exit_code, 1) << v.report.dump(2);
  const json check = check_of(v.report, "uat", "alpha", "edge");
  EXPECT_NE(check["detail"].get<std::string>().find("certificate"), std::string::npos)
      << check.dump();
  EXPECT_EQ(verify({"alpha", "-e", "uat"}).exit_code, 0);
}

TEST_F(Verify, LogsShowTheTenantsRequests) {
  ASSERT_EQ(http_get("alpha.wpdev.localhost", port_, "/?logs-probe=1").status, 200);
  // nginx writes its access log in buffers flushed every second.
  CliResult logs;
  auto shows_probe = [&](const std::string& source) {
    const auto line = logs.out.find(source);
    return line != std::string::npos && logs.out.find("logs-probe", line) != std::string::npos;
  };
  EXPECT_TRUE(eventually(5, [&] {
    logs = wpfleet({"logs", "alpha", "-e", "dev", "-n", "5"});
    return logs.exit_code == 0 && shows_probe("[php-access] ") && shows_probe("[nginx-access] ");
  })) << logs.out << logs.err;

  CliResult listed = wpfleet({"logs", "alpha", "-e", "dev", "--output", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json sources = json::parse(listed.out)["sources"];
  std::set<std::string> names;
  for (const auto& source : sources) {
    names.insert(source["name"].get<std::string>());
    EXPECT_TRUE(source["lines"].is_array()) << source.dump();
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"php-error", "php-access", "mail", "nginx-access", "nginx-error"}));

  EXPECT_EQ(wpfleet({"logs", "alpha", "-e", "dev", "--follow", "--output", "json"}).exit_code, 3);
}

TEST_F(Verify, LogsFollowPrintsNewLinesUntilTerminated) {
  const fs::path output = fleet().parent_path() / "follow.log";
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f",  fleet().string(), "logs", "beta",
               "-e",           "dev", "--follow",       "-n",   "1"};
  auto follower = spawn_child(spec, output.string());
  ASSERT_TRUE(follower.ok()) << follower.error().message;
  // Never leave it running when an assertion below ends the test early.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
    }
  } reaper{*follower};
  ASSERT_TRUE(eventually(10, [&] {
    return read_text(output).find("[php-error]") != std::string::npos;
  })) << read_text(output);
  EXPECT_EQ(read_text(output).find("follow-probe"), std::string::npos);

  ASSERT_EQ(http_get("beta.wpdev.localhost", port_, "/?follow-probe=1").status, 200);
  EXPECT_TRUE(eventually(10, [&] {
    const std::string text = read_text(output);
    return text.find("[php-access]") != std::string::npos &&
           text.find("follow-probe") != std::string::npos;
  })) << read_text(output);

  ASSERT_EQ(kill(*follower, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(*follower, &status, 0), *follower);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(VerifyWithoutPlatform, SaysToStartIt) {
  TempDir dir;
  const fs::path fleet = dir.path() / "fleet.toml";
  const std::uint16_t port = free_port();
  ASSERT_TRUE(write_file_atomic(fleet, verify_fleet(port, another_free_port(port))).ok());
  CliResult verify = run_wpfleet({"-f", fleet.string(), "verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.err.find("wpfleet up"), std::string::npos) << verify.err;
}

}  // namespace
}  // namespace wpfleet::testing
