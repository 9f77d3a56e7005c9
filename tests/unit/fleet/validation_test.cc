// One test per fleet-file rule: each names the exact line:column and checks that the
// message says how to fix the problem.
#include <gtest/gtest.h>

#include <sstream>

#include "fleet/parse.h"

namespace wpfleet {
namespace {

// Lines 1-3: a valid environment. Text appended to it starts on line 4.
const std::string kDev = R"([environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
)";

// Lines 1-6: two valid environments sharing one listen address; appended text starts on 7.
const std::string kDevAndSit = kDev + R"([environments.sit]
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:8080"
)";

// A valid tenant entry of five lines, [[tenants]] first; `extra` lines follow them.
std::string tenant(const std::string& id, const std::string& extra = "",
                   const std::string& environments = R"(["dev"])") {
  return "[[tenants]]\nid = \"" + id + "\"\ntitle = \"Golden Crust\"\nadmin_email = \"owner@" + id +
         ".example\"\nenvironments = " + environments + "\n" + extra;
}

// kDev plus one tenant (lines 4-8) whose line `key = ...` is replaced by `line`.
std::string dev_tenant_with(const std::string& key, const std::string& line) {
  std::string text = kDev + tenant("goldencrust");
  std::size_t start = text.find("\n" + key + " = ") + 1;
  return text.replace(start, text.find('\n', start) - start, line);
}

std::vector<std::string> problems_in(const std::string& text) {
  Result<Fleet> fleet = parse_fleet(text, "fleet.toml");
  std::vector<std::string> lines;
  if (fleet.ok()) return lines;
  std::istringstream message(fleet.error().message);
  for (std::string line; std::getline(message, line);) lines.push_back(line);
  return lines;
}

// `problem` is "LINE:COLUMN: what is wrong"; `fix` must appear after it, past the "; ".
testing::AssertionResult is_problem(const std::string& line, const std::string& problem,
                                    const std::string& fix) {
  std::string expected = "fleet.toml:" + problem;
  if (!line.starts_with(expected)) {
    return testing::AssertionFailure() << "\n  got: " << line << "\n  want prefix: " << expected;
  }
  std::size_t fix_at = line.find("; ", expected.size() - 1);
  if (fix_at == std::string::npos || line.find(fix, fix_at) == std::string::npos) {
    return testing::AssertionFailure() << "\n  got: " << line << "\n  want fix: " << fix;
  }
  return testing::AssertionSuccess();
}

testing::AssertionResult has_only_problem(const std::string& text, const std::string& problem,
                                          const std::string& fix) {
  std::vector<std::string> problems = problems_in(text);
  if (problems.size() != 1) {
    auto failure = testing::AssertionFailure() << problems.size() << " problems instead of 1:";
    for (const std::string& line : problems) failure << "\n  " << line;
    return failure;
  }
  return is_problem(problems[0], problem, fix);
}

// --- structure ---------------------------------------------------------------------------

TEST(FleetValidationTest, ValidTextHasNoProblems) {
  EXPECT_TRUE(problems_in(kDevAndSit + tenant("goldencrust")).empty());
}

TEST(FleetValidationTest, UnknownTopLevelKey) {
  EXPECT_TRUE(has_only_problem("colour = \"blue\"\n" + kDev,
                               "1:1: unknown key 'colour' at the top level",
                               "known keys are: alerts, environments, tenants"));
}

// --- alerts (top-level keys come before the first [table]) ---------------------------------

TEST(FleetValidationTest, AlertsAreWebhooksOrCommands) {
  auto fleet = parse_fleet(R"(alerts = [{ webhook = "https://hooks.slack.com/services/T/B/x" },
          { command = "/usr/local/bin/page-on-call --team web" }]
)" + kDev,
                           "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  ASSERT_EQ(fleet->alerts.size(), 2u);
  EXPECT_EQ(fleet->alerts[0].kind, AlertDestination::Kind::Webhook);
  EXPECT_EQ(fleet->alerts[0].target, "https://hooks.slack.com/services/T/B/x");
  EXPECT_EQ(fleet->alerts[1].kind, AlertDestination::Kind::Command);
  EXPECT_EQ(fleet->alerts[1].target, "/usr/local/bin/page-on-call --team web");
}

TEST(FleetValidationTest, AnAlertNamesOneDestination) {
  EXPECT_TRUE(has_only_problem("alerts = [{ webhook = \"https://a.example\", command = \"x\" }]\n" +
                                   kDev,
                               "1:11: an alert names either a webhook or a command",
                               "write { webhook"));
  EXPECT_TRUE(has_only_problem("alerts = [{}]\n" + kDev,
                               "1:11: an alert names either a webhook or a command",
                               "write { webhook"));
}

TEST(FleetValidationTest, WebhookIsAnHttpUrl) {
  EXPECT_TRUE(has_only_problem("alerts = [{ webhook = \"hooks.slack.com/x\" }]\n" + kDev,
                               "1:23: webhook 'hooks.slack.com/x' is not an http(s) URL",
                               "incoming webhook"));
  EXPECT_TRUE(has_only_problem("alerts = [{ command = \" \" }]\n" + kDev,
                               "1:23: the alert command is empty", "reads the event as JSON"));
  EXPECT_TRUE(has_only_problem("alerts = \"https://a.example\"\n" + kDev,
                               "1:10: 'alerts' must be a list of tables",
                               "alerts = [{ webhook"));
}

