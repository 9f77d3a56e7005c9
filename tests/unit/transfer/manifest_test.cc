#include "transfer/manifest.h"

#include <gtest/gtest.h>

namespace wpfleet::transfer {
namespace {

TEST(FileList, RoundTripsFilesAndDirectories) {
  const ListedFile dir{"uploads", 0755, true, 0, ""};
  const ListedFile file{"uploads/a \"quoted\" name\n.jpg", 0640, false, 12345, std::string(64, 'a')};
  const auto parsed = parse_file_list(file_list_line(dir) + file_list_line(file));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_TRUE((*parsed)[0].directory);
  EXPECT_EQ((*parsed)[0].path, "uploads");
  EXPECT_EQ((*parsed)[0].mode, 0755u);
  EXPECT_FALSE((*parsed)[1].directory);
  EXPECT_EQ((*parsed)[1].path, file.path);  // any name survives, newlines included
  EXPECT_EQ((*parsed)[1].size, 12345u);
  EXPECT_EQ((*parsed)[1].sha256, file.sha256);
  EXPECT_TRUE(parse_file_list("")->empty());
}

TEST(FileList, ADamagedLineIsNamed) {
  const std::string good = file_list_line(ListedFile{"a", 0644, false, 1, std::string(64, 'b')});
  for (const std::string bad : {"not json\n", "{\"path\": \"x\"}\n", "{\"path\": \"x\", \"mode\": 420}\n"}) {
    const auto parsed = parse_file_list(good + bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("line 2 of the snapshot's files.jsonl"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(Manifest, BothFormatsAreRead) {
  Manifest snapshot;
  snapshot.format = kSnapshotFormat;
  snapshot.tenant = "alpha";
  snapshot.env = "dev";
  snapshot.source_url = "http://alpha.wpdev.localhost";
  auto read = parse_manifest(manifest_json(snapshot));
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->format, kSnapshotFormat);
  snapshot.format = kArchiveFormat;
  EXPECT_EQ(parse_manifest(manifest_json(snapshot))->format, kArchiveFormat);
  snapshot.format = 3;
  const auto newer = parse_manifest(manifest_json(snapshot));
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("reads 1 and 2"), std::string::npos) << newer.error().message;
}

}  // namespace
}  // namespace wpfleet::transfer
