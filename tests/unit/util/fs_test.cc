#include "util/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

class FsTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static mode_t mode_of(const fs::path& path) {
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  fs::path dir_;
};

TEST_F(FsTest, ReadsWhatWasWritten) {
  std::string content = std::string("line one\n") + '\0' + std::string(200000, 'z');
  ASSERT_TRUE(write_file_atomic(dir_ / "file", content).ok());
  auto read = read_file(dir_ / "file");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, content);
}

TEST_F(FsTest, ReadingAMissingFileNamesThePathAndReason) {
  fs::path missing = dir_ / "missing";
  auto read = read_file(missing);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find(missing.string()), std::string::npos);
  EXPECT_NE(read.error().message.find("No such file or directory"), std::string::npos);
}

TEST_F(FsTest, AtomicWriteSetsTheModeRegardlessOfUmask) {
  mode_t old_umask = ::umask(077);
  Status written = write_file_atomic(dir_ / "public", "x", 0644);
  ::umask(old_umask);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(mode_of(dir_ / "public"), 0644u);

  ASSERT_TRUE(write_file_atomic(dir_ / "secret", "x", 0600).ok());
  EXPECT_EQ(mode_of(dir_ / "secret"), 0600u);
}

TEST_F(FsTest, AtomicWriteReplacesAndLeavesNoTemporaryFiles) {
  ASSERT_TRUE(write_file_atomic(dir_ / "config", "first").ok());
  ASSERT_TRUE(write_file_atomic(dir_ / "config", "second", 0600).ok());
  EXPECT_EQ(*read_file(dir_ / "config"), "second");
  EXPECT_EQ(mode_of(dir_ / "config"), 0600u);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FsTest, AtomicWriteIntoAMissingDirectoryFails) {
  fs::path target = dir_ / "absent" / "file";
  Status written = write_file_atomic(target, "x");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find(target.string()), std::string::npos);
}

TEST_F(FsTest, AtomicWriteOverADirectoryFailsAndCleansUp) {
  fs::create_directory(dir_ / "taken");
  fs::create_directory(dir_ / "taken" / "inner");  // a non-empty directory cannot be replaced
  Status written = write_file_atomic(dir_ / "taken", "x");
  ASSERT_FALSE(written.ok());
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1) << "the temporary file was removed";
}

TEST_F(FsTest, MakeDirsCreatesParentsWithModeAndAcceptsExisting) {
  fs::path deep = dir_ / "a" / "b" / "c";
  ASSERT_TRUE(make_dirs(deep, 0700).ok());
  EXPECT_TRUE(fs::is_directory(deep));
  EXPECT_EQ(mode_of(dir_ / "a"), 0700u);
  EXPECT_EQ(mode_of(deep), 0700u);
  EXPECT_TRUE(make_dirs(deep).ok());
}

TEST_F(FsTest, MakeDirsOverAFileFails) {
  std::ofstream(dir_ / "file") << "x";
  Status made = make_dirs(dir_ / "file" / "sub");
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.error().message.find("file"), std::string::npos);
}

TEST_F(FsTest, RemoveTreeRemovesContentsAndToleratesMissing) {
  ASSERT_TRUE(make_dirs(dir_ / "tree" / "sub").ok());
  std::ofstream(dir_ / "tree" / "sub" / "file") << "x";
  ASSERT_TRUE(remove_tree(dir_ / "tree").ok());
  EXPECT_FALSE(fs::exists(dir_ / "tree"));
  EXPECT_TRUE(remove_tree(dir_ / "tree").ok());
}

}  // namespace
}  // namespace wpfleet
