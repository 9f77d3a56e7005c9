// Saved plans: `plan --out FILE` and `apply FILE`, as a CI job shows a plan, waits for a
// person's approval and applies what was approved, or nothing when the fleet file or
// the state changed in between.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/fs.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

class SavedPlan : public OwnFleetTest {
 protected:
  fs::path plan_file(const std::string& name = "plan.json") const { return dir_.path() / name; }
  // The tenants of a plan's changes, as "env/tenant resource action".
  static std::vector<std::string> changes(const nlohmann::json& plan) {
    std::vector<std::string> out;
    for (const auto& c : plan["changes"]) {
      out.push_back(c["env"].get<std::string>() + "/" + c["tenant"].get<std::string>() + " " +
                    c["resource"].get<std::string>() + " " + c["action"].get<std::string>());
    }
    return out;
  }
};

TEST_F(SavedPlan, IsAppliedAsItIsAndOnlyOnce) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  CliResult planned = wpfleet({"plan", "--out", plan_file().string(), "--output", "json"});
  ASSERT_EQ(planned.exit_code, 2) << planned.err;
  const auto shown = nlohmann::json::parse(planned.out);
  EXPECT_EQ(shown["saved"]["file"], plan_file().string());
  const auto saved = nlohmann::json::parse(read_file(plan_file()).value());
  EXPECT_EQ(saved["format"], "wpfleet-plan");
  EXPECT_EQ(saved["version"], 1);
  EXPECT_EQ(saved["fleet_sha256"], shown["saved"]["fleet_sha256"]);
  EXPECT_EQ(saved["observed_sha256"], shown["saved"]["observed_sha256"]);
  EXPECT_EQ(changes(saved), changes(shown));
  EXPECT_EQ(changes(saved).size(), 7u) << "every resource of dev/alpha";
  EXPECT_FALSE(answers("alpha.wpdev.localhost")) << "plan changes nothing";

  CliResult applied = wpfleet({"apply", plan_file().string(), "--output", "json"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(nlohmann::json::parse(applied.out)["ok"], true);
  EXPECT_TRUE(answers("alpha.wpdev.localhost"));
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0) << "the saved plan converged the fleet";

  // Applied once, the state it was made from is gone: applying it again is refused.
  CliResult again = wpfleet({"apply", plan_file().string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("the state changed since the plan was made"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("dev/alpha site: appeared, recorded by wpfleet (applied since)"),
            std::string::npos)
      << again.err;
}

TEST_F(SavedPlan, IsRefusedAfterTheFleetFileOrTheStateChanged) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  write_fleet({"alpha", "beta", "gamma"});
  const std::string reviewed = read_file(fleet()).value();
  ASSERT_EQ(wpfleet({"plan", "--out", plan_file().string()}).exit_code, 2);

  // The fleet file is edited after the review: nothing is applied.
  ASSERT_TRUE(write_file_atomic(fleet(), reviewed + "\n# an edit after the review\n").ok());
  CliResult edited = wpfleet({"apply", plan_file().string(), "--output", "json"});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.err.find("the fleet file " + fleet().string() + " changed since the plan was made"),
            std::string::npos)
      << edited.err;
  const auto refusal = nlohmann::json::parse(edited.out);
  EXPECT_EQ(refusal["applied"], false);
  EXPECT_EQ(refusal["fleet_file_changed"], true);
  EXPECT_FALSE(answers("beta.wpdev.localhost"));

  // Back as reviewed, but gamma was applied meanwhile by a plain apply: the state the
  // plan was made from is gone, and each resource that changed is named.
  ASSERT_TRUE(write_file_atomic(fleet(), reviewed).ok());
  ASSERT_EQ(wpfleet({"apply", "gamma"}).exit_code, 0);
  CliResult stale = wpfleet({"apply", plan_file().string(), "--output", "json"});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("the state changed since the plan was made"), std::string::npos)
      << stale.err;
  for (const char* kind : {"identity", "secrets", "database", "storage", "runtime", "route", "site"}) {
    EXPECT_NE(stale.err.find(std::string("\n  dev/gamma ") + kind + ": appeared, recorded by wpfleet"),
              std::string::npos)
        << kind << " in " << stale.err;
  }
  EXPECT_EQ(stale.err.find("dev/beta"), std::string::npos) << "beta did not change";
  const auto listed = nlohmann::json::parse(stale.out);
  EXPECT_EQ(listed["fleet_file_changed"], false);
  ASSERT_EQ(listed["state_changes"].size(), 7u) << stale.out;
  EXPECT_EQ(listed["state_changes"][0]["tenant"], "gamma");
  EXPECT_FALSE(answers("beta.wpdev.localhost")) << "nothing of the plan was applied";

  // Made again, the plan is what remains to do, and it applies.
  CliResult remade = wpfleet({"plan", "--out", plan_file().string(), "--output", "json"});
  ASSERT_EQ(remade.exit_code, 2);
  for (const auto& change : changes(nlohmann::json::parse(remade.out))) {
    EXPECT_EQ(change.rfind("dev/beta ", 0), 0u) << change;
  }
  CliResult applied = wpfleet({"apply", plan_file().string()});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(answers("beta.wpdev.localhost"));
}