TEST(FleetValidationTest, BackupIsAScheduleAKeepCountAndADirectory) {
  auto fleet = parse_fleet(kDev + "backup = { every = \"7d\", keep = 3, to = \"/srv/backups\" }\n",
                           "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const auto& backup = fleet->environments.at("dev").backup;
  ASSERT_TRUE(backup.has_value());
  EXPECT_EQ(backup->every_s, 7 * 86400);
  EXPECT_EQ(backup->keep, 3);
  EXPECT_EQ(backup->to, "/srv/backups");
  fleet = parse_fleet(kDev + "backup = { to = \"/srv/backups\" }\n", "fleet.toml");
  ASSERT_TRUE(fleet.ok());
  EXPECT_EQ(fleet->environments.at("dev").backup->every_s, 86400);
  EXPECT_EQ(fleet->environments.at("dev").backup->keep, 14);

  EXPECT_TRUE(has_only_problem(kDev + "backup = { every = \"30m\", to = \"/b\" }\n",
                               "4:20: backup every '30m' is not a duration of 1h to 90d",
                               "e.g. \"24h\""));
  EXPECT_TRUE(has_only_problem(kDev + "backup = { to = \"backups\" }\n",
                               "4:17: backup to 'backups' is not an absolute directory",
                               "\"/var/backups/wpfleet\""));
  EXPECT_TRUE(has_only_problem(kDev + "backup = { to = \"s3://b/p\" }\n",
                               "4:17: backup to 's3://b/p': 'b' is not an S3 bucket name",
                               "\"s3://bucket/prefix\""));
  EXPECT_TRUE(has_only_problem(kDev + "backup = { to = \"s3://my.backups/p\" }\n",
                               "4:17: backup to 's3://my.backups/p': 'my.backups' is not an S3 bucket",
                               "\"s3://bucket/prefix\""));
  fleet = parse_fleet(kDev + "backup = { to = \"s3://acme-backups/wp\", region = \"af-south-1\" }\n",
                      "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(fleet->environments.at("dev").backup->to, "s3://acme-backups/wp");
  EXPECT_EQ(fleet->environments.at("dev").backup->region, std::optional<std::string>("af-south-1"));
  EXPECT_TRUE(has_only_problem(kDev + "backup = { to = \"s3://acme-backups\", region = \"Europe\" }\n",
                               "4:47: region 'Europe' is not an AWS region", "\"eu-west-1\""));
  EXPECT_TRUE(has_only_problem(kDev + "backup = { keep = 3 }\n", "4:10: missing required key 'to' in backup", "to ="));
}

TEST(FleetValidationTest, UnknownEnvironmentKey) {
  EXPECT_TRUE(has_only_problem(kDev + "colour = \"blue\"\n",
                               "4:1: unknown key 'colour' in [environments.dev]",
                               "known keys are: after_promote, allow, aws, backend, backup, basic_auth, core, domain, listen, "
                              "page_cache, php, production, snapshot_budget, snapshot_retention, tls"));
}

TEST(FleetValidationTest, UnknownPhpKey) {
  EXPECT_TRUE(has_only_problem(kDev + "[environments.dev.php]\nmax_childs = 5\n",
                               "5:1: unknown key 'max_childs' in [environments.dev.php]",
                               "known keys are: idle_timeout, max_children, memory_limit, "
                               "upload_max"));
}

TEST(FleetValidationTest, UnknownTenantKey) {
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "name = \"x\"\n"),
                               "9:1: unknown key 'name' in [[tenants]]",
                               "known keys are: admin_email, aliases, domains, environments, id, title"));
}

TEST(FleetValidationTest, MisspelledKeyIsUnknownAndTheRealOneMissing) {
  std::vector<std::string> problems = problems_in(R"([environments.dev]
domian = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
)");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(is_problem(problems[0], "1:1: missing required key 'domain' in [environments.dev]",
                         "add it, e.g. domain = \"{tenant}.wpdev.localhost\""));
  EXPECT_EQ(problems[1],
            "fleet.toml:2:1: unknown key 'domian' in [environments.dev]; known keys are: "
            "after_promote, allow, aws, backend, backup, basic_auth, core, domain, listen, page_cache, php, production, "
      "snapshot_budget, snapshot_retention, tls");
}

TEST(FleetValidationTest, WrongValueType) {
  EXPECT_TRUE(has_only_problem(kDev + "production = \"yes\"\n",
                               "4:14: 'production' must be true or false",
                               "write it like production = false"));
  EXPECT_TRUE(has_only_problem(kDev + "[environments.dev.php]\nmax_children = \"5\"\n",
                               "5:16: 'max_children' must be a whole number",
                               "write it like max_children = 5"));
  EXPECT_TRUE(has_only_problem(kDev + "php = 5\n", "4:7: 'php' must be a table",
                               "write it like [environments.dev.php]"));
  EXPECT_TRUE(has_only_problem("environments = 5\n", "1:16: 'environments' must be a table",
                               "write it like [environments.dev]"));
  EXPECT_TRUE(has_only_problem(dev_tenant_with("environments", "environments = \"dev\""),
                               "8:16: 'environments' must be a list of strings",
                               "write it like environments = [\"dev\"]"));
}

TEST(FleetValidationTest, TenantsMustBeTables) {
  EXPECT_TRUE(has_only_problem("tenants = [\"goldencrust\"]\n" + kDev,
                               "1:11: 'tenants' must be a list of tables",
                               "write each tenant as a [[tenants]] table"));
}

