#include "util/safe_tree.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "util/fs.h"

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

constexpr char kSecret[] = "the-secret-key-bytes";

class SafeTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-safe-tree-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    // Outside the tree: what a planted link points to.
    fs::create_directories(dir_ / "outside");
    ASSERT_TRUE(write_file_atomic(dir_ / "outside" / "secret.key", kSecret, 0600).ok());
    fs::create_directories(tree() / "uploads" / "2026");
    ASSERT_TRUE(write_file_atomic(tree() / "uploads" / "2026" / "a.txt", "hello").ok());
    ASSERT_TRUE(write_file_atomic(tree() / "index.php", "<?php").ok());
    fs::create_symlink(dir_ / "outside" / "secret.key", tree() / "uploads" / "link.txt");
    fs::create_directory_symlink(dir_ / "outside", tree() / "uploads" / "linked-dir");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path tree() const { return dir_ / "tree"; }
  UniqueFd open(const fs::path& path) {
    auto fd = open_dir(path);
    EXPECT_TRUE(fd.ok()) << fd.error().message;
    return fd ? std::move(*fd) : UniqueFd();
  }
  static mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
  }
  // Every regular file below `root` with its content.
  static std::map<std::string, std::string> files_below(const fs::path& root) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      if (entry.is_symlink() || !entry.is_regular_file()) continue;
      files[entry.path().lexically_relative(root).string()] = *read_file(entry.path());
    }
    return files;
  }

  fs::path dir_;
};

TEST_F(SafeTreeTest, WalkVisitsEveryEntryOnceAndNeverFollowsALink) {
  UniqueFd root = open(tree());
  std::map<std::string, char> seen;
  Status walked = walk_tree(root.get(), [&](const TreeEntry& entry) -> Status {
    const char kind = S_ISDIR(entry.st.st_mode) ? 'd' : S_ISREG(entry.st.st_mode) ? 'f'
                                                : S_ISLNK(entry.st.st_mode) ? 'l' : '?';
    EXPECT_EQ(entry.fd >= 0, kind == 'd' || kind == 'f') << entry.path;
    seen[entry.path] = kind;
    return {};
  });
  ASSERT_TRUE(walked.ok()) << walked.error().message;
  const std::map<std::string, char> expected = {
      {"index.php", 'f'},          {"uploads", 'd'},
      {"uploads/2026", 'd'},       {"uploads/2026/a.txt", 'f'},
      {"uploads/link.txt", 'l'},   {"uploads/linked-dir", 'l'}};
  EXPECT_EQ(seen, expected);
}

TEST_F(SafeTreeTest, CopyLeavesLinksBehind) {
  fs::create_directories(dir_ / "copy");
  UniqueFd from = open(tree());
  UniqueFd to = open(dir_ / "copy");
  auto totals = copy_tree(from.get(), to.get());
  ASSERT_TRUE(totals.ok()) << totals.error().message;
  EXPECT_EQ(totals->files, 2u);
  EXPECT_EQ(totals->bytes, 10u);
  const std::map<std::string, std::string> expected = {{"index.php", "<?php"},
                                                       {"uploads/2026/a.txt", "hello"}};
  EXPECT_EQ(files_below(dir_ / "copy"), expected);
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "copy" / "uploads" / "link.txt")));
}

TEST_F(SafeTreeTest, RemoveTakesTheLinksNotWhatTheyPointTo) {
  auto parent = open(dir_);
  ASSERT_TRUE(remove_tree_at(parent.get(), "tree").ok());
  EXPECT_FALSE(fs::exists(tree()));
  EXPECT_EQ(*read_file(dir_ / "outside" / "secret.key"), kSecret);
  EXPECT_TRUE(remove_tree_at(parent.get(), "tree").ok()) << "a missing tree is not an error";
  // And through util/fs.h's path-based entry point.
  fs::create_directories(dir_ / "again");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "again" / "link");
  ASSERT_TRUE(remove_tree(dir_ / "again").ok());
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "secret.key"));
}

