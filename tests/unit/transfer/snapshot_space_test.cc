#include "transfer/snapshot_space.h"

#include <gtest/gtest.h>

namespace wpfleet::transfer {
namespace {

SnapshotContent snapshot(const std::string& id, std::int64_t taken, std::uint64_t archive,
                         std::map<std::string, std::uint64_t> blobs) {
  SnapshotRecord record;
  record.id = id;
  record.created_at = taken;
  return SnapshotContent{record, archive, std::move(blobs), ""};
}

std::vector<std::string> ids(const std::vector<SnapshotRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.id);
  return out;
}

// Three snapshots of a site, newest first as the store lists them: a file all share,
// one changed between each.
const std::vector<SnapshotContent> kThree = {
    snapshot("s3", 300, 10, {{"common", 1000}, {"v2", 300}, {"new", 50}}),
    snapshot("s2", 200, 10, {{"common", 1000}, {"v2", 300}}),
    snapshot("s1", 100, 10, {{"common", 1000}, {"v1", 300}}),
};

TEST(SnapshotSpace, OwnIsWhatNoOtherSnapshotListsAndSharedTheRest) {
  const auto spaces = space_of(kThree);
  ASSERT_EQ(spaces.size(), 3u);
  EXPECT_EQ(spaces[2].own_bytes, 10u + 300u);
  EXPECT_EQ(spaces[2].shared_bytes, 1000u);
  EXPECT_EQ(spaces[1].own_bytes, 10u);
  EXPECT_EQ(spaces[1].shared_bytes, 1300u);
  EXPECT_EQ(spaces[0].own_bytes, 60u);
  EXPECT_EQ(spaces[0].shared_bytes, 1300u);
}

TEST(SnapshotSpace, DiskUsedCountsEachFileOnce) {
  EXPECT_EQ(disk_used(kThree), 30u + 1000u + 300u + 300u + 50u);
  EXPECT_EQ(disk_used({}), 0u);
  EXPECT_EQ(*referenced_blobs(kThree), (std::set<std::string>{"common", "new", "v1", "v2"}));
  // One unreadable list: nothing can be known to be garbage.
  auto damaged = kThree;
  damaged[1].unreadable = "not a tar file";
  EXPECT_FALSE(referenced_blobs(damaged).ok());
}

TEST(SnapshotSpace, TheBudgetDeletesTheOldestFirst) {
  EXPECT_TRUE(over_budget(kThree, 2000, {}).empty());
  // Deleting s1 frees 310: 1680 - 310 = 1370.
  EXPECT_EQ(ids(over_budget(kThree, 1400, {})), (std::vector<std::string>{"s1"}));
  // Deleting s2 too frees only its archive: the rest still list its files.
  EXPECT_EQ(ids(over_budget(kThree, 1365, {})), (std::vector<std::string>{"s1", "s2"}));
}

TEST(SnapshotSpace, TheBudgetSparesWhatIsNeeded) {
  EXPECT_EQ(ids(over_budget(kThree, 1400, {"s1"})), (std::vector<std::string>{"s2", "s3"}))
      << "s2 alone frees too little (10), so s3 goes too";
  // Everything spared: nothing deleted, even over budget.
  EXPECT_TRUE(over_budget(kThree, 1, {"s1", "s2", "s3"}).empty());
  // Taken within the same second: the store's order tells which is older, not the ids.
  const std::vector<SnapshotContent> same_second = {snapshot("s-a", 100, 10, {{"x", 500}}),
                                                    snapshot("s-b", 100, 10, {{"y", 500}})};
  EXPECT_EQ(ids(over_budget(same_second, 600, {})), (std::vector<std::string>{"s-b"}));
}

TEST(SnapshotSpace, TheBudgetSparesTheNewOneTheNeededOnesAndProductionsNewest) {
  const auto record = [](const std::string& id, const std::string& tenant) {
    SnapshotRecord r;
    r.id = id;
    r.tenant = tenant;
    return r;
  };
  // Newest first, as the store lists them.
  const std::vector<SnapshotRecord> records = {record("a3", "a"), record("b2", "b"), record("a2", "a"),
                                               record("b1", "b"), record("a1", "a")};
  EXPECT_EQ(spared_by_budget(records, false, {"a1"}, "a3"), (std::set<std::string>{"a1", "a3"}));
  EXPECT_EQ(spared_by_budget(records, true, {"a1"}, "a3"), (std::set<std::string>{"a1", "a3", "b2"}));
  EXPECT_EQ(spared_by_budget({}, true, {}, "x"), (std::set<std::string>{"x"}));
}

}  // namespace
}  // namespace wpfleet::transfer