TEST_F(SavedPlan, DeletesStillNeedYesAndApprovalInProduction) {
  const std::string prod =
      "\n[environments.prod]\nbackend = \"local\"\ndomain = \"{tenant}.wp.localhost\"\n"
      "listen = \"127.0.0.1:" + std::to_string(port_) + "\"\nproduction = true\n";
  const std::string omega =
      "\n[[tenants]]\nid = \"omega\"\ntitle = \"Omega\"\nadmin_email = \"admin@omega.example\"\n"
      "environments = [\"prod\"]\n";
  ASSERT_TRUE(write_file_atomic(fleet(), test_fleet(port_, {"alpha"}) + prod + omega).ok());
  CliResult up = wpfleet({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  ASSERT_TRUE(write_file_atomic(fleet(), test_fleet(port_, {}) + prod).ok());
  ASSERT_EQ(wpfleet({"plan", "--prune", "--out", plan_file().string()}).exit_code, 2);

  // Each refusal leaves everything as it was, so the same plan still applies after.
  CliResult unapproved = wpfleet({"apply", plan_file().string(), "--yes"});
  EXPECT_EQ(unapproved.exit_code, 3);
  EXPECT_NE(unapproved.err.find("deletes production tenants (prod/omega)"), std::string::npos)
      << unapproved.err;
  CliResult unconfirmed = wpfleet({"apply", plan_file().string(), "--approve"});
  EXPECT_EQ(unconfirmed.exit_code, 1);
  EXPECT_NE(unconfirmed.err.find("pass --yes"), std::string::npos) << unconfirmed.err;
  EXPECT_TRUE(answers("omega.wp.localhost"));

  CliResult applied = wpfleet({"apply", plan_file().string(), "--yes", "--approve"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.err.find("kept the newest snapshot of prod/omega"), std::string::npos)
      << applied.err;
  EXPECT_FALSE(answers("omega.wp.localhost"));
  EXPECT_FALSE(answers("alpha.wpdev.localhost"));
}

TEST_F(SavedPlan, AFileThatIsNotAPlanIsInvalidInput) {
  write_fleet({"alpha"});
  const auto refused = [&](const std::string& text, const std::string& expected) {
    ASSERT_TRUE(write_file_atomic(plan_file(), text).ok());
    CliResult applied = wpfleet({"apply", plan_file().string()});
    EXPECT_EQ(applied.exit_code, 3) << text;
    EXPECT_NE(applied.err.find(plan_file().string() + " cannot be applied: " + expected),
              std::string::npos)
        << applied.err;
  };
  refused("{\"format\": \"wpfleet-plan\", ", "it is not JSON");
  refused("{\"changes\": []}", "it is JSON but not a saved plan");
  refused("{\"format\": \"wpfleet-plan\", \"version\": 2}",
          "it is a saved plan of version 2, this wpfleet (" WPFLEET_VERSION ") applies version 1");
  refused("{\"format\": \"wpfleet-plan\", \"version\": 1}", "a field is missing or wrong");

  CliResult missing = wpfleet({"apply", (dir_.path() / "nowhere.json").string()});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("nowhere.json"), std::string::npos) << missing.err;
  CliResult narrowed = wpfleet({"apply", plan_file().string(), "-e", "dev"});
  EXPECT_EQ(narrowed.exit_code, 3);
  EXPECT_NE(narrowed.err.find("a saved plan is applied as it was made"), std::string::npos)
      << narrowed.err;
  EXPECT_FALSE(fs::exists(state() / "state.db")) << "nothing was opened";
}

}  // namespace
}  // namespace wpfleet::testing