TEST(FleetValidationTest, EnvironmentMustBeATable) {
  EXPECT_TRUE(has_only_problem("[environments]\ndev = \"local\"\n",
                               "2:7: environment 'dev' must be a table",
                               "write [environments.dev] with its keys"));
}

// --- environments ------------------------------------------------------------------------

TEST(FleetValidationTest, AtLeastOneEnvironment) {
  EXPECT_TRUE(has_only_problem("", "1:1: missing required key 'environments' at the top level",
                               "add it, e.g. [environments.dev]"));
  EXPECT_TRUE(has_only_problem("\n[environments]\n", "2:1: no environments are defined",
                               "add one, e.g. [environments.dev]"));
}

TEST(FleetValidationTest, EnvironmentNameIsShortLowercaseAndStartsWithALetter) {
  const std::string fix = "use 1-16 characters: a lowercase letter, then lowercase letters";
  const std::string rest = "domain = \"{tenant}.x.localhost\"\nlisten = \"127.0.0.1:80\"\n";
  EXPECT_TRUE(has_only_problem("[environments.Dev]\n" + rest,
                               "1:15: environment name 'Dev' contains 'D'", fix));
  EXPECT_TRUE(has_only_problem("[environments.1dev]\n" + rest,
                               "1:15: environment name '1dev' starts with '1'", fix));
  EXPECT_TRUE(has_only_problem("[environments.dev-eu]\n" + rest,
                               "1:15: environment name 'dev-eu' contains '-'", fix));
  EXPECT_TRUE(has_only_problem("[environments.abcdefghijklmnopq]\n" + rest,
                               "1:15: environment name 'abcdefghijklmnopq' has 17 characters "
                               "(at most 16)",
                               fix));
}

TEST(FleetValidationTest, DomainAndListenAreRequired) {
  EXPECT_TRUE(has_only_problem("[environments.dev]\nlisten = \"127.0.0.1:8080\"\n",
                               "1:1: missing required key 'domain' in [environments.dev]",
                               "add it, e.g. domain = \"{tenant}.wpdev.localhost\""));
  EXPECT_TRUE(has_only_problem("[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\n",
                               "1:1: missing required key 'listen' in [environments.dev]",
                               "add it, e.g. listen = \"127.0.0.1:8080\""));
}

TEST(FleetValidationTest, BackendMustBeAvailable) {
  EXPECT_TRUE(has_only_problem(kDev + "backend = \"gcp\"\n",
                               "4:11: backend 'gcp' is not available yet", "use \"local\" or \"aws\""));
}

TEST(FleetValidationTest, DomainContainsTenantExactlyOnce) {
  const std::string fix = "e.g. \"{tenant}.wpdev.localhost\"";
  EXPECT_TRUE(
      has_only_problem("[environments.dev]\ndomain = \"wpdev.localhost\"\nlisten = "
                       "\"127.0.0.1:8080\"\n",
                       "2:10: domain 'wpdev.localhost' must contain {tenant} exactly "
                       "once, not 0 times",
                       fix));
  EXPECT_TRUE(
      has_only_problem("[environments.dev]\ndomain = \"{tenant}.{tenant}.localhost\"\n"
                       "listen = \"127.0.0.1:8080\"\n",
                       "2:10: domain '{tenant}.{tenant}.localhost' must contain "
                       "{tenant} exactly once, not 2 times",
                       fix));
}

TEST(FleetValidationTest, DomainMakesValidLowercaseHostNames) {
  const std::string fix = "write lowercase letters, digits, '-' and '.' around {tenant}";
  auto with_domain = [](const std::string& domain) {
    return "[environments.dev]\ndomain = \"" + domain + "\"\nlisten = \"127.0.0.1:8080\"\n";
  };
  EXPECT_TRUE(has_only_problem(with_domain("{tenant}.WPDEV.localhost"),
                               "2:10: domain '{tenant}.WPDEV.localhost' does not make valid host "
                               "names (checked with a 32-character tenant id): label 'WPDEV' "
                               "contains 'W'",
                               fix));
  EXPECT_TRUE(has_only_problem(with_domain("{tenant}.wpdev.localhost:8080"),
                               "2:10: domain '{tenant}.wpdev.localhost:8080' does not make valid",
                               fix));
  EXPECT_TRUE(has_only_problem(with_domain("{tenant}..localhost"),
                               "2:10: domain '{tenant}..localhost' does not make valid host names "
                               "(checked with a 32-character tenant id): it has an empty label",
                               fix));
  // 32 + 1 + 31 = 64 characters in the first label once the longest id is put in.
  std::string long_label = "{tenant}-" + std::string(31, 'x') + ".localhost";
  EXPECT_TRUE(has_only_problem(with_domain(long_label),
                               "2:10: domain '" + long_label +
                                   "' does not make valid host names (checked with a "
                                   "32-character tenant id): label '" +
                                   std::string(32, 'a') + "-" + std::string(31, 'x') +
                                   "' has 64 characters (at most 63)",
                               fix));
  // 32 + 4 * 61 = 276 characters once the longest id is put in.
  std::string label(60, 'b');
  std::string long_domain = "{tenant}." + label + "." + label + "." + label + "." + label;
  EXPECT_TRUE(has_only_problem(with_domain(long_domain),
                               "2:10: domain '" + long_domain +
                                   "' does not make valid host names (checked with a "
                                   "32-character tenant id): it has 276 characters (at most 253)",
                               fix));
}

