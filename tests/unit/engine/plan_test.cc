#include "engine/plan.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

std::vector<DesiredResource> desire(const std::string& env, const std::string& tenant,
                                    const std::string& fingerprint = "f") {
  std::vector<DesiredResource> out;
  for (ResourceKind kind : kApplyOrder) out.push_back({{env, tenant, kind}, fingerprint});
  return out;
}

// Observed state in which `tenant` was applied with `fingerprint` and everything exists.
void applied(ObservedState& observed, const std::string& env, const std::string& tenant,
             const std::string& fingerprint = "f") {
  for (ResourceKind kind : kApplyOrder) {
    observed.recorded[{env, tenant, kind}] = fingerprint;
    observed.existing.insert({env, tenant, kind});
  }
}

TEST(Plan, NewTenantCreatesEveryKindInApplyOrder) {
  Plan plan = make_plan(desire("dev", "alpha"), {}, {});
  ASSERT_EQ(plan.actions.size(), kApplyOrder.size());
  for (std::size_t i = 0; i < kApplyOrder.size(); ++i) {
    EXPECT_EQ(plan.actions[i].type, ActionType::Create);
    EXPECT_EQ(plan.actions[i].key.kind, kApplyOrder[i]);
    EXPECT_EQ(plan.actions[i].reason, "new");
  }
}

TEST(Plan, NothingToDoWhenAppliedAndUnchanged) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  Plan plan = make_plan(desire("dev", "alpha"), observed, {});
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.orphans.empty());
}

TEST(Plan, ExistingButUnrecordedIsAdoptedNotRecreated) {
  ObservedState observed;
  observed.existing.insert({"dev", "alpha", ResourceKind::Database});
  Plan plan = make_plan(desire("dev", "alpha"), observed, {});
  int adopted = 0;
  for (const auto& a : plan.actions) {
    if (a.key.kind == ResourceKind::Database) {
      EXPECT_EQ(a.type, ActionType::Adopt);
      ++adopted;
    }
  }
  EXPECT_EQ(adopted, 1);
}

TEST(Plan, ChangedFingerprintIsAnUpdateOfThatKindOnly) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  auto desired = desire("dev", "alpha");
  for (auto& d : desired) {
    if (d.key.kind == ResourceKind::Site) d.fingerprint = "new title";
  }
  Plan plan = make_plan(desired, observed, {});
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].type, ActionType::Update);
  EXPECT_EQ(plan.actions[0].key.kind, ResourceKind::Site);
}

TEST(Plan, RecordedButMissingIsRecreatedAndLaterKindsRebuilt) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  observed.existing.erase({"dev", "alpha", ResourceKind::Secrets});
  Plan plan = make_plan(desire("dev", "alpha"), observed, {});
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan.actions[0].key.kind, ResourceKind::Secrets);
  EXPECT_EQ(plan.actions[0].type, ActionType::Create);
  EXPECT_NE(plan.actions[0].reason.find("missing"), std::string::npos);
  // Identity comes before secrets and is untouched; everything after is rebuilt.
  EXPECT_EQ(plan.actions.size(), kApplyOrder.size() - 1);
  for (std::size_t i = 1; i < plan.actions.size(); ++i) {
    EXPECT_EQ(plan.actions[i].type, ActionType::Update);
  }
}

TEST(Plan, RemovedTenantIsAnOrphanWithoutPrune) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  applied(observed, "dev", "gone");
  Plan plan = make_plan(desire("dev", "alpha"), observed, {});
  EXPECT_TRUE(plan.empty());
  ASSERT_EQ(plan.orphans.size(), 1u);
  EXPECT_EQ(plan.orphans[0], std::make_pair(std::string("dev"), std::string("gone")));
}

TEST(Plan, PruneDeletesEveryRecordedKindInReverseOrder) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  applied(observed, "dev", "gone");
  Plan plan = make_plan(desire("dev", "alpha"), observed, PlanOptions{true, {}});
  ASSERT_EQ(plan.actions.size(), kApplyOrder.size());
  for (std::size_t i = 0; i < plan.actions.size(); ++i) {
    EXPECT_EQ(plan.actions[i].type, ActionType::Delete);
    EXPECT_EQ(plan.actions[i].key.tenant, "gone");
    EXPECT_EQ(plan.actions[i].key.kind, kApplyOrder[kApplyOrder.size() - 1 - i]);
  }
  EXPECT_TRUE(plan.orphans.empty());
}

TEST(Plan, UnfinishedDeletionIsFinishedEvenWithoutPrune) {
  ObservedState observed;
  observed.recorded[{"dev", "alpha", ResourceKind::Database}] = "f";
  PlanOptions options;
  options.deleting.insert({"dev", "alpha"});
  Plan plan = make_plan(desire("dev", "alpha"), observed, options);
  ASSERT_EQ(plan.actions.size(), 1u);
  EXPECT_EQ(plan.actions[0].type, ActionType::Delete);
  EXPECT_EQ(plan.actions[0].key.kind, ResourceKind::Database);
}

TEST(Plan, SameTenantInTwoEnvironmentsIsPlannedIndependently) {
  ObservedState observed;
  applied(observed, "dev", "alpha");
  auto desired = desire("dev", "alpha");
  auto sit = desire("sit", "alpha");
  desired.insert(desired.end(), sit.begin(), sit.end());
  Plan plan = make_plan(desired, observed, {});
  ASSERT_EQ(plan.actions.size(), kApplyOrder.size());
  for (const auto& a : plan.actions) EXPECT_EQ(a.key.env, "sit");
}

TEST(Plan, ThousandUpToDateTenantsPlanToNothing) {
  ObservedState observed;
  std::vector<DesiredResource> desired;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = "t" + std::to_string(i);
    applied(observed, "dev", id);
    auto more = desire("dev", id);
    desired.insert(desired.end(), more.begin(), more.end());
  }
  EXPECT_TRUE(make_plan(desired, observed, {}).empty());
}

}  // namespace
}  // namespace wpfleet
