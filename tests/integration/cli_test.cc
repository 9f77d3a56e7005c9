// The command line as a user meets it, on a running fleet: hints that work when pasted
// (with the -f and state directory the command was given, or WPFLEET_FILE and
// WPFLEET_STATE_DIR), refusals that say what to do, output in plain English, and the
// starter file of `wpfleet init`.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
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

  // An operation that never was: invalid input as well.
  CliResult unknown = wpfleet({"rollback", "op-20000101-000000-0000"});
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;
  EXPECT_NE(unknown.err.find("no operation op-20000101-000000-0000 (see `wpfleet history"),
            std::string::npos)
      << unknown.err;
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

// The admin password the client changed in WordPress: verify warns (and still passes),
// naming the command that fixes it; that command sets a new one that logs in, printed
// only by `secret get`.
TEST_F(Cli, AStaleAdminPasswordIsWarnedAboutAndRotated) {
  const std::string host = "alpha.wpdev.localhost";
  const std::string before = secret({"alpha", "-e", "dev", "admin-password"});
  ASSERT_TRUE(admin_login_works(host, port_, before));
  CliResult clean = wpfleet({"verify", "alpha", "-e", "dev", "-o", "json"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(nlohmann::json::parse(clean.out)["tenants"][0]["warnings"].size(), 0u) << clean.out;

  // The client sets a password of their own in wp-admin.
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok()) << root.error().message;
  ASSERT_TRUE((*root)->execute("UPDATE dev_alpha_db.wp_users SET user_pass = "
                               "MD5('the-client-chose-this') WHERE user_login = 'admin'")
                  .ok());
  ASSERT_FALSE(admin_login_works(host, port_, before));

  const std::string rotate = "wpfleet secret rotate alpha -e dev admin-password";
  CliResult warned = wpfleet({"verify", "alpha", "-e", "dev"});
  EXPECT_EQ(warned.exit_code, 0) << "a warning does not fail verify\n" << warned.out;
  EXPECT_NE(warned.out.find("WARNING  the stored admin password does not log in"),
            std::string::npos)
      << warned.out;
  EXPECT_NE(warned.out.find("`" + rotate + " -f " + fleet().string() + "`"), std::string::npos)
      << warned.out;
  EXPECT_NE(warned.out.find("the tenant has a warning"), std::string::npos) << warned.out;
  CliResult warned_json = wpfleet({"verify", "alpha", "-e", "dev", "-o", "json"});
  const auto warnings = nlohmann::json::parse(warned_json.out)["tenants"][0]["warnings"];
  ASSERT_EQ(warnings.size(), 1u) << warned_json.out;
  EXPECT_EQ(warnings[0]["name"], "admin");
  EXPECT_NE(warnings[0]["fix"].get<std::string>().find(rotate), std::string::npos);

  CliResult rotated = wpfleet({"secret", "rotate", "alpha", "-e", "dev", "admin-password"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string after = secret({"alpha", "-e", "dev", "admin-password"});
  EXPECT_EQ(after.size(), 24u);
  EXPECT_NE(after, before);
  EXPECT_EQ(rotated.out, "") << "the password is printed only by `secret get`";
  EXPECT_EQ(rotated.err.find(after), std::string::npos);
  EXPECT_NE(rotated.err.find("`wpfleet secret get alpha -e dev admin-password"), std::string::npos)
      << rotated.err;
  EXPECT_TRUE(admin_login_works(host, port_, after));
  EXPECT_FALSE(admin_login_works(host, port_, "the-client-chose-this"));
  // Nor in any log the platform or the tenant keeps.
  for (const auto& entry : fs::recursive_directory_iterator(state())) {
    if (!entry.is_regular_file() || entry.path().string().find("/log") == std::string::npos) {
      continue;
    }
    auto text = read_file(entry.path());
    EXPECT_TRUE(!text.ok() || text->find(after) == std::string::npos) << entry.path();
  }
  CliResult passes = wpfleet({"verify", "alpha", "-e", "dev"});
  EXPECT_EQ(passes.exit_code, 0);
  EXPECT_EQ(passes.out.find("WARNING"), std::string::npos) << passes.out;

  // Only the admin password of a tenant rotates, and only of a tenant that is there.
  CliResult db = wpfleet({"secret", "rotate", "alpha", "-e", "dev", "db-password"});
  EXPECT_EQ(db.exit_code, 3);
  EXPECT_NE(db.err.find("'db-password' of a tenant cannot be rotated"), std::string::npos) << db.err;
  CliResult elsewhere = wpfleet({"secret", "rotate", "alpha", "-e", "sit", "admin-password"});
  EXPECT_EQ(elsewhere.exit_code, 3);
  EXPECT_NE(elsewhere.err.find("add \"sit\" to its environments"), std::string::npos)
      << elsewhere.err;
  EXPECT_EQ(secret({"alpha", "-e", "dev", "admin-password"}), after);
}

// The one JSON document `out` holds, or a failure saying it is not one (parse() refuses
// text, and a second document after the first).
nlohmann::json one_document(const std::vector<std::string>& args, const CliResult& run) {
  std::string command = "wpfleet";
  for (const auto& arg : args) command += " " + arg;
  try {
    return nlohmann::json::parse(run.out);
  } catch (const nlohmann::json::parse_error& e) {
    ADD_FAILURE() << command << " -o json printed no single JSON document (" << e.what()
                  << "):\n" << run.out << "\nstderr:\n" << run.err;
    return nullptr;
  }
}

// Every command, the ones that change things included, prints one JSON document on
// stdout with --output json (progress goes to stderr), and so does a failure.
TEST_F(Cli, EveryCommandPrintsOneJsonDocument) {
  const TempDir dir;
  const std::string archive = (dir.path() / "beta.tar").string();
  const std::vector<std::vector<std::string>> succeeding = {
      {"up"},
      {"status"},
      {"plan"},
      {"apply"},
      {"tenant", "list"},
      {"tenant", "show", "beta", "-e", "dev"},
      {"verify"},
      {"routes", "-e", "dev"},
      {"secret", "get", "beta", "-e", "dev", "db-password"},
      {"secret", "rotate", "beta", "-e", "dev", "admin-password"},
      {"cron", "run"},
      {"logs", "beta", "-e", "dev"},
      {"cost"},
      {"watch", "run"},
      {"events"},
      {"backup", "run"},
      {"backup", "list"},
      {"snapshot", "create", "beta", "-e", "dev"},
      {"snapshot", "list", "beta", "-e", "dev"},
      {"export", "beta", "-e", "dev", "-o", archive},
      {"import", archive, "-e", "dev"},
      {"promote", "beta", "--from", "dev", "--to", "sit", "--dry-run"},
      {"promote", "beta", "--from", "dev", "--to", "sit"},
      {"search-replace", "-e", "dev", "beta", "//beta.", "//beta-new.", "--dry-run"},
      {"history"},
      {"tenant", "sleep", "beta", "-e", "dev"},
      {"tenant", "wake", "beta", "-e", "dev"},
  };
  std::string promoted;
  for (auto args : succeeding) {
    const auto shown = args;
    // --output in full: -o is export's output file.
    args.insert(args.end(), {"--output", "json"});
    CliResult run = wpfleet(args);
    EXPECT_EQ(run.exit_code, 0) << shown[0] << " " << (shown.size() > 1 ? shown[1] : "") << "\n"
                                << run.err;
    const nlohmann::json doc = one_document(shown, run);
    if (shown[0] == "promote" && doc.is_object() && doc.contains("id")) promoted = doc["id"];
  }

  ASSERT_FALSE(promoted.empty());
  const std::vector<std::string> rollback = {"rollback", promoted, "-o", "json"};
  CliResult undone = wpfleet(rollback);
  EXPECT_EQ(undone.exit_code, 0) << undone.err;
  EXPECT_EQ(one_document(rollback, undone).value("kind", ""), "rollback of " + promoted)
      << undone.out;

  // Failures: the error and the exit code, as one document.
  const std::vector<std::vector<std::string>> failing = {
      rollback,                                          // rolled back already
      {"import", archive, "-e", "dev", "--as", "ghost", "-o", "json"},  // not in the file
      {"ca", "path", "-o", "json"},                      // no TLS environment
      {"tenant", "show", "nobody", "-e", "dev", "-o", "json"},
      {"promote", "beta", "--from", "dev", "--to", "sit", "--yes", "-o", "json"},  // bad flag
  };
  for (const auto& args : failing) {
    CliResult run = wpfleet(args);
    EXPECT_NE(run.exit_code, 0) << args[0];
    const nlohmann::json doc = one_document(args, run);
    if (!doc.is_object()) {
      ADD_FAILURE() << args[0] << ": the failure's document is not an object: " << run.out;
      continue;
    }
    EXPECT_EQ(doc.value("ok", true), false) << run.out;
    EXPECT_EQ(doc.value("exit_code", 0), run.exit_code) << run.out;
    EXPECT_FALSE(doc.value("error", "").empty()) << run.out;
  }
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