TEST(FleetValidationTest, ListenIsHostAndPort) {
  const std::string fix = "write host:port, e.g. \"127.0.0.1:8080\"";
  auto with_listen = [](const std::string& listen) {
    return "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"" + listen +
           "\"\n";
  };
  EXPECT_TRUE(
      has_only_problem(with_listen("127.0.0.1"), "3:10: listen '127.0.0.1' has no port", fix));
  EXPECT_TRUE(has_only_problem(with_listen("example.com:80"),
                               "3:10: listen host 'example.com' is not an IPv4 address, "
                               "\"localhost\" or \"[::1]\"",
                               fix));
  EXPECT_TRUE(has_only_problem(with_listen("127.0.0.300:80"),
                               "3:10: listen host '127.0.0.300' is not an IPv4 address", fix));
  EXPECT_TRUE(has_only_problem(with_listen("127.0.0.1:0"),
                               "3:10: listen port '0' is not a number from 1 to 65535", fix));
  EXPECT_TRUE(has_only_problem(with_listen("127.0.0.1:65536"),
                               "3:10: listen port '65536' is not a number from 1 to 65535", fix));
  EXPECT_TRUE(has_only_problem(with_listen("localhost:http"),
                               "3:10: listen port 'http' is not a number from 1 to 65535", fix));
  EXPECT_TRUE(problems_in(with_listen("[::1]:65535")).empty());
}

TEST(FleetValidationTest, PhpMaxChildrenIsInRange) {
  EXPECT_TRUE(has_only_problem(kDev + "[environments.dev.php]\nmax_children = 0\n",
                               "5:16: max_children 0 is not within 1..200",
                               "choose a value in that range"));
  EXPECT_TRUE(has_only_problem(kDev + "[environments.dev.php]\nmax_children = 201\n",
                               "5:16: max_children 201 is not within 1..200",
                               "choose a value in that range"));
}

TEST(FleetValidationTest, PhpSizesAreWrittenInMOrGAndInRange) {
  const std::string php = kDev + "[environments.dev.php]\n";
  EXPECT_TRUE(has_only_problem(php + "memory_limit = \"16M\"\n",
                               "5:16: memory_limit 16M is not within 32M..4G",
                               "choose a value in that range"));
  EXPECT_TRUE(has_only_problem(php + "memory_limit = \"5G\"\n",
                               "5:16: memory_limit 5G is not within 32M..4G",
                               "choose a value in that range"));
  EXPECT_TRUE(has_only_problem(php + "memory_limit = \"256MB\"\n",
                               "5:16: memory_limit '256MB' is not a size",
                               "write a whole number followed by M or G, e.g. \"256M\""));
  EXPECT_TRUE(has_only_problem(php + "upload_max = \"3G\"\n",
                               "5:14: upload_max 3G is not within 1M..2G",
                               "choose a value in that range"));
  EXPECT_TRUE(has_only_problem(php + "upload_max = \"-1M\"\n",
                               "5:14: upload_max '-1M' is not a size",
                               "write a whole number followed by M or G"));
  EXPECT_TRUE(has_only_problem(php + "upload_max = \"99999999999999999999G\"\n",
                               "5:14: upload_max '99999999999999999999G' is not a size",
                               "write a whole number followed by M or G"));
  EXPECT_TRUE(has_only_problem(php + "upload_max = \"9999999999999999G\"\n", "5:14: upload_max",
                               "choose a value in that range"));
}

TEST(FleetValidationTest, PhpIdleTimeoutIsSecondsInRange) {
  const std::string php = kDev + "[environments.dev.php]\n";
  EXPECT_TRUE(has_only_problem(php + "idle_timeout = \"0s\"\n",
                               "5:16: idle_timeout 0s is not within 1s..3600s",
                               "choose a value in that range"));
  EXPECT_TRUE(has_only_problem(php + "idle_timeout = \"10m\"\n",
                               "5:16: idle_timeout '10m' is not a duration",
                               "write whole seconds followed by s, e.g. \"10s\""));
}

// --- tenants -----------------------------------------------------------------------------

TEST(FleetValidationTest, TenantKeysAreRequired) {
  std::vector<std::string> problems = problems_in(kDev + "[[tenants]]\nid = \"goldencrust\"\n");
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_TRUE(is_problem(problems[0], "4:1: missing required key 'title' in [[tenants]]",
                         "add it, e.g. title = "));
  EXPECT_TRUE(is_problem(problems[1], "4:1: missing required key 'admin_email' in [[tenants]]",
                         "add it, e.g. admin_email = "));
  EXPECT_TRUE(is_problem(problems[2], "4:1: missing required key 'environments' in [[tenants]]",
                         "add it, e.g. environments = [\"dev\"]"));
  EXPECT_TRUE(has_only_problem(dev_tenant_with("id", "# no id"),
                               "4:1: missing required key 'id' in [[tenants]]",
                               "add it, e.g. id = \"goldencrust\""));
}

