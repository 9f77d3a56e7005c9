#include <gtest/gtest.h>

#include "backends/local/wp_runner.h"

namespace wpfleet::local {
namespace {

TEST(Cron, EarliestEventIsTheSmallestTimestampKey) {
  const std::string cron =
      "a:3:{i:1764100000;a:1:{s:16:\"wp_version_check\";a:1:{s:32:\"40cd750bba9870f18aada2478b24840a\";"
      "a:3:{s:8:\"schedule\";s:10:\"twicedaily\";s:4:\"args\";a:0:{}s:8:\"interval\";i:43200;}}}"
      "i:1764000000;a:1:{s:13:\"wp_probe_hook\";a:0:{}}s:7:\"version\";i:2;}";
  auto earliest = earliest_cron_event(cron);
  ASSERT_TRUE(earliest.has_value());
  EXPECT_EQ(*earliest, 1764000000);
}

TEST(Cron, NoEventsMeansNothingDue) {
  EXPECT_FALSE(earliest_cron_event("a:1:{s:7:\"version\";i:2;}").has_value());
  EXPECT_FALSE(earliest_cron_event("").has_value());
}

TEST(Cron, ArgumentIndexesAreNotTimestamps) {
  EXPECT_FALSE(earliest_cron_event("a:1:{i:0;a:1:{i:5;a:0:{}}}").has_value());
}

}  // namespace
}  // namespace wpfleet::local
