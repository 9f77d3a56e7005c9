// Content commands on aws environments, on the direct paths, end to end: the real
// wpfleet binary on two environments in two emulated accounts (aws_content_fixture.h):
// promote between them, a failing one rolled back, rollback by operation id, export,
// import and snapshots, production's gates, a promote killed at its swap.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws_content_fixture.h"
#include "util/fs.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kTenant = kContentTenant;

std::string text_of(const fs::path& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

// Every regular file below `dir` with its content.
std::string tree_listing(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), dir).string()] = text_of(entry.path());
  }
  std::string out;
  for (const auto& [path, text] : files) out += path + "=" + text + "\n";
  return out;
}

class AwsContent : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      platform_ = new AwsContentPlatform();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete platform_;
    platform_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(platform_, nullptr) << setup_error_;
    complaints_.emplace(platform_->aws().proxy());
    platform_->write_fleet(false, "");
    platform_->seed_content("dev", "made in dev");
    // What sit had before: WordPress's tables as its installer left them.
    platform_->seed_content("sit", "sit's own");
  }
  void TearDown() override {
    if (complaints_) complaints_->fail_on_new();
  }

  static AwsProxy& proxy() { return platform_->aws().proxy(); }
  static fs::path efs(const std::string& env) { return platform_->efs(env); }
  static CliResult wpfleet(const std::vector<std::string>& args) { return platform_->wpfleet(args); }
  static std::unique_ptr<MysqlClient> root_of(const std::string& env) {
    auto root = platform_->db(env).root();
    if (!root) throw std::runtime_error(root.error().message);
    return std::move(*root);
  }

  static std::string sit_value(const std::string& sql) {
    auto rows = root_of("sit")->query(sql);
    if (!rows || rows->empty() || rows->front().empty() || !rows->front()[0]) return "(none)";
    return *rows->front()[0];
  }
  static std::string sit_option(const std::string& name) {
    return sit_value("SELECT option_value FROM goldencrust_db.wp_options WHERE option_name = '" +
                     name + "'");
  }
  static json history() { return json::parse(wpfleet({"history", "--output", "json"}).out); }
  // Every leftover of staging and swaps: databases, directories, load users.
  static void nothing_staged_or_previous() {
    for (const auto& db : platform_->db("sit").databases()) {
      EXPECT_TRUE(db.find("_staging") == std::string::npos &&
                  db.find("_previous") == std::string::npos)
          << db;
    }
    for (const char* suffix : {".staging", ".previous", ".swapping", ".redeploying"}) {
      EXPECT_FALSE(fs::exists(efs("sit") / (std::string(kTenant) + suffix))) << suffix;
    }
    auto users = root_of("sit")->query("SELECT User FROM mysql.user WHERE User LIKE 'wpf\\_load\\_%'");
    ASSERT_TRUE(users);
    EXPECT_TRUE(users->empty()) << "a load user was left behind";
  }

  // Forced deployments of services and the rollouts watched until done (the proxy shows
  // each one in progress at the first DescribeServices after it).
  struct Redeploys {
    int forced = 0;
    int watched = 0;
  };
  static Redeploys redeploys() {
    return {proxy().requests_by_action()["UpdateService"], proxy().rollouts_polled()};
  }
  static void redeployed_and_waited(const Redeploys& before, int times) {
    const Redeploys now = redeploys();
    EXPECT_EQ(now.forced - before.forced, times);
    EXPECT_EQ(now.watched - before.watched, times) << "a redeploy was not waited for";
  }

  // A promote killed at its swap of the tables (the files not swapped yet).
  static void kill_a_promote_at_its_swap() {
    // A reader of sit's live tables holds the swap's RENAME TABLE until it commits: the
    // promote is killed while it waits there.
    auto reader = root_of("sit");
    ASSERT_TRUE(reader->execute("START TRANSACTION"));
    ASSERT_TRUE(reader->query("SELECT COUNT(*) FROM goldencrust_db.wp_options"));
    auto watcher = root_of("sit");
    const auto renaming = [&] {
      auto rows = watcher->query("SELECT COUNT(*) FROM information_schema.processlist WHERE "
                                 "info LIKE 'RENAME TABLE%'");
      return rows && !rows->empty() && rows->front()[0] && *rows->front()[0] != "0";
    };
    const fs::path log = platform_->dir() / "promote.log";
    auto promote = spawn_child(
        platform_->command({"promote", kTenant, "--from", "dev", "--to", "sit"}), log.string());
    ASSERT_TRUE(promote);
    ASSERT_TRUE(eventually(120, renaming)) << text_of(log);
    ::kill(*promote, SIGKILL);
    int status = 0;
    ::waitpid(*promote, &status, 0);
    ASSERT_TRUE(reader->execute("COMMIT"));
    ASSERT_TRUE(eventually(30, [&] { return !renaming(); }));
  }

  std::optional<ProxyComplaints> complaints_;
  static inline AwsContentPlatform* platform_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(AwsContent, PromoteFromAnotherAccountRewritesUrlsAndRedeploysTheService) {
  const int calls_before = proxy().requests();
  const Redeploys before = redeploys();
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  std::cout << "AWS API calls of one promote dev -> sit: "
            << proxy().requests() - calls_before << "\n";
  EXPECT_NE(promoted.err.find("redeploying service sit-goldencrust-service"), std::string::npos)
      << promoted.err;
  // The promote waited for the new tasks (the previous files are discarded after that).
  EXPECT_NE(promoted.err.find("waiting for ECS to replace the tasks of service "
                              "sit-goldencrust-service"),
            std::string::npos)
      << promoted.err;
  redeployed_and_waited(before, 1);

  // The database: dev's content, its URLs sit's, serialized lengths corrected.
  EXPECT_EQ(sit_option("blogdescription"), "made in dev");
  EXPECT_EQ(sit_option("home"), platform_->home("sit"));
  const std::string url = platform_->home("sit");
  EXPECT_EQ(sit_option("widget_home"),
            "a:1:{s:4:\"home\";s:" + std::to_string(url.size()) + ":\"" + url + "\";}");
  EXPECT_EQ(sit_value("SELECT post_content FROM goldencrust_db.wp_posts"),
            "<a href=\"" + url + "/menu\">menu</a> made in dev");
  // The admin's password is sit's (a WordPress hash), its sessions gone.
  EXPECT_EQ(sit_value("SELECT LEFT(user_pass, 4) FROM goldencrust_db.wp_users WHERE "
                      "user_login = 'admin'"),
            "$P$B");
  EXPECT_EQ(sit_value("SELECT COUNT(*) FROM goldencrust_db.wp_usermeta WHERE meta_key = "
                      "'session_tokens'"),
            "0");

  // The files: dev's, byte for byte, www-data's.
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), tree_listing(efs("dev") / kTenant));
  struct stat st {};
  ASSERT_EQ(::stat((efs("sit") / kTenant / "uploads" / "2024" / "photo.jpg").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 33u);
  ASSERT_EQ(::stat((efs("sit") / kTenant).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 33u);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  nothing_staged_or_previous();

  // dev is untouched.
  auto home = root_of("dev")->query("SELECT option_value FROM goldencrust_db.wp_options WHERE "
                            "option_name = 'home'");
  ASSERT_TRUE(home);
  EXPECT_EQ(*home->at(0).at(0), platform_->home("dev"));

  const json ops = history();
  EXPECT_EQ(ops[0]["kind"], "promote");
  EXPECT_EQ(ops[0]["status"], "succeeded") << ops.dump(2);
}

// Another process's load user (another operator's or a CI job's on a shared server)
// survives a load while it has a session; one a crash left behind, without a session,
// is dropped.
TEST_F(AwsContent, ALoadDropsStaleLoadUsersButNotOnesInUse) {
  auto root = root_of("sit");
  for (const char* user : {"wpf_load_1_inuse", "wpf_load_1_stale"}) {
    ASSERT_TRUE(root->execute(std::string("CREATE USER '") + user + "'@'%' IDENTIFIED BY 'pw'"));
  }
  MysqlEndpoint in_use;
  in_use.port = platform_->db("sit").port();
  in_use.user = "wpf_load_1_inuse";
  in_use.password = "pw";
  auto session = MysqlClient::connect(in_use);
  EXPECT_TRUE(session) << session.error().message;

  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(sit_value("SELECT GROUP_CONCAT(User ORDER BY User) FROM mysql.user WHERE User LIKE "
                      "'wpf\\_load\\_%'"),
            "wpf_load_1_inuse");
  if (session) session->reset();
  ASSERT_TRUE(root->execute("DROP USER IF EXISTS 'wpf_load_1_inuse'@'%', 'wpf_load_1_stale'@'%'"));
}

TEST_F(AwsContent, AFailingHookPutsThePreviousContentBack) {
  platform_->write_fleet(false, "after_promote = [\"sql: DELETE FROM no_such_table\"]\n");
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  const Redeploys before = redeploys();
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_NE(promoted.exit_code, 0);
  EXPECT_NE(promoted.err.find("its previous content was put back"), std::string::npos)
      << promoted.err;
  // The promote's redeploy, and the put-back's: the tasks mount the previous files again.
  redeployed_and_waited(before, 2);
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(sit_option("home"), platform_->home("sit"));
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);
  nothing_staged_or_previous();
  EXPECT_EQ(history()[0]["status"], "failed");
}