TEST(FleetValidationTest, TenantIdIsADnsLabel) {
  const std::string fix = "use 1-32 characters from a-z, 0-9 and '-', not starting or ending";
  auto with_id = [](const std::string& id) { return dev_tenant_with("id", "id = \"" + id + "\""); };
  EXPECT_TRUE(
      has_only_problem(with_id("GoldenCrust"), "5:6: tenant id 'GoldenCrust' contains 'G'", fix));
  EXPECT_TRUE(
      has_only_problem(with_id("golden_crust"), "5:6: tenant id 'golden_crust' contains '_'", fix));
  EXPECT_TRUE(has_only_problem(with_id("golden crust"),
                               "5:6: tenant id 'golden crust' contains a space", fix));
  EXPECT_TRUE(has_only_problem(with_id("-gold"), "5:6: tenant id '-gold' starts with '-'", fix));
  EXPECT_TRUE(has_only_problem(with_id("gold-"), "5:6: tenant id 'gold-' ends with '-'", fix));
  EXPECT_TRUE(has_only_problem(with_id(""), "5:6: tenant id '' is empty", fix));
  EXPECT_TRUE(has_only_problem(
      with_id(std::string(33, 'a')),
      "5:6: tenant id '" + std::string(33, 'a') + "' has 33 characters (at most 32)", fix));
  EXPECT_TRUE(problems_in(with_id(std::string(32, 'a'))).empty());
  EXPECT_TRUE(problems_in(with_id("3d-print")).empty());
}

TEST(FleetValidationTest, ReservedTenantIdsAreRefused) {
  for (const std::string id : {"www", "admin", "mysql", "localhost", "test"}) {
    EXPECT_TRUE(has_only_problem(dev_tenant_with("id", "id = \"" + id + "\""),
                                 "5:6: tenant id '" + id + "' is reserved",
                                 "choose another id (reserved: www, admin, root, mysql"));
  }
}

TEST(FleetValidationTest, TenantIdsAreUniqueAndTheDuplicateNamesTheFirst) {
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust") + tenant("goldencrust"),
                               "10:6: tenant id 'goldencrust' is already used by the tenant on "
                               "line 4",
                               "give each tenant a unique id"));
}

TEST(FleetValidationTest, TitleIsOneLineOfAtMost200Characters) {
  auto with_title = [](const std::string& title) {
    return dev_tenant_with("title", "title = \"" + title + "\"");
  };
  EXPECT_TRUE(has_only_problem(with_title(""), "6:9: title is empty",
                               "write the site's name, e.g. title = "));
  EXPECT_TRUE(has_only_problem(with_title(std::string(201, 'x')),
                               "6:9: title has 201 characters (at most 200)", "shorten it"));
  EXPECT_TRUE(has_only_problem(with_title("Golden\\tCrust"),
                               "6:9: title contains a control character", "remove it"));
  // Characters, not bytes: 200 two-byte letters fit.
  std::string accented;
  for (int i = 0; i < 200; ++i) accented += "\xc3\xa9";
  EXPECT_TRUE(problems_in(with_title(accented)).empty());
}

TEST(FleetValidationTest, AdminEmailIsAPlausibleAddress) {
  const std::string fix = "write an address like \"owner@goldencrust.example\"";
  auto with_email = [](const std::string& email) {
    return dev_tenant_with("admin_email", "admin_email = \"" + email + "\"");
  };
  EXPECT_TRUE(has_only_problem(with_email("owner.example"),
                               "7:15: admin_email 'owner.example' must contain exactly one '@'",
                               fix));
  EXPECT_TRUE(has_only_problem(with_email("a@b@c.example"),
                               "7:15: admin_email 'a@b@c.example' must contain exactly one '@'",
                               fix));
  EXPECT_TRUE(has_only_problem(with_email("@goldencrust.example"),
                               "7:15: admin_email '@goldencrust.example' has nothing before '@'",
                               fix));
  EXPECT_TRUE(has_only_problem(with_email("owner@localhost"),
                               "7:15: admin_email 'owner@localhost' has no domain with a dot",
                               fix));
  EXPECT_TRUE(has_only_problem(with_email("owner @x.example"),
                               "7:15: admin_email 'owner @x.example' contains a space", fix));
}

TEST(FleetValidationTest, TenantEnvironmentsAreDefinedListedOnceAndNotEmpty) {
  auto with_environments = [](const std::string& list) {
    return kDevAndSit + tenant("goldencrust", "", list);
  };
  EXPECT_TRUE(has_only_problem(with_environments("[]"), "11:16: 'environments' is empty",
                               "list at least one, e.g. environments = [\"dev\"]"));
  EXPECT_TRUE(has_only_problem(with_environments(R"(["dev", "sit", "dev"])"),
                               "11:31: environment 'dev' is listed twice",
                               "list each environment once"));
  EXPECT_TRUE(has_only_problem(with_environments(R"(["dev", "prod"])"),
                               "11:24: environment 'prod' is not defined",
                               "define [environments.prod] or use one of the defined ones: dev, "
                               "sit"));
}

TEST(FleetValidationTest, AliasesAreValidHostNames) {
  const std::string fix = "use lowercase letters, digits, '-' and '.'";
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust",
                    "aliases = [\"goldencrust.example\", \"WWW.goldencrust.example\"]\n"),
      "9:35: alias 'WWW.goldencrust.example' is not a valid host name: label 'WWW' contains 'W'",
      fix));
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "aliases = [\"www..example\"]\n"),
                               "9:12: alias 'www..example' is not a valid host name: it has an "
                               "empty label",
                               fix));
  EXPECT_TRUE(
      has_only_problem(kDev + tenant("goldencrust", "aliases = { dev = [\"-x.example\"] }\n"),
                       "9:20: alias '-x.example' is not a valid host name: label '-x' "
                       "starts with '-'",
                       fix));
}

