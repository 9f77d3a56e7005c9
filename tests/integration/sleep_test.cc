// `wpfleet tenant sleep|wake` on the real local platform: an asleep tenant's every
// request gets a small 503 text/html page and reaches no PHP; apply leaves it asleep;
// verify says "asleep: wake with ..."; a sleep or wake a kill interrupted (its record
// moved, its resources not yet) fails verify naming the command, which finishes it when
// run again; production needs --approve; bad input exits 3.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "harness.h"
#include "state/store.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

class Sleep : public FleetSuite {
 protected:
  // dev: napper and other; sit (production): other.
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(std::regex_replace(test_fleet(port_, {"napper", "other"}, {"other"}),
                                   std::regex("\\[environments\\.sit\\]\n"),
                                   "[environments.sit]\nproduction = true\n"));
  }

  static HttpResponse get(const std::string& tenant, const std::string& path,
                          const std::string& env = "dev") {
    return http_get(tenant + ".wp" + env + ".localhost", port_, path);
  }

  // What a kill after the command's first step leaves: the record moved, nothing else.
  static void interrupt(const std::string& env, const std::string& tenant, SleepState state) {
    auto store = StateStore::open(state_db());
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->record_sleep(env, tenant, state).ok());
  }

  static std::filesystem::path state_db() { return state() / "state.db"; }

  static inline std::uint16_t port_ = 0;
};

TEST_F(Sleep, AsleepPageUntilWokenAndApplyLeavesItAsleep) {
  ASSERT_EQ(get("napper", "/").status, 200);
  CliResult slept = wpfleet({"tenant", "sleep", "napper", "-e", "dev"});
  ASSERT_EQ(slept.exit_code, 0) << slept.err;
  EXPECT_NE(slept.out.find("wpfleet tenant wake napper -e dev"), std::string::npos) << slept.out;
  for (const char* path : {"/", "/wp-login.php", "/wp-admin/", "/wp-content/uploads/a.jpg", "/?p=1"}) {
    const HttpResponse r = get("napper", path);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_NE(r.body.find("This site is asleep"), std::string::npos) << path;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "", "text/html") << path;
    EXPECT_LT(r.body.size(), 1000u);
  }
  EXPECT_EQ(get("other", "/").status, 200) << "only the asleep tenant sleeps";

  // verify: asleep, with the command that wakes it; plan: nothing to do; apply keeps it.
  CliResult verified = wpfleet({"verify", "napper", "-e", "dev"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("asleep since"), std::string::npos) << verified.out;
  EXPECT_NE(verified.out.find("wpfleet tenant wake napper -e dev"), std::string::npos) << verified.out;
  CliResult listed = wpfleet({"tenant", "list", "-e", "dev"});
  EXPECT_EQ(listed.exit_code, 0) << listed.out;
  EXPECT_NE(listed.out.find("asleep: wake with `wpfleet tenant wake napper -e dev"), std::string::npos)
      << listed.out;
  CliResult planned = wpfleet({"plan", "-e", "dev"});
  EXPECT_EQ(planned.exit_code, 0) << planned.out;
  EXPECT_NE(planned.out.find("dev/napper is asleep: wake with `wpfleet"), std::string::npos)
      << planned.out;
  ASSERT_EQ(wpfleet({"apply", "-e", "dev", "--yes"}).exit_code, 0);
  EXPECT_EQ(get("napper", "/").status, 503) << "apply must not wake it";

  // cost: no task while asleep, so no Fargate cost and nothing more to save.
  CliResult cost = wpfleet({"cost", "-e", "dev", "--output", "json"});
  ASSERT_EQ(cost.exit_code, 0) << cost.err;
  for (const auto& t : json::parse(cost.out)["environments"][0]["tenants"]) {
    if (t["tenant"] != "napper") continue;
    EXPECT_EQ(t["sleep"]["state"], "asleep");
    for (const auto& c : t["costs"]) {
      if (c["name"] == "fargate") {
        EXPECT_EQ(c["value"], 0);
      }
    }
  }

  // Sleeping again changes nothing; waking brings the site back, twice is harmless.
  EXPECT_EQ(wpfleet({"tenant", "sleep", "napper", "-e", "dev"}).exit_code, 0);
  CliResult woken = wpfleet({"tenant", "wake", "napper", "-e", "dev"});
  ASSERT_EQ(woken.exit_code, 0) << woken.err;
  EXPECT_EQ(get("napper", "/").status, 200);
  EXPECT_EQ(wpfleet({"tenant", "wake", "napper", "-e", "dev"}).exit_code, 0);
  EXPECT_EQ(get("napper", "/").status, 200);
  CliResult awake = wpfleet({"verify", "napper", "-e", "dev"});
  EXPECT_EQ(awake.exit_code, 0) << awake.out;
  EXPECT_EQ(awake.out.find("asleep"), std::string::npos) << awake.out;
}

TEST_F(Sleep, AnInterruptedSleepOrWakeFailsVerifyUntilRunAgain) {
  const struct {
    SleepState interrupted;
    std::string command;
    long status_after;
  } steps[] = {{SleepState::Sleeping, "sleep", 503}, {SleepState::Waking, "wake", 200}};
  for (const auto& step : steps) {
    interrupt("dev", "napper", step.interrupted);
    CliResult half = wpfleet({"verify", "napper", "-e", "dev"});
    EXPECT_EQ(half.exit_code, 1) << half.out;
    EXPECT_NE(half.out.find("wpfleet tenant " + step.command + " napper -e dev"), std::string::npos)
        << half.out;
    CliResult listed = wpfleet({"tenant", "list", "-e", "dev"});
    EXPECT_EQ(listed.exit_code, 1) << listed.out;
    EXPECT_NE(listed.out.find("wpfleet tenant " + step.command + " napper -e dev"), std::string::npos)
        << listed.out;
    ASSERT_EQ(wpfleet({"tenant", step.command, "napper", "-e", "dev"}).exit_code, 0);
    EXPECT_EQ(get("napper", "/").status, step.status_after) << step.command;
    EXPECT_EQ(wpfleet({"verify", "napper", "-e", "dev"}).exit_code, 0) << step.command;
  }
}

TEST_F(Sleep, ProductionNeedsApproveAndBadInputExits3) {
  CliResult refused = wpfleet({"tenant", "sleep", "other", "-e", "sit"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("--approve"), std::string::npos) << refused.err;
  EXPECT_EQ(get("other", "/", "sit").status, 200);
  ASSERT_EQ(wpfleet({"tenant", "sleep", "other", "-e", "sit", "--approve"}).exit_code, 0);
  EXPECT_EQ(get("other", "/", "sit").status, 503);
  ASSERT_EQ(wpfleet({"tenant", "wake", "other", "-e", "sit"}).exit_code, 0);
  EXPECT_EQ(get("other", "/", "sit").status, 200);

  EXPECT_EQ(wpfleet({"tenant", "sleep", "nobody", "-e", "dev"}).exit_code, 3);
  EXPECT_EQ(wpfleet({"tenant", "sleep", "napper", "-e", "nowhere"}).exit_code, 3);
  EXPECT_EQ(wpfleet({"tenant", "wake", "napper", "-e", "sit"}).exit_code, 3);  // not placed there
}

}  // namespace
}  // namespace wpfleet::testing
