#include "fleet/model.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

Environment environment(const std::string& name, const std::string& domain) {
  Environment env;
  env.name = name;
  env.domain = domain;
  return env;
}

Tenant tenant(const std::string& id, std::vector<std::string> environments) {
  Tenant t;
  t.id = id;
  t.environments = std::move(environments);
  return t;
}

// dev and sit; "a" in both, "b" in sit only, "c" in both but sit listed first.
Fleet small_fleet() {
  Fleet fleet;
  fleet.environments.emplace("dev", environment("dev", "{tenant}.wpdev.localhost"));
  fleet.environments.emplace("sit", environment("sit", "{tenant}.wpsit.localhost"));
  fleet.tenants = {tenant("a", {"dev", "sit"}), tenant("b", {"sit"}), tenant("c", {"sit", "dev"})};
  return fleet;
}

std::vector<std::string> describe(const std::vector<Placement>& placements) {
  std::vector<std::string> names;
  for (const Placement& p : placements) names.push_back(p.tenant->id + "@" + p.environment->name);
  return names;
}

TEST(EnvironmentTest, HostForReplacesThePlaceholder) {
  EXPECT_EQ(environment("dev", "{tenant}.wpdev.localhost").host_for("goldencrust"),
            "goldencrust.wpdev.localhost");
  EXPECT_EQ(environment("dev", "www-{tenant}.example").host_for("a"), "www-a.example");
}

TEST(TenantTest, ItsOwnDomainReplacesThePatternInItsEnvironmentOnly) {
  Tenant t = tenant("goldencrust", {"dev", "prod"});
  t.domains["prod"] = "goldencrust.co.za";
  EXPECT_EQ(t.host_in(environment("prod", "{tenant}.wp.example")), "goldencrust.co.za");
  EXPECT_EQ(t.host_in(environment("dev", "{tenant}.wpdev.localhost")), "goldencrust.wpdev.localhost");
}

TEST(TenantTest, AliasModeDefaultsToRedirectingTheWwwFormOfTheCanonicalHost) {
  Tenant t = tenant("goldencrust", {"prod"});
  const Environment prod = environment("prod", "{tenant}.wp.example");
  EXPECT_EQ(t.alias_mode(prod, "www.goldencrust.wp.example"), AliasMode::Redirect);
  EXPECT_EQ(t.alias_mode(prod, "www.goldencrust.co.za"), AliasMode::Served);
  t.domains["prod"] = "goldencrust.co.za";
  EXPECT_EQ(t.alias_mode(prod, "www.goldencrust.co.za"), AliasMode::Redirect);
  EXPECT_EQ(t.alias_mode(prod, "www.goldencrust.wp.example"), AliasMode::Served);
  t.alias_modes["prod"]["www.goldencrust.co.za"] = AliasMode::Served;
  t.alias_modes["prod"]["goldencrust.com"] = AliasMode::Redirect;
  EXPECT_EQ(t.alias_mode(prod, "www.goldencrust.co.za"), AliasMode::Served);
  EXPECT_EQ(t.alias_mode(prod, "goldencrust.com"), AliasMode::Redirect);
}

TEST(FleetTest, FindsEnvironmentsAndTenantsByName) {
  Fleet fleet = small_fleet();
  ASSERT_NE(fleet.find_environment("sit"), nullptr);
  EXPECT_EQ(fleet.find_environment("sit")->name, "sit");
  EXPECT_EQ(fleet.find_environment("prod"), nullptr);
  ASSERT_NE(fleet.find_tenant("b"), nullptr);
  EXPECT_EQ(fleet.find_tenant("b"), &fleet.tenants[1]);
  EXPECT_EQ(fleet.find_tenant("z"), nullptr);
}

TEST(TenantTest, AliasesInGivesTheEnvironmentsAliasesOrNone) {
  Tenant t = tenant("a", {"dev", "sit"});
  t.aliases["dev"] = {"www.a.example"};
  EXPECT_EQ(t.aliases_in("dev"), std::vector<std::string>{"www.a.example"});
  EXPECT_TRUE(t.aliases_in("sit").empty());
}

TEST(PlacementsTest, FollowTenantOrderThenEachTenantsEnvironmentOrder) {
  EXPECT_EQ(describe(placements(small_fleet())),
            (std::vector<std::string>{"a@dev", "a@sit", "b@sit", "c@sit", "c@dev"}));
}

TEST(PlacementsTest, NarrowToEnvironments) {
  EXPECT_EQ(describe(placements(small_fleet(), {"dev"})),
            (std::vector<std::string>{"a@dev", "c@dev"}));
}

TEST(PlacementsTest, NarrowToTenants) {
  EXPECT_EQ(describe(placements(small_fleet(), {}, {"c", "b"})),
            (std::vector<std::string>{"b@sit", "c@sit", "c@dev"}));
}

TEST(PlacementsTest, NarrowToBoth) {
  EXPECT_EQ(describe(placements(small_fleet(), {"sit"}, {"a"})),
            (std::vector<std::string>{"a@sit"}));
  EXPECT_TRUE(placements(small_fleet(), {"prod"}).empty());
}

}  // namespace
}  // namespace wpfleet