TEST(FleetValidationTest, AliasesAreAListOrATableOfLists) {
  const std::string fix = "write it like aliases = [\"www.goldencrust.example\"] or aliases = {";
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "aliases = \"www.example\"\n"),
                               "9:11: 'aliases' must be a list of host names", fix));
  EXPECT_TRUE(
      has_only_problem(kDev + tenant("goldencrust", "aliases = { dev = \"www.example\" }\n"),
                       "9:19: 'aliases' must be a list of host names", fix));
}

TEST(FleetValidationTest, AliasTableKeysAreEnvironmentsOfTheTenant) {
  EXPECT_TRUE(has_only_problem(
      kDevAndSit + tenant("goldencrust", "aliases = { sit = [\"test.goldencrust.example\"] }\n"),
      "12:13: aliases for 'sit', but tenant 'goldencrust' is not in environment 'sit'",
      "add \"sit\" to its environments or remove these aliases"));
}

// --- host conflicts ----------------------------------------------------------------------

TEST(FleetValidationTest, HostConflictAcrossTwoTenantsNamesBoth) {
  // goldencrust (line 4) takes sunsetbistro's own host name as an alias.
  std::string text = kDev +
                     tenant("goldencrust", "aliases = [\"sunsetbistro.wpdev.localhost\"]\n") +
                     tenant("sunsetbistro");
  EXPECT_TRUE(has_only_problem(text,
                               "11:6: host 'sunsetbistro.wpdev.localhost' is claimed by tenant "
                               "'goldencrust' (line 4) and tenant 'sunsetbistro' (line 10)",
                               "give one of them a different alias or domain"));
}

TEST(FleetValidationTest, HostConflictOnASharedAlias) {
  std::string text = kDev + tenant("goldencrust", "aliases = [\"shop.example\"]\n") +
                     tenant("sunsetbistro", "aliases = [\"shop.example\"]\n");
  EXPECT_TRUE(has_only_problem(text,
                               "15:12: host 'shop.example' is claimed by tenant 'goldencrust' "
                               "(line 4) and tenant 'sunsetbistro' (line 10)",
                               "give one of them a different alias or domain"));
}

TEST(FleetValidationTest, AliasListClashesWithItselfAcrossEnvironmentsSharingAListenAddress) {
  std::string text = kDevAndSit + tenant("goldencrust", "aliases = [\"www.goldencrust.example\"]\n",
                                         R"(["dev", "sit"])");
  EXPECT_TRUE(has_only_problem(text,
                               "12:12: host 'www.goldencrust.example' is claimed by tenant "
                               "'goldencrust' (line 7) in both 'dev' and 'sit', which share "
                               "listen address 127.0.0.1:8080",
                               "list the alias under one environment only, e.g. aliases = { dev "
                               "= [\"www.goldencrust.example\"] }"));
}

TEST(FleetValidationTest, EnvironmentsWithTheSameDomainAndListenClash) {
  std::string text = kDev + R"([environments.sit]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
)" + tenant("goldencrust", "", R"(["dev", "sit"])");
  EXPECT_TRUE(has_only_problem(text,
                               "8:6: host 'goldencrust.wpdev.localhost' is claimed by tenant "
                               "'goldencrust' (line 7) in both 'dev' and 'sit'",
                               "give the environments different domains"));
}

TEST(FleetValidationTest, AliasRepeatingTheTenantsOwnHost) {
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "aliases = [\"goldencrust.wpdev.localhost\"]\n"),
      "9:12: host 'goldencrust.wpdev.localhost' is claimed twice by tenant 'goldencrust' (line 4) "
      "in 'dev'",
      "remove the duplicate alias"));
}

TEST(FleetValidationTest, AConflictRepeatedInEachEnvironmentIsReportedOnce) {
  // sunsetbistro's alias clashes with goldencrust in dev and again in sit.
  std::string text =
      kDevAndSit + tenant("goldencrust", "", R"(["dev", "sit"])") +
      tenant("sunsetbistro", "aliases = [\"goldencrust.wpdev.localhost\"]\n", R"(["dev", "sit"])");
  EXPECT_TRUE(has_only_problem(text,
                               "17:12: host 'goldencrust.wpdev.localhost' is claimed by tenant "
                               "'goldencrust' (line 7) and tenant 'sunsetbistro' (line 12)",
                               "give one of them a different alias or domain"));
}

TEST(FleetValidationTest, SameHostOnDifferentListenAddressesIsNoConflict) {
  std::string text = kDev + R"([environments.sit]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8081"
)" + tenant("goldencrust", "aliases = [\"www.goldencrust.example\"]\n", R"(["dev", "sit"])");
  EXPECT_TRUE(problems_in(text).empty());
}

// --- reporting ---------------------------------------------------------------------------

TEST(FleetValidationTest, AllProblemsAreReportedTogetherInFileOrder) {
  std::string text = R"([environments.dev]
backend = "gcp"
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1"
[environments.dev.php]
memory_limit = "1M"
[[tenants]]
id = "www"
title = ""
admin_email = "nobody"
environments = ["prod"]
colour = "red"
)";
  Result<Fleet> fleet = parse_fleet(text, "fleet.toml");
  ASSERT_FALSE(fleet.ok());
  std::vector<std::string> problems = problems_in(text);
  ASSERT_EQ(problems.size(), 8u) << fleet.error().message;
  EXPECT_TRUE(problems[0].starts_with("fleet.toml:2:11: backend 'gcp'"));
  EXPECT_TRUE(problems[1].starts_with("fleet.toml:4:10: listen '127.0.0.1' has no port"));
  EXPECT_TRUE(problems[2].starts_with("fleet.toml:6:16: memory_limit 1M"));
  EXPECT_TRUE(problems[3].starts_with("fleet.toml:8:6: tenant id 'www' is reserved"));
  EXPECT_TRUE(problems[4].starts_with("fleet.toml:9:9: title is empty"));
  EXPECT_TRUE(problems[5].starts_with("fleet.toml:10:15: admin_email 'nobody'"));
  EXPECT_TRUE(problems[6].starts_with("fleet.toml:11:17: environment 'prod' is not defined"));
  EXPECT_TRUE(problems[7].starts_with("fleet.toml:12:1: unknown key 'colour' in [[tenants]]"));
}

