#include "util/archive.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "util/fs.h"
#include "util/safe_tree.h"

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-archive-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ArchiveTest, ZstdRoundTripInPieces) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "INSERT INTO wp_posts VALUES (" + std::to_string(i) + ");\n";
  auto writer = ZstdFileWriter::create(dir_ / "dump.sql.zst");
  ASSERT_TRUE(writer.ok());
  for (std::size_t at = 0; at < text.size(); at += 77777) {
    ASSERT_TRUE(writer->write(std::string_view(text).substr(at, 77777)).ok());
  }
  ASSERT_TRUE(writer->close().ok());
  auto compressed = read_file(dir_ / "dump.sql.zst");
  ASSERT_TRUE(compressed.ok());
  EXPECT_LT(compressed->size(), text.size() / 5);
  std::string decoded;
  ZstdDecoder decoder([&](std::string_view piece) -> Status {
    decoded.append(piece);
    return {};
  });
  for (std::size_t at = 0; at < compressed->size(); at += 1000) {
    ASSERT_TRUE(decoder.feed(std::string_view(*compressed).substr(at, 1000)).ok());
  }
  EXPECT_TRUE(decoder.finish().ok());
  EXPECT_EQ(decoded, text);
}

TEST_F(ArchiveTest, TruncatedZstdIsAnError) {
  auto writer = ZstdFileWriter::create(dir_ / "x.zst");
  ASSERT_TRUE(writer->write(std::string(100000, 'a') + "tail").ok());
  ASSERT_TRUE(writer->close().ok());
  auto compressed = read_file(dir_ / "x.zst");
  ZstdDecoder decoder([](std::string_view) -> Status { return {}; });
  ASSERT_TRUE(decoder.feed(std::string_view(*compressed).substr(0, compressed->size() - 3)).ok());
  EXPECT_FALSE(decoder.finish().ok());
}

// A release archive of wordpress.org is a gzip-compressed tar.
TEST_F(ArchiveTest, ReadsGzipCompressedTar) {
  auto writer = TarWriter::create(dir_ / "x.tar");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(writer->add_bytes("wordpress/index.php", "<?php\n").ok());
  ASSERT_TRUE(writer->close().ok());
  ASSERT_EQ(std::system(("gzip " + (dir_ / "x.tar").string()).c_str()), 0);
  auto content = TarReader::read_entry(dir_ / "x.tar.gz", "wordpress/index.php");
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, std::optional<std::string>("<?php\n"));
}

// What export does with a tenant's tree: its walk's directories and regular files go
// in from their descriptors; a symlink is never written.
TEST_F(ArchiveTest, TarTakesFilesAndDirectoriesFromAWalk) {
  const fs::path tree = dir_ / "wp-content";
  fs::create_directories(tree / "uploads" / "2026");
  ASSERT_TRUE(write_file_atomic(tree / "uploads" / "2026" / "a.txt", "hello").ok());
  fs::create_directory_symlink("/usr/share", tree / "themes");
  auto tar = TarWriter::create(dir_ / "out.tar");
  ASSERT_TRUE(tar.ok());
  ASSERT_TRUE(tar->add_bytes("manifest.json", "{\"v\":1}").ok());
  auto root = open_dir(tree);
  ASSERT_TRUE(root.ok());
  Status walked = walk_tree(root->get(), [&](const TreeEntry& entry) -> Status {
    if (S_ISDIR(entry.st.st_mode)) return tar->add_directory("wp-content/" + entry.path, entry.st);
    if (S_ISREG(entry.st.st_mode)) return tar->add_file("wp-content/" + entry.path, entry.fd, entry.st);
    return {};
  });
  ASSERT_TRUE(walked.ok()) << walked.error().message;
  ASSERT_TRUE(tar->close().ok());

  std::map<std::string, std::string> seen;
  Status read = TarReader::for_each(dir_ / "out.tar", [&](const TarReader::Entry& entry,
                                                          const auto& read_data) -> Status {
    std::string content;
    TRY(read_data([&](std::string_view piece) -> Status {
      content.append(piece);
      return {};
    }));
    seen[entry.name] = entry.is_symlink ? "-> " + entry.symlink_target
                                        : entry.is_directory ? "dir" : content;
    return {};
  });
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(seen["manifest.json"], "{\"v\":1}");
  EXPECT_EQ(seen["wp-content/uploads/2026/a.txt"], "hello");
  EXPECT_EQ(seen["wp-content/uploads/"], "dir");
  EXPECT_EQ(seen.count("wp-content/themes"), 0u);
}

TEST_F(ArchiveTest, AFileBySymlinkIsRefused) {
  ASSERT_TRUE(write_file_atomic(dir_ / "secret", "key").ok());
  fs::create_symlink(dir_ / "secret", dir_ / "link");
  auto tar = TarWriter::create(dir_ / "out.tar");
  ASSERT_TRUE(tar.ok());
  EXPECT_FALSE(tar->add_file("x", dir_ / "link").ok());
}

}  // namespace
}  // namespace wpfleet
