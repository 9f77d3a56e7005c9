#include "engine/watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/tls.h"

namespace wpfleet {
namespace {

TenantVerification verified(const std::string& tenant, std::vector<CheckOutcome> checks) {
  return {"sit", tenant, "http://" + tenant + ".wpsit.localhost/", std::move(checks), {}, {}};
}

TEST(Watch, SitesAreDownByTheirFailingChecksAndUnappliedOnesAreNotWatched) {
  const auto seen = observe_sites({
      verified("a", {{"runtime", true, "pool up", ""}, {"site", true, "200", ""}}),
      verified("b", {{"runtime", true, "", ""}, {"site", false, "HTTP 500", "see logs"},
                     {"edge", false, "401", ""}}),
      verified("c", {{"applied", false, "not applied yet", "run `wpfleet apply`"}}),
  });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].subject, "sit/a");
  EXPECT_EQ(seen[0].state, "up");
  EXPECT_EQ(seen[1].subject, "sit/b");
  EXPECT_EQ(seen[1].state, "down");
  EXPECT_EQ(seen[1].reason, "site: HTTP 500; edge: 401");
}

TEST(Watch, DiskIsDegradedUnderATenthOrOneGibFree) {
  constexpr std::uint64_t kGiB = 1ull << 30;
  EXPECT_EQ(observe_free_disk("/s", 20 * kGiB, 100 * kGiB).state, "up");
  const Observation low = observe_free_disk("/s", 9 * kGiB, 100 * kGiB);
  EXPECT_EQ(low.state, "degraded");
  EXPECT_NE(low.reason.find("9.0 GiB free of 100.0 GiB"), std::string::npos) << low.reason;
  EXPECT_EQ(observe_free_disk("/s", kGiB / 2, 4 * kGiB).state, "degraded");  // 12% but < 1 GiB
  EXPECT_TRUE(observe_disk("/").ok());
}

TEST(Watch, BackupsAreDegradedWhenOverdueOrNeverChecked) {
  const int day = 86400;
  EXPECT_EQ(observe_backups("prod", "a", {}, day, 10 * day).state, "up");  // none taken yet
  EXPECT_EQ(observe_backups("prod", "a", {{9 * day, true}}, day, 10 * day).state, "up");
  const Observation late = observe_backups("prod", "a", {{7 * day, true}}, day, 10 * day);
  EXPECT_EQ(late.subject, "backup/prod/a");
  EXPECT_EQ(late.state, "degraded");
  EXPECT_NE(late.reason.find("no checked backup for 3 days"), std::string::npos) << late.reason;
  EXPECT_NE(late.reason.find("`wpfleet backup run a -e prod`"), std::string::npos) << late.reason;
  EXPECT_EQ(observe_backups("prod", "a", {{10 * day - 60, false}}, day, 10 * day).state, "up");
  EXPECT_EQ(observe_backups("prod", "a", {{9 * day, false}}, day, 10 * day).state, "degraded");
}

TEST(Watch, OnlyChangesAreRecorded) {
  const std::map<std::string, std::string> last = {{"sit/a", "up"}, {"sit/b", "down"},
                                                   {"sit/gone", "down"}, {"sit/old", "up"}};
  auto changes = state_changes({{"sit/a", "down", "site: HTTP 500"},
                                {"sit/b", "down", "still"},
                                {"sit/new", "up", ""},
                                {"sit/newbad", "degraded", "slow"}},
                               last, 1000);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].subject, "sit/a");
  EXPECT_EQ((*changes)[0].state, "down");
  EXPECT_EQ((*changes)[0].time, 1000);
  EXPECT_TRUE((*changes)[0].id.starts_with("ev-1000-"));
  EXPECT_EQ((*changes)[1].subject, "sit/newbad");
  EXPECT_EQ((*changes)[2].subject, "sit/gone");
  EXPECT_EQ((*changes)[2].state, "removed");
}

TEST(Watch, RecoveryTextSaysHowLongItWasDown) {
  EventHistory history;
  history.events = {{"e1", 100, "sit/a", "down", "site: HTTP 500"},
                    {"e2", 160, "sit/a", "degraded", "slow"},
                    {"e3", 820, "sit/a", "up", ""},
                    {"e4", 900, "sit/a", "down", "runtime: pool missing"},
                    {"e5", 960, "sit/a", "up", ""}};
  EXPECT_EQ(alert_text(history.events[0], history), "DOWN sit/a: site: HTTP 500");
  EXPECT_EQ(alert_text(history.events[2], history), "RECOVERED sit/a (after 12 min)");
  EXPECT_EQ(alert_text(history.events[4], history), "RECOVERED sit/a (after 60 s)");
}

TEST(Watch, PendingAlertsAreUntoldRecentEventsPerDestination) {
  EventHistory history;
  history.events = {{"old", 0, "sit/a", "down", ""}, {"e1", 90'000, "sit/a", "up", ""},
                    {"e2", 90'100, "sit/b", "down", ""}};
  history.delivered = {{"e1", 0}, {"e1", 1}, {"e2", 1}};
  const auto pending = pending_alerts(history, 2, 90'200);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].event->id, "e2");
  EXPECT_EQ(pending[0].destination, 0u);
}

TEST(Watch, CertificatesNearTheirExpiryAreDegradedAndExpiredOnesDown) {
  const auto dir = std::filesystem::temp_directory_path() / ("wpfleet-watch-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto ca = make_certificate_authority("test CA", 30);
  ASSERT_TRUE(ca.ok());
  auto soon = make_server_certificate(*ca, {"a.wpsit.localhost"}, 3);
  auto later = make_server_certificate(*ca, {"b.wpsit.localhost"}, 90);
  ASSERT_TRUE(soon.ok() && later.ok());
  ASSERT_TRUE(write_file_atomic(dir / "ca.pem", ca->certificate_pem, 0644).ok());
  ASSERT_TRUE(write_file_atomic(dir / "sit_a.pem", soon->certificate_pem, 0644).ok());
  ASSERT_TRUE(write_file_atomic(dir / "sit_b.pem", later->certificate_pem, 0644).ok());
  ASSERT_TRUE(write_file_atomic(dir / "sit_a.key", "not a certificate", 0600).ok());
  const auto now = std::chrono::system_clock::now();
  auto seen = observe_certificates(dir, now);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].subject, "certificate/sit_a");
  EXPECT_EQ(seen[0].state, "degraded");
  EXPECT_NE(seen[0].reason.find("expires in"), std::string::npos) << seen[0].reason;
  EXPECT_EQ(seen[1].state, "up");
  seen = observe_certificates(dir, now + std::chrono::hours(24 * 4));
  EXPECT_EQ(seen[0].state, "down");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wpfleet