TEST_F(SafeTreeTest, EnsureDirReplacesALinkInsteadOfChangingItsTarget) {
  ::chmod((dir_ / "outside").c_str(), 0700);
  fs::remove_all(tree() / "uploads" / "2026");
  fs::rename(tree() / "uploads" / "linked-dir", tree() / "uploads" / "2026");
  UniqueFd uploads = open(tree() / "uploads");
  auto made = ensure_dir_at(uploads.get(), "2026", 0755, std::nullopt);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_EQ(mode_of(dir_ / "outside") & 07777, 0700u) << "the link's target was changed";
  EXPECT_TRUE(S_ISDIR(mode_of(tree() / "uploads" / "2026")));
  EXPECT_EQ(mode_of(tree() / "uploads" / "2026") & 07777, 0755u);
  EXPECT_TRUE(fs::exists(dir_ / "outside" / "secret.key"));
  // A file in the way is replaced too; an existing directory is kept with its content.
  auto again = ensure_dir_at(uploads.get(), "2026", 0750, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(mode_of(tree() / "uploads" / "2026") & 07777, 0750u);
  auto over_file = ensure_dir_at(open(tree()).get(), "index.php", 0755, std::nullopt);
  ASSERT_TRUE(over_file.ok());
  EXPECT_TRUE(S_ISDIR(mode_of(tree() / "index.php")));
}

TEST_F(SafeTreeTest, EnsureFileReplacesLinksAndHardLinksButKeepsAPlainFile) {
  UniqueFd root = open(tree());
  fs::create_hard_link(dir_ / "outside" / "secret.key", tree() / "hard.log");
  fs::create_symlink(dir_ / "outside" / "new-file", tree() / "soft.log");
  ASSERT_TRUE(write_file_atomic(tree() / "plain.log", "kept").ok());
  for (const char* name : {"hard.log", "soft.log", "plain.log", "missing.log"}) {
    auto file = ensure_file_at(root.get(), name, 0640, std::nullopt);
    ASSERT_TRUE(file.ok()) << name << ": " << file.error().message;
    EXPECT_TRUE(S_ISREG(mode_of(tree() / name))) << name;
    EXPECT_EQ(mode_of(tree() / name) & 07777, 0640u) << name;
  }
  EXPECT_EQ(*read_file(tree() / "hard.log"), "");
  EXPECT_EQ(*read_file(tree() / "plain.log"), "kept");
  EXPECT_EQ(*read_file(dir_ / "outside" / "secret.key"), kSecret);
  EXPECT_EQ(mode_of(dir_ / "outside" / "secret.key") & 07777, 0600u);
  EXPECT_FALSE(fs::exists(dir_ / "outside" / "new-file"));
}

TEST_F(SafeTreeTest, OpeningBeneathRefusesLinksAndEscapes) {
  UniqueFd root = open(tree());
  EXPECT_TRUE(open_dir_beneath(root.get(), "uploads/2026").ok());
  EXPECT_TRUE(open_dir_beneath(root.get(), "").ok());
  EXPECT_FALSE(open_dir_beneath(root.get(), "uploads/linked-dir").ok());
  EXPECT_FALSE(open_dir_beneath(root.get(), "../outside").ok());
  EXPECT_FALSE(open_dir_beneath(root.get(), dir_ / "outside").ok());
  EXPECT_FALSE(create_file_beneath(root.get(), "uploads/linked-dir/planted", 0644).ok());
  EXPECT_FALSE(fs::exists(dir_ / "outside" / "planted"));
  EXPECT_FALSE(create_file_beneath(root.get(), "index.php", 0644).ok()) << "never reuses a file";
  auto made = make_dirs_beneath(root.get(), "new/deeper", 0755);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_TRUE(fs::is_directory(tree() / "new" / "deeper"));
}

TEST_F(SafeTreeTest, ChownTreeGivesEverythingAndNeverFollows) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing owners needs root";
  const Owner nobody{65534, 65534};
  UniqueFd root = open(tree());
  ASSERT_TRUE(chown_tree(root.get(), nobody).ok());
  struct stat st {};
  ASSERT_EQ(::lstat((tree() / "uploads" / "2026" / "a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  ASSERT_EQ(::lstat(tree().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  ASSERT_EQ(::lstat((tree() / "uploads" / "link.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u) << "the link itself";
  ASSERT_EQ(::stat((dir_ / "outside" / "secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "not what it points to";
}

// The attack on promote's copy: while the copy runs, another process keeps swapping a
// regular file and a link to a secret (renameat2 RENAME_EXCHANGE, atomic). Whichever
// it sees, the copy must never hold the secret.
TEST_F(SafeTreeTest, ACopyRacingAFileLinkSwapNeverHoldsTheSecret) {
  const fs::path uploads = tree() / "uploads";
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(write_file_atomic(uploads / ("f" + std::to_string(i)), "harmless").ok());
    fs::create_symlink(dir_ / "outside" / "secret.key", uploads / ("l" + std::to_string(i)));
  }
  std::atomic<bool> stop{false};
  std::atomic<long> swaps{0};
  std::thread swapper([&] {
    while (!stop) {
      for (int i = 0; i < 50; ++i) {
        const std::string f = (uploads / ("f" + std::to_string(i))).string();
        const std::string l = (uploads / ("l" + std::to_string(i))).string();
        if (::renameat2(AT_FDCWD, f.c_str(), AT_FDCWD, l.c_str(), RENAME_EXCHANGE) == 0) ++swaps;
      }
    }
  });
  UniqueFd from = open(tree());
  for (int round = 0; round < 200; ++round) {
    const fs::path copy = dir_ / ("copy" + std::to_string(round % 2));
    fs::remove_all(copy);
    fs::create_directories(copy);
    UniqueFd to = open(copy);
    auto totals = copy_tree(from.get(), to.get());
    ASSERT_TRUE(totals.ok()) << totals.error().message;
    for (const auto& [name, content] : files_below(copy)) {
      ASSERT_EQ(content.find(kSecret), std::string::npos) << name << " in round " << round;
    }
  }
  stop = true;
  swapper.join();
  EXPECT_GT(swaps.load(), 100) << "the race did not run";
}

}  // namespace
}  // namespace wpfleet