// --- edge policy ---------------------------------------------------------------------------

TEST(FleetEdgeTest, EdgeKeysAreRead) {
  auto fleet = parse_fleet(kDev + "basic_auth = { user = \"bbws-sit\" }\nallow = [\"10.0.0.0/8\", "
                                  "\"::1\"]\npage_cache = \"10s\"\ntls = true\n",
                           "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const EdgePolicy& edge = fleet->environments.at("dev").edge;
  EXPECT_EQ(edge.basic_auth_user, "bbws-sit");
  EXPECT_EQ(edge.allow, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(edge.page_cache_s, 10);
  EXPECT_TRUE(edge.tls);
}

TEST(FleetEdgeTest, EdgeIsOffByDefault) {
  auto fleet = parse_fleet(kDev, "fleet.toml");
  ASSERT_TRUE(fleet.ok());
  const EdgePolicy& edge = fleet->environments.at("dev").edge;
  EXPECT_FALSE(edge.basic_auth_user);
  EXPECT_TRUE(edge.allow.empty());
  EXPECT_EQ(edge.page_cache_s, 0);
  EXPECT_FALSE(edge.tls);
}

TEST(FleetEdgeTest, BasicAuthNeedsAValidUser) {
  EXPECT_TRUE(has_only_problem(kDev + "basic_auth = { user = \"a b\" }\n", "4:23:",
                               "e.g. \"bbws-sit\""));
  const auto problems = problems_in(kDev + "basic_auth = { name = \"x\" }\n");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(is_problem(problems[0], "4:14: missing required key 'user'", "user = \"bbws-sit\""));
  EXPECT_TRUE(is_problem(problems[1], "4:16: unknown key 'name'", "known keys are: user"));
}

TEST(FleetEdgeTest, AllowTakesAddressesOrRangesAndNeedsBasicAuth) {
  EXPECT_TRUE(has_only_problem(
      kDev + "basic_auth = { user = \"u\" }\nallow = [\"127.0.0.1/33\"]\n", "5:10:",
      "write it like \"127.0.0.1/32\""));
  EXPECT_TRUE(has_only_problem(kDev + "allow = [\"127.0.0.1\"]\n", "4:9:", "add basic_auth"));
}

TEST(FleetEdgeTest, OneListenAddressIsEitherHttpsOrHttp) {
  const std::string text = kDev +
                           "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\n"
                           "listen = \"127.0.0.1:8080\"\ntls = true\n";
  EXPECT_TRUE(has_only_problem(text, "4:15:", "give the TLS environment a port of its own"));
}

TEST(FleetContentTest, HooksAndRetentionAreRead) {
  auto fleet = parse_fleet(kDev + "after_promote = [\"sql: DELETE FROM wp_comments\", "
                                  "\"php:update_option('x', 1);\"]\nsnapshot_retention = 3\n",
                           "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Environment& env = fleet->environments.at("dev");
  ASSERT_EQ(env.after_promote.size(), 2u);
  EXPECT_EQ(env.after_promote[0].language, Hook::Language::Sql);
  EXPECT_EQ(env.after_promote[0].code, "DELETE FROM wp_comments");
  EXPECT_EQ(env.after_promote[1].language, Hook::Language::Php);
  EXPECT_EQ(env.after_promote[1].code, "update_option('x', 1);");
  EXPECT_EQ(env.snapshot_retention, 3);
  EXPECT_EQ(parse_fleet(kDev, "f")->environments.at("dev").snapshot_retention, 10);
}

TEST(FleetContentTest, HooksNeedALanguageAndRetentionARange) {
  EXPECT_TRUE(has_only_problem(kDev + "after_promote = [\"DELETE FROM x\"]\n", "4:18:",
                               "must start with sql: or php:"));
  EXPECT_TRUE(has_only_problem(kDev + "snapshot_retention = 0\n", "4:22:", "choose a value"));
}

TEST(FleetContentTest, SnapshotBudgetIsASizeInBinaryUnits) {
  auto fleet = parse_fleet(kDev + "snapshot_budget = \"5GB\"\n", "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(fleet->environments.at("dev").snapshot_budget, 5ULL << 30);
  EXPECT_EQ(parse_fleet(kDev + "snapshot_budget = \"500MB\"\n", "f")->environments.at("dev").snapshot_budget,
            500ULL << 20);
  EXPECT_EQ(parse_fleet(kDev + "snapshot_budget = \"2TB\"\n", "f")->environments.at("dev").snapshot_budget,
            2ULL << 40);
  EXPECT_FALSE(parse_fleet(kDev, "f")->environments.at("dev").snapshot_budget.has_value());
  for (const char* bad : {"5G", "5 GB", "0GB", "1.5GB", "GB", "5000TB"}) {
    EXPECT_TRUE(has_only_problem(kDev + "snapshot_budget = \"" + bad + "\"\n", "4:19:",
                                 "followed by MB, GB or TB, e.g. \"5GB\""))
        << bad;
  }
  EXPECT_TRUE(has_only_problem(kDev + "snapshot_budget = 5\n", "4:19:", ""));
}

TEST(FleetCoreTest, CoreIsDebianOrAWordPressVersion) {
  EXPECT_EQ(parse_fleet(kDev, "f")->environments.at("dev").core, "debian");
  for (const char* good : {"6.8.3", "6.8", "debian", "10.0.12"}) {
    auto fleet = parse_fleet(kDev + "core = \"" + good + "\"\n", "f");
    ASSERT_TRUE(fleet.ok()) << good << ": " << fleet.error().message;
    EXPECT_EQ(fleet->environments.at("dev").core, good);
  }
  for (const char* bad : {"latest", "6", "6.8.3.1", "6..3", "v6.8", "6.8.x", "", "../6.8"}) {
    EXPECT_TRUE(has_only_problem(kDev + "core = \"" + bad + "\"\n", "4:8:",
                                 "write \"debian\" (Debian's wordpress package, works offline) or "
                                 "a release of wordpress.org such as \"6.8.3\""))
        << bad;
  }
  EXPECT_TRUE(has_only_problem(kDev + "core = 6.8\n", "4:8:", ""));
}

TEST(FleetEdgeTest, PageCacheIsADuration) {
  EXPECT_TRUE(has_only_problem(kDev + "page_cache = \"10m\"\n", "4:14:", "e.g. \"10s\""));
  EXPECT_TRUE(has_only_problem(kDev + "page_cache = \"0s\"\n", "4:14:", "choose a value"));
}

// --- real domains and alias modes ---------------------------------------------------------

TEST(FleetDomainsTest, ADomainIsAValidHostName) {
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "domains = { dev = \"GoldenCrust.co.za\" }\n"),
      "9:19: domain 'GoldenCrust.co.za' is not a valid host name: label 'GoldenCrust'",
      "use lowercase letters, digits, '-' and '.', e.g. \"goldencrust.co.za\""));
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "domains = { dev = 7 }\n"), "9:19:",
                               "domains = { dev = \"goldencrust.co.za\" }"));
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "domains = \"goldencrust.co.za\"\n"),
                               "9:11: 'domains'", "domains = { prod = \"goldencrust.co.za\" }"));
}

