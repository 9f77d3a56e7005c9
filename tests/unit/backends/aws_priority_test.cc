// Listener rule priorities as the user allocates them by hand, with their numbers.
#include <gtest/gtest.h>

#include "backends/aws/priority.h"

namespace wpfleet::aws_backend {
namespace {

int allocate(const std::set<int>& used) {
  auto priority = allocate_priority(used);
  EXPECT_TRUE(priority.ok()) << priority.error().message;
  return priority.ok() ? *priority : -1;
}

TEST(AwsPriority, TheUsersSitNextIs190) { EXPECT_EQ(allocate({140, 150, 160, 170, 180}), 190); }

TEST(AwsPriority, AnEmptyListenerStartsAt10) { EXPECT_EQ(allocate({}), 10); }

TEST(AwsPriority, NextMultipleOf10AboveTheHighestEvenOffTheGrid) {
  EXPECT_EQ(allocate({140, 185}), 190);
  EXPECT_EQ(allocate({3}), 10);
  EXPECT_EQ(allocate({140, 190}), 200);  // gaps below the highest are left for later
}

TEST(AwsPriority, 250UsedGives260) { EXPECT_EQ(allocate({140, 250}), 260); }

TEST(AwsPriority, Past260TheLowestFreeMultipleOf10) {
  EXPECT_EQ(allocate({140, 260}), 10);
  EXPECT_EQ(allocate({10, 20, 40, 260}), 30);
  EXPECT_EQ(allocate({10, 270}), 20);  // a rule above 260 (the seed's 270) counts too
}

TEST(AwsPriority, EveryMultipleOf10TakenGivesTheLowestFreeInteger) {
  std::set<int> used;
  for (int p = 10; p <= 260; p += 10) used.insert(p);
  EXPECT_EQ(allocate(used), 1);
  used.insert({1, 2, 3});
  EXPECT_EQ(allocate(used), 4);
}

TEST(AwsPriority, EveryPriorityTakenIsAnError) {
  std::set<int> used;
  for (int p = kPriorityMin; p <= kPriorityMax; ++p) used.insert(used.end(), p);
  auto priority = allocate_priority(used);
  ASSERT_FALSE(priority.ok());
  EXPECT_NE(priority.error().message.find("50000"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::aws_backend
