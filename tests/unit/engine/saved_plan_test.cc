#include "engine/saved_plan.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

ObservedState applied_alpha() {
  ObservedState observed;
  for (ResourceKind kind : kApplyOrder) {
    observed.recorded[{"dev", "alpha", kind}] = "f-" + std::string(kind_name(kind));
    observed.existing.insert({"dev", "alpha", kind});
  }
  return observed;
}

SavedPlan a_saved_plan() {
  SavedPlan saved;
  saved.fleet_sha256 = std::string(64, 'a');
  saved.envs = {"dev"};
  saved.prune = true;
  saved.observed = applied_alpha();
  saved.plan.actions = {{ActionType::Create, {"dev", "beta", ResourceKind::Identity}, "new"},
                        {ActionType::Delete, {"dev", "gamma", ResourceKind::Site}, "not in the fleet file"}};
  saved.plan.orphans = {{"sit", "old"}};
  saved.created_at = "2026-01-02T03:04:05Z";
  return saved;
}

TEST(SavedPlan, RoundTripsEverything) {
  const SavedPlan saved = a_saved_plan();
  auto parsed = parse_saved_plan(saved_plan_json(saved));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->fleet_sha256, saved.fleet_sha256);
  EXPECT_EQ(parsed->envs, saved.envs);
  EXPECT_TRUE(parsed->tenants.empty());
  EXPECT_TRUE(parsed->prune);
  EXPECT_EQ(parsed->observed.recorded, saved.observed.recorded);
  EXPECT_EQ(parsed->observed.existing, saved.observed.existing);
  EXPECT_TRUE(same_plan(parsed->plan, saved.plan));
  EXPECT_EQ(parsed->created_at, saved.created_at);
}

TEST(SavedPlan, ObservedHashIsCanonicalAndSeesEveryDifference) {
  const ObservedState base = applied_alpha();
  // Built in another order: the same state, the same hash.
  ObservedState reordered;
  for (auto it = kApplyOrder.rbegin(); it != kApplyOrder.rend(); ++it) {
    reordered.existing.insert({"dev", "alpha", *it});
    reordered.recorded[{"dev", "alpha", *it}] = "f-" + std::string(kind_name(*it));
  }
  EXPECT_EQ(observed_sha256(base), observed_sha256(reordered));
  EXPECT_EQ(observed_sha256(base).size(), 64u);

  ObservedState gone = base;
  gone.existing.erase({"dev", "alpha", ResourceKind::Route});
  ObservedState refingered = base;
  refingered.recorded[{"dev", "alpha", ResourceKind::Runtime}] = "other";
  ObservedState forgotten = base;
  forgotten.recorded.erase({"dev", "alpha", ResourceKind::Site});
  for (const ObservedState* changed : {&gone, &refingered, &forgotten}) {
    EXPECT_NE(observed_sha256(*changed), observed_sha256(base));
  }
  // Names are not glued together: ("ab", "c") and ("a", "bc") differ.
  ObservedState left, right;
  left.existing.insert({"ab", "c", ResourceKind::Site});
  right.existing.insert({"a", "bc", ResourceKind::Site});
  EXPECT_NE(observed_sha256(left), observed_sha256(right));
}

TEST(SavedPlan, ObservedChangesNameEachResource) {
  const ObservedState then = applied_alpha();
  ObservedState now = then;
  now.existing.erase({"dev", "alpha", ResourceKind::Route});
  now.recorded[{"dev", "alpha", ResourceKind::Runtime}] = "other";
  now.recorded[{"dev", "beta", ResourceKind::Identity}] = "f";
  now.existing.insert({"dev", "beta", ResourceKind::Identity});
  now.recorded.erase({"dev", "alpha", ResourceKind::Site});

  std::vector<std::string> lines;
  for (const auto& change : observed_changes(then, now)) lines.push_back(change.describe());
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "dev/alpha route: disappeared",
                       "dev/alpha runtime: fingerprint changed (applied since with other settings)",
                       "dev/alpha site: no longer recorded by wpfleet (deleted since)",
                       "dev/beta identity: appeared, recorded by wpfleet (applied since)",
                   }));
  EXPECT_TRUE(observed_changes(then, then).empty());
}

TEST(SavedPlan, SamePlanComparesActionsInOrderAndOrphans) {
  const Plan plan = a_saved_plan().plan;
  EXPECT_TRUE(same_plan(plan, plan));
  Plan reversed = plan;
  std::swap(reversed.actions[0], reversed.actions[1]);
  EXPECT_FALSE(same_plan(plan, reversed));
  Plan shorter = plan;
  shorter.actions.pop_back();
  EXPECT_FALSE(same_plan(plan, shorter));
  Plan other_type = plan;
  other_type.actions[0].type = ActionType::Adopt;
  EXPECT_FALSE(same_plan(plan, other_type));
  Plan no_orphans = plan;
  no_orphans.orphans.clear();
  EXPECT_FALSE(same_plan(plan, no_orphans));
}

TEST(SavedPlan, NotAPlanIsRefusedWithWhatIsWrong) {
  const auto error = [](const std::string& text) {
    auto parsed = parse_saved_plan(text);
    EXPECT_FALSE(parsed.ok()) << text;
    return parsed.ok() ? std::string() : parsed.error().message;
  };
  EXPECT_NE(error("{not json").find("not JSON"), std::string::npos);
  EXPECT_NE(error("[1, 2]").find("not a saved plan"), std::string::npos);
  EXPECT_NE(error(R"({"changes": []})").find("not a saved plan"), std::string::npos);

  nlohmann::json doc = nlohmann::json::parse(saved_plan_json(a_saved_plan()));
  doc["version"] = 99;
  const std::string version = error(doc.dump());
  EXPECT_NE(version.find("version 99"), std::string::npos) << version;
  EXPECT_NE(version.find("applies version 1"), std::string::npos) << version;

  doc = nlohmann::json::parse(saved_plan_json(a_saved_plan()));
  doc.erase("scope");
  EXPECT_NE(error(doc.dump()).find("a field is missing or wrong"), std::string::npos);

  doc = nlohmann::json::parse(saved_plan_json(a_saved_plan()));
  doc["changes"][0]["action"] = "explode";
  EXPECT_NE(error(doc.dump()).find("unknown action 'explode'"), std::string::npos);

  doc = nlohmann::json::parse(saved_plan_json(a_saved_plan()));
  doc["observed"]["existing"].erase(0);
  const std::string edited = error(doc.dump());
  EXPECT_NE(edited.find("does not match its observed_sha256"), std::string::npos) << edited;
  EXPECT_NE(edited.find("wpfleet plan --out"), std::string::npos) << edited;
}

}  // namespace
}  // namespace wpfleet
