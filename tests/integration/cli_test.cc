// The command line as a user meets it, on a running fleet: hints that work when pasted
// (with the -f and state directory the command was given, or WPFLEET_FILE and
// WPFLEET_STATE_DIR), refusals that say what to do, output in plain English, and the
// starter file of `wpfleet init`.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "harness.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

// dev: alpha and beta (beta alone in sit).
class Cli : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(test_fleet(port_, {"alpha", "beta"}, {"beta"}));
  }

  // The fleet file as a user names it from / : a relative path that is not ./fleet.toml.
  static std::string relative_fleet() { return fleet().relative_path().string(); }

  // `argv` run in / with `env` set.
  static CliResult run_in_root(std::vector<std::string> argv,
                               const std::map<std::string, std::string>& env = {}) {
    CommandSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = "/";
    spec.env = env;
    auto out = run_command(spec);
    EXPECT_TRUE(out.ok());
    return out ? CliResult{out->exit_code, out->out, out->err} : CliResult{};
  }

  // wpfleet run from / with `env` set, given `args` as they are (no -f added).
  static CliResult wpfleet_from_root(const std::vector<std::string>& args,
                                     const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {WPFLEET_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_in_root(argv, env);
  }

  // The first "`wpfleet ...`" command in `text`, as it would be pasted.
  static std::string quoted_command(const std::string& text) {
    std::smatch match;
    if (!std::regex_search(text, match, std::regex("`(wpfleet [^`]*)`"))) return "";
    return match[1];
  }

  // Pastes `command` into a shell in / (with this build's binary as wpfleet).
  static CliResult paste(const std::string& command) {
    const std::string program = WPFLEET_BINARY;
    return run_in_root({"sh", "-c", program + command.substr(std::string("wpfleet").size())});
  }

  static std::uint16_t port_;
};

std::uint16_t Cli::port_ = 0;

