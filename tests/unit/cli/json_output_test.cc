// With --output json every run prints one JSON document on stdout, a failure too: the
// result, or {"ok": false, "error", "exit_code"}, never text and never two documents.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

#include "captured_run.h"

namespace wpfleet::cli {
namespace {

namespace fs = std::filesystem;

// The one document `out` holds (parse() refuses text, and a second document after it).
nlohmann::json document(const std::string& out) {
  try {
    return nlohmann::json::parse(out);
  } catch (const nlohmann::json::parse_error& e) {
    ADD_FAILURE() << "not one JSON document (" << e.what() << "):\n" << out;
    return nullptr;
  }
}

void expect_failure(const std::pair<int, std::string>& run, int exit_code,
                    const std::string& error_part) {
  EXPECT_EQ(run.first, exit_code);
  const nlohmann::json doc = document(run.second);
  if (!doc.is_object()) return;
  EXPECT_EQ(doc.value("ok", true), false) << doc.dump();
  EXPECT_EQ(doc.value("exit_code", 0), exit_code) << doc.dump();
  EXPECT_NE(doc.value("error", "").find(error_part), std::string::npos) << doc.dump();
}

class JsonOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/wpfleet-json-output-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string fleet() const { return (dir_ / "fleet.toml").string(); }
  void expect_rotate_refused(const std::string& environment, const std::string& env,
                             const std::string& error_part) const;
  fs::path dir_;
};

TEST_F(JsonOutputTest, AFailureIsOneDocumentWithItsErrorAndExitCode) {
  expect_failure(run_captured({"-o", "json", "-f", fleet(), "tenant", "list"}), kExitInvalidInput,
                 fleet());
  // After the command too, as every global option.
  expect_failure(run_captured({"tenant", "list", "-f", fleet(), "--output", "json"}),
                 kExitInvalidInput, fleet());
}

TEST_F(JsonOutputTest, ABadCommandLineIsOneDocumentToo) {
  expect_failure(run_captured({"-o", "json", "promote", "a", "--from", "dev", "--to", "sit",
                               "--yes"}),
                 kExitInvalidInput, "--yes");
  expect_failure(run_captured({"-o", "json", "secret", "get"}), kExitInvalidInput, "required");
}

TEST_F(JsonOutputTest, InitSaysWhatItWroteOrWhyNot) {
  auto [code, out] = run_captured({"-o", "json", "-f", fleet(), "init"});
  ASSERT_EQ(code, kExitOk);
  const nlohmann::json wrote = document(out);
  EXPECT_EQ(wrote.value("wrote", ""), fleet()) << out;
  EXPECT_NE(wrote.value("next", "").find("`wpfleet up -f " + fleet() + "`"), std::string::npos)
      << out;
  expect_failure(run_captured({"-o", "json", "-f", fleet(), "init"}), kExitInvalidInput,
                 "already exists");
}

// `secret rotate alpha -e ENV admin-password` on a fleet of `environment` (the TOML of
// ENV) and alpha in it is refused before anything is opened: no state directory.
void JsonOutputTest::expect_rotate_refused(const std::string& environment, const std::string& env,
                                           const std::string& error_part) const {
  std::ofstream(fleet()) << environment << "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha\"\n"
                         << "admin_email = \"admin@alpha.example\"\nenvironments = [\"" << env
                         << "\"]\n";
  expect_failure(run_captured({"-o", "json", "-f", fleet(), "secret", "rotate", "alpha", "-e", env,
                               "admin-password"}),
                 kExitInvalidInput, error_part);
  EXPECT_FALSE(fs::exists(dir_ / ".wpfleet"));
}

// The client loses the password they set: in production that needs --approve.
TEST_F(JsonOutputTest, RotatingAnAdminPasswordInProductionNeedsApproval) {
  expect_rotate_refused(R"([environments.prod]
backend = "local"
domain = "{tenant}.wp.localhost"
listen = "127.0.0.1:8080"
production = true
)",
                        "prod", "prod is a production environment");
}

TEST_F(JsonOutputTest, TheTableIsUnchangedWithoutJson) {
  // A failure without --output json leaves stdout empty: the message is on stderr.
  auto [code, out] = run_captured({"-f", fleet(), "tenant", "list"});
  EXPECT_EQ(code, kExitInvalidInput);
  EXPECT_EQ(out, "");
}

TEST_F(JsonOutputTest, HelpSaysWhatJsonOutputIs) {
  const std::string help = run_captured({"verify", "--help"}).second;
  EXPECT_NE(help.find("one JSON document on stdout"), std::string::npos) << help;
}

}  // namespace
}  // namespace wpfleet::cli
