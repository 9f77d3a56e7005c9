#include "transfer/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/crypto.h"
#include "util/fs.h"
#include "util/unique_fd.h"

namespace wpfleet::transfer {
namespace {

namespace fs = std::filesystem;

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wpfleet-blob-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  UniqueFd file_with(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    EXPECT_TRUE(write_file_atomic(path, content, 0644).ok());
    return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  }

  std::string read_back(const BlobStore& store, const std::string& sha) {
    std::string out;
    Status read = store.read(sha, [&](std::string_view piece) -> Status {
      out.append(piece);
      return {};
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return out;
  }

  fs::path dir_;
};

TEST_F(BlobStoreTest, StoresEachContentOnceUnderItsHash) {
  BlobStore store(dir_ / "blobs");
  const std::string content(3 << 20, 'x');  // several pieces
  UniqueFd a = file_with("a", content);
  UniqueFd b = file_with("b", content);
  auto first = store.put(a.get(), content.size());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(first->added);
  EXPECT_EQ(first->sha256, sha256_hex(content));
  EXPECT_EQ(first->size, content.size());
  auto second = store.put(b.get(), content.size());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->added);
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(read_back(store, first->sha256), content);

  const fs::path blob = dir_ / "blobs" / first->sha256.substr(0, 2) / first->sha256;
  struct stat st {};
  ASSERT_EQ(::stat(blob.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600U);  // nobody but root reads a blob
  ASSERT_EQ(::stat((dir_ / "blobs").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700U);
  EXPECT_TRUE(fs::is_empty(dir_ / "blobs" / "tmp"));  // no temporary file stays
  EXPECT_EQ(store.added_bytes(), content.size());  // the second put added nothing
  EXPECT_TRUE(store.sync().ok());
  EXPECT_TRUE(BlobStore(dir_ / "never-written").sync().ok());
}

TEST_F(BlobStoreTest, StoresNoMoreThanTheSizeItWasGiven) {
  BlobStore store(dir_ / "blobs");
  UniqueFd file = file_with("grown", "0123456789");
  auto stored = store.put(file.get(), 4);  // the file grew after it was looked at
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->sha256, sha256_hex("0123"));
  EXPECT_EQ(read_back(store, stored->sha256), "0123");
  // Shorter than said: what was there is stored, under its own hash.
  auto shorter = store.put(file.get(), 100);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->size, 10U);
  EXPECT_EQ(shorter->sha256, sha256_hex("0123456789"));
}

TEST_F(BlobStoreTest, AnEmptyFileIsABlobToo) {
  BlobStore store(dir_ / "blobs");
  UniqueFd file = file_with("empty", "");
  auto stored = store.put(file.get(), 0);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->sha256, sha256_hex(""));
  EXPECT_TRUE(store.contains(stored->sha256));
  EXPECT_EQ(read_back(store, stored->sha256), "");
}

TEST_F(BlobStoreTest, ReadingADamagedBlobFails) {
  BlobStore store(dir_ / "blobs");
  UniqueFd file = file_with("f", "original");
  auto stored = store.put(file.get(), 8);
  ASSERT_TRUE(stored.ok());
  const fs::path blob = dir_ / "blobs" / stored->sha256.substr(0, 2) / stored->sha256;
  ASSERT_TRUE(write_file_atomic(blob, "tampered", 0600).ok());
  Status read = store.read(stored->sha256, [](std::string_view) -> Status { return {}; });
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("damaged"), std::string::npos) << read.error().message;
  EXPECT_FALSE(store.read("../../etc/passwd", [](std::string_view) -> Status { return {}; }).ok());
  EXPECT_FALSE(store.read(sha256_hex("never stored"), [](std::string_view) -> Status { return {}; }).ok());
}

TEST_F(BlobStoreTest, GarbageCollectionKeepsWhatIsReferenced) {
  BlobStore store(dir_ / "blobs");
  UniqueFd kept_file = file_with("kept", "kept content");
  UniqueFd gone_file = file_with("gone", "unreferenced content!");
  auto kept = store.put(kept_file.get(), 12);
  auto gone = store.put(gone_file.get(), 21);
  ASSERT_TRUE(kept.ok() && gone.ok());
  // What an interrupted write leaves.
  ASSERT_TRUE(write_file_atomic(dir_ / "blobs" / "tmp" / "0123456789abcdef", "half", 0600).ok());

  auto report = store.collect_garbage({kept->sha256});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->blobs, 1U);
  EXPECT_EQ(report->bytes, 21U);
  EXPECT_EQ(report->leftovers, 1U);
  EXPECT_TRUE(store.contains(kept->sha256));
  EXPECT_FALSE(store.contains(gone->sha256));
  EXPECT_EQ(store.size_of(gone->sha256), 0U);
  // A store never written is empty, not an error.
  EXPECT_TRUE(BlobStore(dir_ / "none").collect_garbage({}).ok());
}

TEST_F(BlobStoreTest, ASweepOwedStaysUntilAGarbageCollectionFinishes) {
  BlobStore store(dir_ / "blobs");
  EXPECT_FALSE(store.sweep_owed());
  ASSERT_TRUE(store.owe_sweep().ok());
  // Another object on the same store (the next command) sees it: it is on disk.
  EXPECT_TRUE(BlobStore(dir_ / "blobs").sweep_owed());
  ASSERT_TRUE(store.collect_garbage({}).ok());
  EXPECT_FALSE(store.sweep_owed());
}

TEST(BlobName, OnlyLowercaseSha256) {
  EXPECT_TRUE(is_blob_name(sha256_hex("x")));
  EXPECT_FALSE(is_blob_name("tmp"));
  EXPECT_FALSE(is_blob_name(std::string(64, 'A')));
  EXPECT_FALSE(is_blob_name(std::string(63, 'a') + "/"));
}

}  // namespace
}  // namespace wpfleet::transfer
