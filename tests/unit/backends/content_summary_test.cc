#include "backends/content_summary.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

ContentSummary summary() {
  ContentSummary s;
  s.tables["wp_options"] = {120, "111"};
  s.tables["wp_posts"] = {12, "222"};
  s.tables["wp_old"] = {3, "333"};
  s.files = {120, 1000, "abc"};
  return s;
}

TEST(ContentSummary, RoundTripsThroughItsText) {
  const auto parsed = parse_content_summary(format_content_summary(summary()));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->tables.at("wp_posts").rows, 12u);
  EXPECT_EQ(parsed->tables.at("wp_posts").checksum, "222");
  EXPECT_EQ(parsed->files.digest, "abc");
  EXPECT_TRUE(describe_content_changes(summary(), *parsed).empty());
}

TEST(ContentSummary, AnOlderHashTellsNoDetail) {
  EXPECT_FALSE(parse_content_summary("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
  EXPECT_FALSE(parse_content_summary("table wp_posts 12\nfiles 1 2 x\n"));
}

TEST(ContentSummary, ChangesAreSaidTableByTableAndForTheFiles) {
  ContentSummary now = summary();
  now.tables["wp_posts"] = {13, "999"};
  now.tables["wp_options"] = {120, "112"};
  now.tables.erase("wp_old");
  now.tables["wp_new"] = {1, "444"};
  now.files = {123, 1000 + 1536, "abd"};
  EXPECT_EQ(describe_content_changes(summary(), now),
            (std::vector<std::string>{"new table wp_new (1 row)", "wp_options changed (same rows)",
                                      "wp_posts: 12 rows -> 13", "table wp_old removed",
                                      "files: 120 -> 123 (+1.5 KiB)"}));
  now = summary();
  now.files.digest = "other";
  EXPECT_EQ(describe_content_changes(summary(), now),
            std::vector<std::string>{"files changed in place (same count and size)"});
}

}  // namespace
}  // namespace wpfleet