TEST_F(AwsContent, RollbackByOperationIdBringsBackWhatWasThere) {
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  ASSERT_EQ(wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"}).exit_code, 0);
  ASSERT_EQ(sit_option("blogdescription"), "made in dev");
  const std::string op = history()[0]["id"];
  const Redeploys before = redeploys();
  CliResult rolled = wpfleet({"rollback", op});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err;
  redeployed_and_waited(before, 1);
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);
  nothing_staged_or_previous();
  const json ops = history();
  bool marked = false;
  for (const auto& entry : ops) {
    if (entry["id"] == op) marked = entry["status"].get<std::string>().starts_with("rolled back by");
  }
  EXPECT_TRUE(marked) << ops.dump(2);
}

TEST_F(AwsContent, ExportAndImportRoundTripAndSnapshotsRestore) {
  const fs::path archive = platform_->dir() / "sit.tar";
  CliResult exported = wpfleet({"export", kTenant, "-e", "sit", "--out", archive.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string files_before = tree_listing(efs("sit") / kTenant);

  CliResult snapshot = wpfleet({"snapshot", "create", kTenant, "-e", "sit", "--output", "json"});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  // Content changes by hand, then the archive goes back in.
  auto root = root_of("sit");
  ASSERT_TRUE(root->execute("UPDATE goldencrust_db.wp_options SET option_value = 'edited' "
                               "WHERE option_name = 'blogdescription'"));
  std::ofstream(efs("sit") / kTenant / "uploads" / "added.txt") << "added";
  CliResult imported = wpfleet({"import", archive.string(), "-e", "sit"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);

  ASSERT_TRUE(root->execute("UPDATE goldencrust_db.wp_options SET option_value = 'edited' "
                               "WHERE option_name = 'blogdescription'"));
  const std::string id = json::parse(snapshot.out).value("id", "");
  CliResult restored = wpfleet({"snapshot", "restore", kTenant, "-e", "sit", "--id", id});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  nothing_staged_or_previous();
}

TEST_F(AwsContent, LiveSearchReplaceKeepsSerializedDataValidAndRollsBack) {
  const std::string from = platform_->home("sit");
  const std::string to = "https://bakery.example";
  CliResult replaced = wpfleet({"search-replace", "-e", "sit", kTenant, from, to});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_EQ(sit_option("home"), to);
  EXPECT_EQ(sit_option("widget_home"),
            "a:1:{s:4:\"home\";s:" + std::to_string(to.size()) + ":\"" + to + "\";}");
  nothing_staged_or_previous();
  CliResult rolled = wpfleet({"rollback", history()[0]["id"].get<std::string>()});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err;
  EXPECT_EQ(sit_option("home"), from);
}

TEST_F(AwsContent, ProductionNeedsApproveAndRefusesWhenEdited) {
  platform_->write_fleet(true, "");
  CliResult refused = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("needs --approve"), std::string::npos) << refused.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");

  CliResult approved = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit", "--approve"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  auto root = root_of("sit");
  ASSERT_TRUE(root->execute("INSERT INTO goldencrust_db.wp_posts (post_title) VALUES ('hotfix')"));
  CliResult edited = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit", "--approve"});
  EXPECT_NE(edited.exit_code, 0);
  EXPECT_NE(edited.err.find("someone edited production"), std::string::npos) << edited.err;
  EXPECT_NE(edited.err.find("wp_posts"), std::string::npos) << edited.err;
  EXPECT_EQ(sit_value("SELECT COUNT(*) FROM goldencrust_db.wp_posts WHERE post_title = 'hotfix'"),
            "1");
}

TEST_F(AwsContent, PromoteKilledAtTheSwapFailsVerifyUntilTheNextCommandUndoesIt) {
  ASSERT_NO_FATAL_FAILURE(kill_a_promote_at_its_swap());
  const std::string op = history()[0]["id"];
  EXPECT_EQ(history()[0]["step"], "swapping");

  CliResult verify = wpfleet({"verify", "-e", "sit", "--output", "json"});
  EXPECT_NE(verify.exit_code, 0);
  EXPECT_NE(verify.out.find(op), std::string::npos) << verify.out << verify.err;

  const Redeploys before = redeploys();
  CliResult next = wpfleet({"apply", "-e", "sit", "--yes"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  // The files were never swapped: putting them back moved nothing, nor redeployed.
  redeployed_and_waited(before, 0);
  EXPECT_NE(next.err.find(op), std::string::npos) << next.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(history()[0]["status"], "rolled back after interruption") << history().dump(2);
  nothing_staged_or_previous();
}

// A put-back killed after it moved the files back and before the tasks were replaced
// leaves its note: the next one redeploys although it has no files left to move.
TEST_F(AwsContent, APutBackKilledBeforeItsRedeployIsRedeployedByTheNext) {
  ASSERT_NO_FATAL_FAILURE(kill_a_promote_at_its_swap());
  const fs::path note = efs("sit") / (std::string(kTenant) + ".redeploying");
  std::ofstream(note).flush();
  const Redeploys before = redeploys();
  CliResult next = wpfleet({"apply", "-e", "sit", "--yes"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  redeployed_and_waited(before, 1);
  EXPECT_FALSE(fs::exists(note));
  nothing_staged_or_previous();
}

TEST_F(AwsContent, WithoutTheDirectPathsContentCommandsSayWhichSettingsTheyNeed) {
  std::string text = text_of(platform_->dir() / "fleet.toml");
  const std::string from = "files_access = \"direct\"\nefs_mount = \"" + efs("sit").string() + "\"\n";
  text.replace(text.find(from), from.size(), "");
  std::ofstream(platform_->dir() / "fleet.toml") << text;
  CliResult refused = wpfleet({"snapshot", "create", kTenant, "-e", "sit"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("set files_access = \"direct\" with efs_mount"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("is not built yet"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace wpfleet::testing
