#include "util/unix_time.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

TEST(UnixTimeTest, UtcTextWritesTheTimeInUtcWithTheFormat) {
  EXPECT_EQ(utc_text(0, "%Y-%m-%d %H:%M:%S UTC"), "1970-01-01 00:00:00 UTC");
  EXPECT_EQ(utc_text(1796033391, "%Y%m%dT%H%M%SZ"), "20261130T100951Z");
  EXPECT_EQ(utc_text(1796033391, ""), "");
}

}  // namespace
}  // namespace wpfleet