TEST_F(Cli, UndoHintWorksWhenPastedAndASecondRollbackIsRefused) {
  ASSERT_EQ(wpfleet({"snapshot", "create", "alpha", "-e", "dev"}).exit_code, 0);
  CliResult restored =
      wpfleet_from_root({"-f", relative_fleet(), "snapshot", "restore", "alpha", "-e", "dev"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  const std::string undo = quoted_command(restored.out);
  EXPECT_TRUE(std::regex_match(undo, std::regex("wpfleet rollback op-\\S+ -f " + relative_fleet())))
      << restored.out;

  CliResult rolled_back = paste(undo);
  EXPECT_EQ(rolled_back.exit_code, 0) << undo << "\n" << rolled_back.err;
  EXPECT_NE(rolled_back.out.find("succeeded"), std::string::npos) << rolled_back.out;

  // Again: refused as invalid, saying when and by what, with the command that undoes that.
  CliResult again = paste(undo);
  EXPECT_EQ(again.exit_code, 3) << again.out;
  EXPECT_TRUE(
      std::regex_search(again.err, std::regex("was already rolled back on 20\\d\\d-\\d\\d-\\d\\d "
                                              "\\d\\d:\\d\\d:\\d\\d UTC by op-")))
      << again.err;
  EXPECT_TRUE(std::regex_match(quoted_command(again.err),
                               std::regex("wpfleet rollback op-\\S+ -f " + relative_fleet())))
      << again.err;
}

TEST_F(Cli, TenantShowsSecretCommandCarriesTheFleetFile) {
  CliResult shown =
      wpfleet_from_root({"-f", relative_fleet(), "tenant", "show", "alpha", "-e", "dev"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const std::string command = quoted_command(shown.out);
  EXPECT_EQ(command, "wpfleet secret get alpha -e dev admin-password -f " + relative_fleet());
  CliResult password = paste(command);
  EXPECT_EQ(password.exit_code, 0) << password.err;
  EXPECT_EQ(password.out, secret({"alpha", "-e", "dev", "admin-password"}) + "\n");
}

TEST_F(Cli, EnvironmentChoosesTheFleetFileAndStateAndFlagsWin) {
  CliResult by_env = wpfleet_from_root({"tenant", "show", "alpha", "-e", "dev"},
                                       {{"WPFLEET_FILE", fleet().string()}});
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_NE(by_env.out.find("Site of alpha"), std::string::npos) << by_env.out;
  // The hint names the file, so it works in a shell without the variable too.
  EXPECT_NE(by_env.out.find("admin-password -f " + fleet().string() + "`"), std::string::npos)
      << by_env.out;

  CliResult flag_wins =
      wpfleet_from_root({"-f", fleet().string(), "tenant", "show", "alpha", "-e", "dev"},
                        {{"WPFLEET_FILE", "/nonexistent/fleet.toml"}});
  EXPECT_EQ(flag_wins.exit_code, 0) << flag_wins.err;

  // A copy of the fleet file elsewhere reaches this state only through WPFLEET_STATE_DIR.
  const TempDir elsewhere;
  const fs::path copy = elsewhere.path() / "fleet.toml";
  fs::copy_file(fleet(), copy);
  CliResult by_state =
      wpfleet_from_root({"-f", copy.string(), "tenant", "show", "alpha", "-e", "dev"},
                        {{"WPFLEET_STATE_DIR", state().string()}});
  ASSERT_EQ(by_state.exit_code, 0) << by_state.err;
  EXPECT_NE(by_state.out.find("database:   dev_alpha_db"), std::string::npos) << by_state.out;
  EXPECT_NE(by_state.out.find("admin-password -f " + copy.string() + " --state-dir " +
                              state().string() + "`"),
            std::string::npos)
      << by_state.out;
}

TEST_F(Cli, ErrorAdviceCarriesTheFleetFile) {
  // The engine's advice for an unknown tenant names the file too.
  CliResult unknown = wpfleet_from_root({"-f", relative_fleet(), "logs", "nobody", "-e", "dev"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("`wpfleet tenant list -f " + relative_fleet() + "`"),
            std::string::npos)
      << unknown.err;
}

TEST_F(Cli, ImportAsATenantNotInTheFleetFileIsRefused) {
  const TempDir dir;
  const std::string archive = (dir.path() / "alpha.tar").string();
  ASSERT_EQ(wpfleet({"export", "alpha", "-e", "dev", "-o", archive}).exit_code, 0);
  CliResult ghost = wpfleet({"import", archive, "-e", "dev", "--as", "ghost"});
  EXPECT_EQ(ghost.exit_code, 3) << ghost.err;
  EXPECT_NE(ghost.err.find("tenant 'ghost' is not in the fleet file"), std::string::npos)
      << ghost.err;
  // alpha is in the fleet file but not in sit.
  CliResult elsewhere = wpfleet({"import", archive, "-e", "sit"});
  EXPECT_EQ(elsewhere.exit_code, 3) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("add \"sit\" to its environments"), std::string::npos)
      << elsewhere.err;
  CliResult no_env = wpfleet({"import", archive, "-e", "qa"});
  EXPECT_EQ(no_env.exit_code, 3) << no_env.err;
  EXPECT_NE(no_env.err.find("unknown environment 'qa'"), std::string::npos) << no_env.err;
}

TEST_F(Cli, MistypedSecretNamesListTheOnesThatExist) {
  CliResult typo = wpfleet({"secret", "get", "alpha", "-e", "dev", "admin-pasword"});
  EXPECT_EQ(typo.exit_code, 3);
  EXPECT_NE(typo.err.find("no secret 'admin-pasword' in dev/alpha: the secrets there are "),
            std::string::npos)
      << typo.err;
  EXPECT_NE(typo.err.find("admin-password"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("db-password"), std::string::npos) << typo.err;
  CliResult tenant_typo = wpfleet({"secret", "get", "alpah", "-e", "dev", "admin-password"});
  EXPECT_EQ(tenant_typo.exit_code, 3);
  EXPECT_NE(tenant_typo.err.find("no secrets are stored for dev/alpah"), std::string::npos)
      << tenant_typo.err;
}

TEST_F(Cli, CronRunSaysWhatItRan) {
  const fs::path plugins = state() / "sites" / "dev" / "beta" / "wp-content" / "mu-plugins";
  fs::create_directories(plugins);
  ASSERT_TRUE(write_file_atomic(plugins / "cron-probe.php",
                                "<?php\nadd_action('wpfleet_probe', function () {});\n"
                                "if (!wp_next_scheduled('wpfleet_probe')) "
                                "wp_schedule_single_event(time() - 60, 'wpfleet_probe');\n")
                  .ok());
  // A page view schedules the event; the supervisor's own minutely run may take it
  // first, so schedule it again until this run is the one that runs it.
  CliResult cron;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSERT_EQ(http_get("beta.wpdev.localhost", port_).status, 200);
    cron = wpfleet({"cron", "run"});
    if (cron.out.find("dev/beta") != std::string::npos) break;
  }
  EXPECT_EQ(cron.exit_code, 0) << cron.err;
  EXPECT_NE(cron.out.find("ran the due cron events of dev/beta\n"), std::string::npos) << cron.out;
  fs::remove(plugins / "cron-probe.php");
}

TEST_F(Cli, VerifyCountsInEnglish) {
  CliResult one = wpfleet({"verify", "alpha", "-e", "dev"});
  EXPECT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_NE(one.out.find("\nthe tenant passes every check\n"), std::string::npos) << one.out;
  CliResult two = wpfleet({"verify", "-e", "dev"});
  EXPECT_EQ(two.exit_code, 0) << two.out << two.err;
  EXPECT_NE(two.out.find("\nall 2 tenants pass every check\n"), std::string::npos) << two.out;
}

// `wpfleet init`'s starter file, on this test's port, is a fleet that applies and passes.
class Starter : public OwnFleetTest {};

TEST_F(Starter, InitWritesAFleetThatAppliesAndPassesVerify) {
  CliResult init = wpfleet({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find("`wpfleet up -f " + fleet().string() + "`"), std::string::npos)
      << init.out;
  auto text = read_file(fleet());
  ASSERT_TRUE(text.ok());
  const std::string listen = "127.0.0.1:" + std::to_string(port_);
  for (auto at = text->find("127.0.0.1:8080"); at != std::string::npos;
       at = text->find("127.0.0.1:8080")) {
    text->replace(at, 14, listen);
  }
  ASSERT_TRUE(write_file_atomic(fleet(), *text).ok());
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  CliResult verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("all 3 tenants pass every check"), std::string::npos) << verify.out;
  EXPECT_EQ(http_get("demo-bakery.wpdev.localhost", port_).status, 200);
  HttpResponse sit = http_get("demo-bakery.wpsit.localhost", port_);
  EXPECT_EQ(sit.status, 401) << "sit is behind basic auth";
  EXPECT_EQ(sit.headers["content-type"], "text/html; charset=utf-8");
}

}  // namespace
}  // namespace wpfleet::testing
