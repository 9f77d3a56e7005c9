// examples/ci/: the GitHub Actions workflows parse as YAML, have the shape the user's
// guide proposed (dispatch with a tenant; PROD behind the `production` environment's
// approval, applying the plan the first job saved), and every wpfleet command line in
// them gets past the real binary's command-line parser. No network: the commands run
// against a fleet whose platform is down, so each stops in its body, after parsing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = WPFLEET_SOURCE_DIR;

class CiExample : public ::testing::Test {
 protected:
  void SetUp() override {
    // dev, sit and prod (production), as the workflows expect; the platform is never
    // started, so nothing is made.
    std::string text = test_fleet(free_port(), {});
    text += "\n[environments.prod]\nbackend = \"local\"\ndomain = \"{tenant}.wp.localhost\"\n"
            "listen = \"127.0.0.1:" + std::to_string(free_port()) + "\"\nproduction = true\n"
            "\n[[tenants]]\nid = \"goldencrust\"\ntitle = \"Golden Crust\"\n"
            "admin_email = \"owner@goldencrust.example\"\nenvironments = [\"dev\", \"sit\", \"prod\"]\n";
    ASSERT_TRUE(write_file_atomic(fleet(), text).ok());
  }
  fs::path fleet() const { return dir_.path() / "fleet.toml"; }

  // The workflow as ci_workflow_commands.py reads it, with the fleet and state of this
  // test in place of the runner's.
  json workflow(const std::string& name) const {
    CommandSpec spec;
    spec.argv = {"python3", (kSource / "tests" / "integration" / "ci_workflow_commands.py").string(),
                 (kSource / "examples" / "ci" / name).string(), "inputs.tenant=goldencrust",
                 "FLEET=" + fleet().string(), "WPFLEET_STATE=" + (dir_.path() / "state").string()};
    auto ran = run_command(spec);
    EXPECT_TRUE(ran.ok() && ran->exit_code == 0)
        << name << " could not be read (python3 and python3-yaml are needed): "
        << (ran.ok() ? ran->err : ran.error().message);
    if (!ran.ok() || ran->exit_code != 0) return json::object();
    return json::parse(ran->out);
  }

  // Runs every wpfleet command of the workflow; each must pass the parser (CLI11 ends
  // its errors with "Run with --help") and fail in its body, with wpfleet's own message.
  void expect_commands_parse(const json& flow) const {
    std::size_t count = 0;
    for (const auto& [job_name, job] : flow["jobs"].items()) {
      for (const auto& command : job["commands"]) {
        auto argv = command["argv"].get<std::vector<std::string>>();
        CliResult ran = run_wpfleet(argv, dir_.path().string());
        const std::string shown = job_name + " / " + command["step"].get<std::string>();
        EXPECT_EQ(ran.err.find("Run with --help"), std::string::npos) << shown << ": " << ran.err;
        EXPECT_NE(ran.err.find("wpfleet: "), std::string::npos) << shown << ": " << ran.err;
        ++count;
      }
    }
    EXPECT_GE(count, 4u) << "the workflow runs wpfleet";
  }

  // Every command of a job, joined with spaces after the global options.
  static std::vector<std::string> command_lines(const json& job) {
    std::vector<std::string> out;
    for (const auto& command : job["commands"]) {
      const auto argv = command["argv"].get<std::vector<std::string>>();
      std::string line;
      for (std::size_t i = 4; i < argv.size(); ++i) line += (line.empty() ? "" : " ") + argv[i];
      out.push_back(line);
    }
    return out;
  }

  TempDir dir_;
};

bool has(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST_F(CiExample, PromoteToSitOnDispatch) {
  const json flow = workflow("promote-sit.yml");
  ASSERT_TRUE(flow.contains("jobs"));
  EXPECT_EQ(flow["on"]["workflow_dispatch"]["inputs"]["tenant"]["required"], true);
  ASSERT_EQ(flow["jobs"].size(), 1u);
  const json& job = flow["jobs"].begin().value();
  const auto lines = command_lines(job);
  EXPECT_TRUE(has(lines, "plan -e sit goldencrust --out plan-sit.json --output json")) << job.dump(2);
  EXPECT_TRUE(has(lines, "apply plan-sit.json --output json")) << job.dump(2);
  EXPECT_TRUE(has(lines, "promote goldencrust --from dev --to sit --output json")) << job.dump(2);
  EXPECT_TRUE(has(lines, "verify goldencrust -e sit --output json")) << job.dump(2);
  // Every command names the fleet and the state outside the checkout.
  for (const auto& command : job["commands"]) {
    const auto argv = command["argv"].get<std::vector<std::string>>();
    ASSERT_GE(argv.size(), 4u);
    EXPECT_EQ(argv[0], "-f");
    EXPECT_EQ(argv[1], fleet().string());
    EXPECT_EQ(argv[2], "--state-dir");
  }
  expect_commands_parse(flow);
}

TEST_F(CiExample, PromoteToProdAppliesThePlanAPersonApproved) {
  const json flow = workflow("promote-prod.yml");
  ASSERT_TRUE(flow.contains("jobs"));
  EXPECT_EQ(flow["on"]["workflow_dispatch"]["inputs"]["tenant"]["required"], true);
  ASSERT_TRUE(flow["jobs"].contains("validate-sit"));
  ASSERT_TRUE(flow["jobs"].contains("promote-to-prod"));
  const json& check = flow["jobs"]["validate-sit"];
  const json& prod = flow["jobs"]["promote-to-prod"];
  EXPECT_TRUE(check["environment"].is_null()) << "planning needs no approval";
  EXPECT_EQ(prod["environment"], "production") << "the approval gate";
  EXPECT_EQ(prod["needs"], json::array({"validate-sit"}));

  const auto planned = command_lines(check), applied = command_lines(prod);
  EXPECT_TRUE(has(planned, "verify goldencrust -e sit --output json")) << check.dump(2);
  EXPECT_TRUE(has(planned, "plan -e prod goldencrust --out plan-prod.json --output json"))
      << check.dump(2);
  EXPECT_TRUE(has(planned, "promote goldencrust --from sit --to prod --dry-run --output json"))
      << check.dump(2);
  // After the approval: the saved plan exactly, then the content, with --approve and
  // never --force.
  EXPECT_TRUE(has(applied, "apply plan-prod.json --output json")) << prod.dump(2);
  EXPECT_TRUE(has(applied, "promote goldencrust --from sit --to prod --approve --output json"))
      << prod.dump(2);
  EXPECT_TRUE(has(applied, "verify goldencrust -e prod --output json")) << prod.dump(2);
  for (const auto& line : planned) EXPECT_EQ(line.find("apply"), std::string::npos) << line;
  for (const auto& line : applied) EXPECT_EQ(line.find("--force"), std::string::npos) << line;
  expect_commands_parse(flow);
}

}  // namespace
}  // namespace wpfleet::testing