TEST(FleetDomainsTest, ADomainIsForAnEnvironmentOfTheTenant) {
  EXPECT_TRUE(has_only_problem(
      kDevAndSit + tenant("goldencrust", "domains = { sit = \"goldencrust.co.za\" }\n"),
      "12:13: a domain for 'sit', but tenant 'goldencrust' is not in environment 'sit'",
      "add \"sit\" to its environments or remove this domain"));
}

TEST(FleetDomainsTest, ADomainAnotherTenantHasIsAConflictNamingBoth) {
  // sunsetbistro (line 9) takes goldencrust's host name from the dev pattern.
  std::string text = kDev + tenant("goldencrust") +
                     tenant("sunsetbistro", "domains = { dev = \"goldencrust.wpdev.localhost\" }\n");
  EXPECT_TRUE(has_only_problem(text,
                               "14:19: host 'goldencrust.wpdev.localhost' is claimed by tenant "
                               "'goldencrust' (line 4) and tenant 'sunsetbistro' (line 9)",
                               "give one of them a different alias or domain"));
  // ...and another tenant's alias.
  text = kDev + tenant("goldencrust", "aliases = [\"goldencrust.co.za\"]\n") +
         tenant("sunsetbistro", "domains = { dev = \"goldencrust.co.za\" }\n");
  EXPECT_TRUE(has_only_problem(text, "15:19: host 'goldencrust.co.za' is claimed by tenant "
                                     "'goldencrust' (line 4) and tenant 'sunsetbistro'",
                               "give one of them a different alias or domain"));
}

TEST(FleetDomainsTest, AnAliasOfTheOwnDomainIsADuplicate) {
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "domains = { dev = \"goldencrust.co.za\" }\n"
                                   "aliases = [\"goldencrust.co.za\"]\n"),
      "10:12: host 'goldencrust.co.za' is claimed twice by tenant 'goldencrust' (line 4) in 'dev'",
      "remove the duplicate alias"));
}

TEST(FleetDomainsTest, AnAliasIsAHostOrAHostWithItsMode) {
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "aliases = [{ host = \"a.example\", redirect = \"yes\" }]\n"),
      "9:45: 'redirect' must be true or false", "redirect = true"));
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "aliases = [{ redirect = true }]\n"),
                               "9:12: missing required key 'host' in an alias",
                               "host = \"goldencrust.com\""));
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "aliases = [{ host = \"a.example\", mode = \"301\" }]\n"),
      "9:34: unknown key 'mode' in an alias", "known keys are: host, redirect"));
  EXPECT_TRUE(has_only_problem(
      kDev + tenant("goldencrust", "aliases = { dev = [{ host = \"A.example\" }] }\n"),
      "9:29: alias 'A.example' is not a valid host name", "e.g. \"www.goldencrust.example\""));
  EXPECT_TRUE(has_only_problem(kDev + tenant("goldencrust", "aliases = [7]\n"), "9:12:",
                               "{ host = \"goldencrust.com\", redirect = true }"));
}

}  // namespace
}  // namespace wpfleet
