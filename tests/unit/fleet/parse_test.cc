// Reading whole fleet files: the example, the starter, defaults and file errors.
// The rules for single values are in validation_test.cc.
#include "fleet/parse.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace wpfleet {
namespace {

const std::string kExamplePath = std::string(WPFLEET_SOURCE_DIR) + "/examples/bbws.toml";

std::vector<std::string> tenant_ids(const std::vector<Placement>& placements) {
  std::vector<std::string> ids;
  for (const Placement& p : placements) ids.push_back(p.tenant->id);
  return ids;
}

TEST(ExampleFleetTest, HasTheThirteenBbwsTenants) {
  Result<Fleet> fleet = load_fleet_file(kExamplePath);
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(fleet->source_path, kExamplePath);
  ASSERT_EQ(fleet->tenants.size(), 13u);
  EXPECT_EQ(fleet->tenants.front().id, "tenant1");
  EXPECT_EQ(fleet->tenants.back().id, "bbwstrustedservice");
  ASSERT_NE(fleet->find_tenant("goldencrust"), nullptr);
  EXPECT_EQ(fleet->find_tenant("goldencrust")->title, "Golden Crust Bakery & Cafe");
  EXPECT_EQ(fleet->find_tenant("lenslight")->title, "Lens & Light Photography");
  EXPECT_EQ(fleet->find_tenant("bbwstrustedservice")->title, "BBWS Trusted Service");
  EXPECT_EQ(fleet->find_tenant("serenity")->admin_email, "admin@serenity.example");
}

TEST(ExampleFleetTest, PlacesAllTenantsInDevAndFourInSit) {
  Result<Fleet> fleet = load_fleet_file(kExamplePath);
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(placements(*fleet).size(), 17u);
  EXPECT_EQ(placements(*fleet, {"dev"}).size(), 13u);
  EXPECT_EQ(tenant_ids(placements(*fleet, {"sit"})),
            (std::vector<std::string>{"tenant1", "goldencrust", "sunsetbistro", "sterlinglaw"}));
}

TEST(ExampleFleetTest, EnvironmentsShareOneListenAddress) {
  Result<Fleet> fleet = load_fleet_file(kExamplePath);
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  ASSERT_EQ(fleet->environments.size(), 2u);
  const Environment& sit = fleet->environments.at("sit");
  EXPECT_EQ(sit.backend, "local");
  EXPECT_EQ(sit.listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(sit.host_for("goldencrust"), "goldencrust.wpsit.localhost");
  EXPECT_EQ(fleet->environments.at("dev").listen.to_string(), "127.0.0.1:8080");
}

TEST(StarterFileTest, ParsesCleanly) {
  Result<Fleet> fleet = parse_fleet(starter_fleet_file(), "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_EQ(fleet->environments.size(), 2u);
  ASSERT_EQ(fleet->tenants.size(), 2u);
  EXPECT_EQ(fleet->tenants[0].id, "demo-bakery");
  EXPECT_EQ(fleet->tenants[1].id, "demo-florist");
  EXPECT_EQ(placements(*fleet).size(), 3u);
  EXPECT_EQ(fleet->environments.at("sit").edge.basic_auth_user, "demo-sit");
  EXPECT_FALSE(fleet->environments.at("dev").edge.basic_auth_user.has_value());
}

TEST(StarterFileTest, ShowsBothFormsOfAliases) {
  Result<Fleet> fleet = parse_fleet(starter_fleet_file(), "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Tenant& bakery = fleet->tenants[0];
  EXPECT_EQ(bakery.aliases_in("dev"), std::vector<std::string>{"www.demo-bakery.wpdev.localhost"});
  EXPECT_TRUE(bakery.aliases_in("sit").empty());
  EXPECT_EQ(fleet->tenants[1].aliases_in("dev"),
            (std::vector<std::string>{"shop.demo-florist.wpdev.localhost", "florist.wpdev.localhost"}));
  const Environment& dev = fleet->environments.at("dev");
  EXPECT_EQ(fleet->tenants[1].alias_mode(dev, "florist.wpdev.localhost"), AliasMode::Redirect);
}

// What a key looks like in the starter, set or commented out: "key = " at a line's start.
bool shows_key(const std::string& text, const std::string& key) {
  return text.find("\n" + key + " = ") != std::string::npos ||
         text.find("\n# " + key + " = ") != std::string::npos;
}

TEST(StarterFileTest, ShowsEveryKey) {
  const std::string text = starter_fleet_file();
  for (const std::string key :
       {"backend", "core", "domain", "listen", "production", "basic_auth", "allow", "page_cache", "tls",
        "after_promote", "snapshot_retention", "snapshot_budget", "max_children", "memory_limit", "upload_max",
        "idle_timeout", "region", "account_id", "subnets", "security_groups", "id", "title",
        "admin_email", "environments", "domains", "aliases"}) {
    EXPECT_TRUE(shows_key(text, key)) << key;
  }
  EXPECT_NE(text.find("\n# [environments.prod.aws]\n"), std::string::npos);
  EXPECT_NE(text.find("examples/bbws-aws.toml"), std::string::npos);
}

TEST(StarterFileTest, ItsCommentedExamplesAreValidToo) {
  // Every commented-out setting, uncommented, except tls (which dev would have to share).
  std::string text = starter_fleet_file();
  for (auto at = text.find("\n# "); at != std::string::npos; at = text.find("\n# ", at + 1)) {
    const std::string rest = text.substr(at + 3, text.find('\n', at + 1) - at - 3);
    const bool setting = rest.starts_with("[environments.") || rest.starts_with("  \"") ||
                         rest.starts_with("  { ") ||
                         rest == "]" ||
                         (rest.find(" = ") != std::string::npos &&
                          rest.find_first_of(" ") == rest.find(" = ") && !rest.starts_with("tls"));
    if (setting) text.erase(at + 1, 2);
  }
  Result<Fleet> fleet = parse_fleet(text, "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message << "\n" << text;
  const Environment& sit = fleet->environments.at("sit");
  EXPECT_EQ(sit.edge.allow, std::vector<std::string>{"203.0.113.0/24"});
  ASSERT_EQ(sit.after_promote.size(), 2u);
  EXPECT_EQ(sit.after_promote[0].language, Hook::Language::Sql);
  EXPECT_EQ(sit.after_promote[1].language, Hook::Language::Php);
  EXPECT_EQ(fleet->environments.at("dev").edge.page_cache_s, 10);
  ASSERT_TRUE(fleet->environments.at("prod").aws.has_value());
  EXPECT_EQ(fleet->environments.at("prod").aws->region, "eu-west-1");
  EXPECT_EQ(fleet->alerts.size(), 2u);
  EXPECT_TRUE(fleet->environments.at("dev").backup.has_value());
  EXPECT_EQ(fleet->tenants[0].host_in(sit), "demo-bakery.example");
}

TEST(ParseFleetTest, AppliesDefaultsForOptionalKeys) {
  Result<Fleet> fleet = parse_fleet(R"([environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "localhost:80"
)",
                                    "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Environment& dev = fleet->environments.at("dev");
  EXPECT_EQ(dev.name, "dev");
  EXPECT_EQ(dev.backend, "local");
  EXPECT_FALSE(dev.production);
  EXPECT_EQ(dev.listen.host, "localhost");
  EXPECT_EQ(dev.listen.port, 80);
  EXPECT_EQ(dev.php.max_children, 5);
  EXPECT_EQ(dev.php.memory_limit_mb, 256);
  EXPECT_EQ(dev.php.upload_max_mb, 64);
  EXPECT_EQ(dev.php.idle_timeout_s, 10);
  EXPECT_TRUE(fleet->tenants.empty());
}

TEST(ParseFleetTest, ReadsEverySetting) {
  Result<Fleet> fleet = parse_fleet(R"([environments.prod]
backend = "local"
domain = "{tenant}.example.com"
listen = "[::1]:443"
production = true
[environments.prod.php]
max_children = 200
memory_limit = "4G"
upload_max = "512M"
idle_timeout = "3600s"
)",
                                    "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Environment& prod = fleet->environments.at("prod");
  EXPECT_TRUE(prod.production);
  EXPECT_EQ(prod.listen.to_string(), "[::1]:443");
  EXPECT_EQ(prod.php.max_children, 200);
  EXPECT_EQ(prod.php.memory_limit_mb, 4096);
  EXPECT_EQ(prod.php.upload_max_mb, 512);
  EXPECT_EQ(prod.php.idle_timeout_s, 3600);
}

// dev and sit on different listen addresses, and goldencrust in both with `lines` added.
Result<Fleet> dev_and_sit_with(const std::string& lines) {
  return parse_fleet(R"([environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
[environments.sit]
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:8081"
[[tenants]]
id = "goldencrust"
title = "Golden Crust Bakery & Cafe"
admin_email = "owner@goldencrust.example"
environments = ["dev", "sit"]
)" + lines,
                     "fleet.toml");
}

TEST(ParseFleetTest, AliasListAppliesToEveryEnvironmentOfTheTenant) {
  // Different listen addresses, so one alias in both environments is no conflict.
  Result<Fleet> fleet =
      dev_and_sit_with("aliases = [\"www.goldencrust.example\", \"goldencrust.example\"]\n");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  std::vector<std::string> expected{"www.goldencrust.example", "goldencrust.example"};
  EXPECT_EQ(fleet->tenants[0].aliases_in("dev"), expected);
  EXPECT_EQ(fleet->tenants[0].aliases_in("sit"), expected);
}

TEST(ParseFleetTest, AliasTableAppliesToTheNamedEnvironments) {
  Result<Fleet> fleet = parse_fleet(R"([environments.dev]
domain = "{tenant}.wpdev.localhost"
listen = "127.0.0.1:8080"
[environments.sit]
domain = "{tenant}.wpsit.localhost"
listen = "127.0.0.1:8080"
[[tenants]]
id = "goldencrust"
title = "Golden Crust Bakery & Cafe"
admin_email = "owner@goldencrust.example"
environments = ["dev", "sit"]
aliases = { sit = ["goldencrust-test.wpsit.localhost"] }
)",
                                    "fleet.toml");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  EXPECT_TRUE(fleet->tenants[0].aliases_in("dev").empty());
  EXPECT_EQ(fleet->tenants[0].aliases_in("sit"),
            std::vector<std::string>{"goldencrust-test.wpsit.localhost"});
}

TEST(ParseFleetTest, DomainsSetTheCanonicalHostOfTheNamedEnvironments) {
  Result<Fleet> fleet = dev_and_sit_with(R"(domains = { sit = "goldencrust.co.za" }
aliases = { sit = [{ host = "goldencrust.com", redirect = true }, "www.goldencrust.co.za",
                   { host = "shop.goldencrust.co.za", redirect = false }, "old.example"] }
)");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Tenant& tenant = fleet->tenants[0];
  const Environment& dev = fleet->environments.at("dev");
  const Environment& sit = fleet->environments.at("sit");
  EXPECT_EQ(tenant.host_in(dev), "goldencrust.wpdev.localhost");
  EXPECT_EQ(tenant.host_in(sit), "goldencrust.co.za");
  EXPECT_EQ(tenant.aliases_in("sit"),
            (std::vector<std::string>{"goldencrust.com", "www.goldencrust.co.za",
                                      "shop.goldencrust.co.za", "old.example"}));
  EXPECT_EQ(tenant.alias_mode(sit, "goldencrust.com"), AliasMode::Redirect);
  // Unstated: the www form of the canonical host redirects, any other is served.
  EXPECT_EQ(tenant.alias_mode(sit, "www.goldencrust.co.za"), AliasMode::Redirect);
  EXPECT_EQ(tenant.alias_mode(sit, "shop.goldencrust.co.za"), AliasMode::Served);
  EXPECT_EQ(tenant.alias_mode(sit, "old.example"), AliasMode::Served);
}

TEST(ParseFleetTest, AStatedModeOverridesTheDefaultInEveryEnvironmentOfAList) {
  Result<Fleet> fleet = dev_and_sit_with(
      "aliases = [{ host = \"www.goldencrust.wpdev.localhost\", redirect = false }, \"bakery.example\"]\n");
  ASSERT_TRUE(fleet.ok()) << fleet.error().message;
  const Tenant& tenant = fleet->tenants[0];
  for (const auto& [name, env] : fleet->environments) {
    EXPECT_EQ(tenant.alias_mode(env, "www.goldencrust.wpdev.localhost"), AliasMode::Served) << name;
    EXPECT_EQ(tenant.alias_mode(env, "bakery.example"), AliasMode::Served) << name;
  }
}

TEST(ParseFleetTest, ReportsTomlSyntaxErrorsWithTheirPosition) {
  Result<Fleet> fleet =
      parse_fleet("[environments.dev]\ndomain = \"{tenant}.x\nlisten = 1\n", "fleet.toml");
  ASSERT_FALSE(fleet.ok());
  const std::string& message = fleet.error().message;
  EXPECT_TRUE(message.starts_with("fleet.toml:2:")) << message;
  EXPECT_NE(message.find("invalid TOML: "), std::string::npos) << message;
  EXPECT_NE(message.find("; fix the syntax here"), std::string::npos) << message;
}

TEST(LoadFleetFileTest, MissingFileSaysHowToCreateOne) {
  Result<Fleet> fleet = load_fleet_file("/nonexistent/fleet.toml");
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.error().message,
            "cannot read fleet file /nonexistent/fleet.toml: No such file or directory; "
            "create one with `wpfleet init`");
}

TEST(LoadFleetFileTest, DirectoryIsNotAFleetFile) {
  std::string dir = std::filesystem::temp_directory_path().string();
  Result<Fleet> fleet = load_fleet_file(dir);
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.error().message,
            "cannot read fleet file " + dir + ": Is a directory; create one with `wpfleet init`");
}

TEST(LoadFleetFileTest, ProblemsNameTheFile) {
  Result<Fleet> fleet = parse_fleet("", "/srv/fleet.toml");
  ASSERT_FALSE(fleet.ok());
  EXPECT_TRUE(fleet.error().message.starts_with("/srv/fleet.toml:1:1: ")) << fleet.error().message;
}

}  // namespace
}  // namespace wpfleet
