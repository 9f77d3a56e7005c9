#include "util/human.h"

#include <gtest/gtest.h>

namespace wpfleet {
namespace {

TEST(Human, Bytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(157ull << 20), "157.0 MiB");
  EXPECT_EQ(human_bytes(9ull << 30), "9.0 GiB");
  EXPECT_EQ(human_bytes(3ull << 40), "3.0 TiB");
}

TEST(Human, Durations) {
  EXPECT_EQ(human_duration(60), "60 s");
  EXPECT_EQ(human_duration(720), "12 min");
  EXPECT_EQ(human_duration(5 * 3600), "5 h");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
}

}  // namespace
}  // namespace wpfleet
