// DirectorySwap, on both methods: a swap and its undo, and the undo of a swap a crash
// stopped at each point between its steps (made here by doing those steps by hand).
#include "backends/directory_swap.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "util/fs.h"

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

class DirectorySwapTest : public ::testing::TestWithParam<SwapMethod> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-dirswap-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    parent_ = pattern;
    fs::create_directory(parent_ / "site");
    write(parent_ / "site" / "which", "old");
  }
  void TearDown() override { fs::remove_all(parent_); }

  static void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  static std::string read(const fs::path& path) {
    auto text = read_file(path);
    return text.ok() ? *text : "(missing)";
  }
  DirectorySwap swap() const { return DirectorySwap(parent_, "site", GetParam()); }
  // A staging directory holding the new content.
  void stage_new() {
    DirectorySwap files = swap();
    auto staged = files.fresh_staging();
    ASSERT_TRUE(staged.ok()) << staged.error().message;
    write(parent_ / "site.staging" / "which", "new");
  }
  // The swap's note, as swap_in writes it before its first rename: the device and
  // inode of the directory that is live before.
  void note_identity_of(const std::string& name) const {
    struct stat st {};
    ASSERT_EQ(::lstat((parent_ / name).c_str(), &st), 0);
    ASSERT_TRUE(write_file_atomic(parent_ / "site.swapping",
                                  std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino), 0600));
  }
  std::string live() const { return read(parent_ / "site" / "which"); }
  // Nothing but the live directory is left.
  void only_live_left() const {
    for (const char* name : {"site.staging", "site.previous", "site.swapping"}) {
      EXPECT_FALSE(fs::exists(parent_ / name)) << name;
    }
  }

  fs::path parent_;
};

TEST_P(DirectorySwapTest, SwapsInAndPutsThePreviousBack) {
  stage_new();
  DirectorySwap files = swap();
  ASSERT_TRUE(files.swap_in());
  EXPECT_EQ(live(), "new");
  EXPECT_EQ(read(parent_ / "site.previous" / "which"), "old");
  EXPECT_FALSE(fs::exists(parent_ / "site.swapping"));
  auto moved = files.restore_previous();
  ASSERT_TRUE(moved);
  EXPECT_TRUE(*moved);
  EXPECT_EQ(live(), "old");
  ASSERT_TRUE(files.discard_staging());
  only_live_left();
}

TEST_P(DirectorySwapTest, SwapStoppedBeforeItsFirstRenameLeavesTheLiveFiles) {
  stage_new();
  note_identity_of("site");
  DirectorySwap files = swap();
  auto moved = files.restore_previous();
  ASSERT_TRUE(moved);
  EXPECT_FALSE(*moved) << "nothing was swapped, so nothing was put back";
  ASSERT_TRUE(files.discard_staging());
  EXPECT_EQ(live(), "old");
  only_live_left();
}

TEST_P(DirectorySwapTest, SwapStoppedAfterItsLastRenameIsUndone) {
  stage_new();
  DirectorySwap files = swap();
  ASSERT_TRUE(files.swap_in());
  // The note the crash would have left behind: what was live before.
  note_identity_of("site.previous");
  ASSERT_TRUE(files.restore_previous());
  ASSERT_TRUE(files.discard_staging());
  EXPECT_EQ(live(), "old");
  only_live_left();
}

TEST_P(DirectorySwapTest, SwapStoppedBetweenItsStepsIsUndone) {
  stage_new();
  note_identity_of("site");
  if (GetParam() == SwapMethod::Exchange) {
    // Exchanged, not yet renamed: the old files are in staging.
    ASSERT_EQ(::renameat2(AT_FDCWD, (parent_ / "site.staging").c_str(), AT_FDCWD,
                          (parent_ / "site").c_str(), RENAME_EXCHANGE),
              0);
  } else {
    // live -> previous done, staging -> live not: no live directory.
    fs::rename(parent_ / "site", parent_ / "site.previous");
  }
  DirectorySwap files = swap();
  ASSERT_TRUE(files.restore_previous());
  ASSERT_TRUE(files.discard_staging());
  EXPECT_EQ(live(), "old");
  only_live_left();
}

TEST_P(DirectorySwapTest, TheSummaryChangesWithTheFiles) {
  DirectorySwap files = swap();
  FilesSummary before;
  ASSERT_TRUE(files.summarize(before));
  EXPECT_EQ(before.count, 1u);
  EXPECT_EQ(before.bytes, 3u);
  write(parent_ / "site" / "added", "12345");
  FilesSummary after;
  ASSERT_TRUE(files.summarize(after));
  EXPECT_EQ(after.count, 2u);
  EXPECT_EQ(after.bytes, 8u);
  EXPECT_NE(after.digest, before.digest);
}

INSTANTIATE_TEST_SUITE_P(BothMethods, DirectorySwapTest,
                         ::testing::Values(SwapMethod::Exchange, SwapMethod::TwoRenames),
                         [](const ::testing::TestParamInfo<SwapMethod>& method) {
                           return method.param == SwapMethod::Exchange ? "Exchange" : "TwoRenames";
                         });

}  // namespace
}  // namespace wpfleet
