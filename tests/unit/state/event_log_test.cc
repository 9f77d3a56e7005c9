#include "state/event_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "util/fs.h"

namespace wpfleet {
namespace {

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wpfleet-event-log-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(EventLogTest, AbsentLogIsAnEmptyHistory) {
  auto history = EventLog(dir_ / "events.jsonl").read();
  ASSERT_TRUE(history.ok()) << history.error().message;
  EXPECT_TRUE(history->events.empty());
  EXPECT_TRUE(history->delivered.empty());
}

TEST_F(EventLogTest, EventsAndDeliveriesComeBackInOrder) {
  EventLog log(dir_ / "events.jsonl");
  ASSERT_TRUE(log.append({"ev-1", 100, "sit/a", "down", "site: HTTP 500"}).ok());
  ASSERT_TRUE(log.record_delivery("ev-1", 1).ok());
  ASSERT_TRUE(log.append({"ev-2", 160, "sit/a", "up", ""}).ok());
  ASSERT_TRUE(log.append({"ev-3", 160, "platform/disk", "degraded", "2% free"}).ok());
  auto history = log.read();
  ASSERT_TRUE(history.ok()) << history.error().message;
  ASSERT_EQ(history->events.size(), 3u);
  EXPECT_EQ(history->events[0].reason, "site: HTTP 500");
  EXPECT_EQ(history->events[1].time, 160);
  EXPECT_EQ(history->delivered.count({"ev-1", 1}), 1u);
  EXPECT_EQ(history->delivered.count({"ev-1", 0}), 0u);
  const auto states = history->last_states();
  EXPECT_EQ(states.at("sit/a"), "up");
  EXPECT_EQ(states.at("platform/disk"), "degraded");
  EXPECT_EQ(std::filesystem::status(dir_ / "events.jsonl").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// A watcher killed mid-write leaves a torn last line; the rest still reads.
TEST_F(EventLogTest, TornLastLineIsSkipped) {
  EventLog log(dir_ / "events.jsonl");
  ASSERT_TRUE(log.append({"ev-1", 100, "sit/a", "down", "x"}).ok());
  std::ofstream(dir_ / "events.jsonl", std::ios::app) << R"({"event":"ev-2","time":1)";
  auto history = log.read();
  ASSERT_TRUE(history.ok()) << history.error().message;
  ASSERT_EQ(history->events.size(), 1u);
  ASSERT_TRUE(log.append({"ev-3", 200, "sit/a", "up", ""}).ok());
  history = log.read();
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->last_states().at("sit/a"), "up");
}

}  // namespace
}  // namespace wpfleet
