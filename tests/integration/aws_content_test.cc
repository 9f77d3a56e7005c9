// Content commands on aws environments, end to end: the real wpfleet binary on two
// environments in two emulated accounts (aws_content_fixture.h). On the direct paths:
// promote between them, a failing one rolled back, rollback by operation id, export,
// import and snapshots, production's gates, a promote killed at its swap. On the task
// paths (AwsTaskContent): the same commands through one-off tasks and transfer buckets.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/s3.h"
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

  // A promote killed at its swap of the tables (the files not swapped yet); `while_held`
  // runs after the kill, while a reader still holds the swap's RENAME TABLE (given
  // whether one is waiting).
  static void kill_a_promote_at_its_swap(
      const std::function<void(const std::function<bool()>& renaming)>& while_held = {}) {
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
    if (while_held) while_held(renaming);
    ASSERT_TRUE(reader->execute("COMMIT"));
    ASSERT_TRUE(eventually(30, [&] { return !renaming(); }));
  }

  // After a promote dev -> sit: dev's content with sit's URLs (serialized lengths
  // corrected), sit's admin password, dev's files given to www-data; nothing left over.
  static void sit_has_devs_content_rewritten() {
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
  }

  // A promote killed at its swap: verify names the operation until the next apply,
  // which puts sit's content back.
  static void killed_promote_undone_by_the_next_apply() {
    ASSERT_NO_FATAL_FAILURE(kill_a_promote_at_its_swap());
    const std::string op = history()[0]["id"];
    EXPECT_EQ(history()[0]["step"], "swapping");

    CliResult verify = wpfleet({"verify", "-e", "sit", "--output", "json"});
    EXPECT_NE(verify.exit_code, 0);
    EXPECT_NE(verify.out.find(op), std::string::npos) << verify.out << verify.err;

    CliResult next = wpfleet({"apply", "-e", "sit", "--yes"});
    ASSERT_EQ(next.exit_code, 0) << next.err;
    EXPECT_NE(next.err.find(op), std::string::npos) << next.err;
    EXPECT_EQ(sit_option("blogdescription"), "sit's own");
    EXPECT_EQ(history()[0]["status"], "rolled back after interruption") << history().dump(2);
    nothing_staged_or_previous();
  }

  static json sit_secret() {
    aws::Client client = platform_->aws().client();
    auto value = client.json(aws::kSecretsManager, "GetSecretValue",
                             {{"SecretId", std::string("sit-") + kTenant + "-db-credentials"}});
    if (!value) throw std::runtime_error(value.error().message);
    return json::parse((*value)["SecretString"].get<std::string>());
  }
  static std::string admin_hash() {
    return sit_value("SELECT user_pass FROM goldencrust_db.wp_users WHERE user_login = 'admin'");
  }

  // `secret rotate ... admin-password`: a new password in the tenant's secret and in
  // WordPress; one a kill left pending fails verify until the next rotate finishes it
  // with that value.
  static void admin_password_rotation() {
    const std::string before = sit_secret().value("admin_password", "");
    const std::string hash_before = admin_hash();
    CliResult rotated = wpfleet({"secret", "rotate", kTenant, "-e", "sit", "admin-password"});
    ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
    json now = sit_secret();
    const std::string password = now.value("admin_password", "");
    EXPECT_NE(password, before);
    EXPECT_EQ(password.size(), 32u);
    EXPECT_FALSE(now.contains("admin_password_pending")) << now.dump();
    EXPECT_NE(admin_hash(), hash_before);
    EXPECT_EQ(admin_hash().substr(0, 4), "$P$B");
    CliResult got = wpfleet({"secret", "get", kTenant, "-e", "sit", "admin-password"});
    EXPECT_NE(got.out.find(password), std::string::npos);
    EXPECT_EQ(rotated.out.find(password), std::string::npos) << "the rotate printed the password";
    EXPECT_EQ(rotated.err.find(password), std::string::npos) << "the rotate printed the password";

    // Killed after it stored the new value as pending.
    const std::string pending = "pending-from-a-killed-rotate-0123";
    now["admin_password_pending"] = pending;
    aws::Client client = platform_->aws().client();
    ASSERT_TRUE(client.json(aws::kSecretsManager, "PutSecretValue",
                            {{"SecretId", std::string("sit-") + kTenant + "-db-credentials"},
                             {"SecretString", now.dump()}}));
    CliResult verify = wpfleet({"verify", kTenant, "-e", "sit", "--output", "json"});
    EXPECT_NE(verify.exit_code, 0);
    EXPECT_NE(verify.out.find("wpfleet secret rotate goldencrust -e sit admin-password"),
              std::string::npos)
        << verify.out;
    const std::string hash_pending = admin_hash();
    CliResult finished = wpfleet({"secret", "rotate", kTenant, "-e", "sit", "admin-password"});
    ASSERT_EQ(finished.exit_code, 0) << finished.err;
    EXPECT_EQ(sit_secret().value("admin_password", ""), pending);
    EXPECT_FALSE(sit_secret().contains("admin_password_pending"));
    EXPECT_NE(admin_hash(), hash_pending);
  }

  // What both paths must do alike (AwsContent and AwsTaskContent run them).
  static void export_import_and_snapshot() {
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
  static void search_replace_and_rollback() {
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
  static void production_gates() {
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

  sit_has_devs_content_rewritten();

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
  export_import_and_snapshot();
}

TEST_F(AwsContent, LiveSearchReplaceKeepsSerializedDataValidAndRollsBack) {
  search_replace_and_rollback();
}

TEST_F(AwsContent, ProductionNeedsApproveAndRefusesWhenEdited) {
  production_gates();
}

TEST_F(AwsContent, AdminPasswordRotationIsCrashSafe) { admin_password_rotation(); }

TEST_F(AwsContent, PromoteKilledAtTheSwapFailsVerifyUntilTheNextCommandUndoesIt) {
  const Redeploys before = redeploys();
  killed_promote_undone_by_the_next_apply();
  // The files were never swapped: putting them back moved nothing, nor redeployed.
  redeployed_and_waited(before, 0);
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

// The same commands with db_access and files_access "task": every step runs in a one-off
// task (run here by the proxy's task runner, against the same stand-ins for RDS and EFS)
// and the content flows through each environment's transfer bucket in moto.
class AwsTaskContent : public AwsContent {
 protected:
  void SetUp() override {
    ASSERT_NE(platform_, nullptr) << setup_error_;
    platform_->use_task_paths(true);
    AwsContent::SetUp();
  }
  void TearDown() override {
    AwsContent::TearDown();
    if (platform_) platform_->use_task_paths(false);
  }

  // Nothing a run left in either bucket, and the URLs gone from the transfer secrets.
  static void transfers_cleaned_up() {
    aws::Client client = platform_->aws().client();
    aws::S3 s3(client);
    // The files staged here on their way to the EFS (the tenant's content) are gone too.
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
      EXPECT_FALSE(entry.path().filename().string().starts_with("wpfleet-staging-")) << entry.path();
    }
    // Runs' objects, the note of a possible previous, a put-back's redeploy note.
    for (const char* prefix : {"wpfleet/transfer/", "wpfleet/previous/", "wpfleet/redeploying/"}) {
      auto objects = s3.list("sit-wpfleet-transfer", prefix);
      ASSERT_TRUE(objects) << objects.error().message;
      EXPECT_TRUE(objects->empty()) << objects->front().key;
    }
    auto secret = client.json(aws::kSecretsManager, "GetSecretValue",
                              {{"SecretId", std::string("sit-") + kTenant + "-wpfleet-transfer"}});
    ASSERT_TRUE(secret) << secret.error().message;
    EXPECT_EQ((*secret)["SecretString"], "{}");
  }
  // Presigned URLs are credentials: never in what DescribeTasks shows.
  static void no_url_in_any_run_task() {
    for (const auto& request : proxy().run_task_requests()) {
      EXPECT_EQ(request.dump().find("X-Amz-Signature"), std::string::npos) << request.dump();
    }
  }
  static int transfer_tasks_run() {
    int count = 0;
    for (const auto& request : proxy().run_task_requests()) {
      if (request.dump().find("wpfleet-transfer") != std::string::npos) ++count;
    }
    return count;
  }
};

TEST_F(AwsTaskContent, PromoteFromAnotherAccountThroughTasksAndTheTransferBuckets) {
  const int tasks_before = transfer_tasks_run();
  const int calls_before = proxy().requests();
  const Redeploys before = redeploys();
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  std::cout << "one promote dev -> sit on the task paths: " << transfer_tasks_run() - tasks_before
            << " transfer tasks, " << proxy().requests() - calls_before
            << " requests to AWS (the tasks' own to S3 included)\n";
  redeployed_and_waited(before, 1);

  sit_has_devs_content_rewritten();
  transfers_cleaned_up();
  no_url_in_any_run_task();
  EXPECT_EQ(history()[0]["status"], "succeeded");
}

TEST_F(AwsTaskContent, AFailingHookPutsThePreviousContentBack) {
  platform_->write_fleet(false, "after_promote = [\"sql: DELETE FROM no_such_table\"]\n");
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_NE(promoted.exit_code, 0);
  EXPECT_NE(promoted.err.find("its previous content was put back"), std::string::npos)
      << promoted.err;
  // The hook's own failure, quoted from its task's log.
  EXPECT_NE(promoted.err.find("no_such_table"), std::string::npos) << promoted.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);
  nothing_staged_or_previous();
  transfers_cleaned_up();
  EXPECT_EQ(history()[0]["status"], "failed");
}

TEST_F(AwsTaskContent, RollbackByOperationIdAndSnapshotsRestore) {
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  CliResult snapshot = wpfleet({"snapshot", "create", kTenant, "-e", "sit", "--output", "json"});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  ASSERT_EQ(wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"}).exit_code, 0);
  ASSERT_EQ(sit_option("blogdescription"), "made in dev");
  CliResult rolled = wpfleet({"rollback", history()[0]["id"].get<std::string>()});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);

  auto root = root_of("sit");
  ASSERT_TRUE(root->execute("UPDATE goldencrust_db.wp_options SET option_value = 'edited' "
                            "WHERE option_name = 'blogdescription'"));
  std::ofstream(efs("sit") / kTenant / "uploads" / "added.txt") << "added";
  const std::string id = json::parse(snapshot.out).value("id", "");
  CliResult restored = wpfleet({"snapshot", "restore", kTenant, "-e", "sit", "--id", id});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);
  nothing_staged_or_previous();
  transfers_cleaned_up();
}

// The killed promote's task goes on (it runs in the VPC, not in wpfleet): its RENAME
// finishes after the kill. Verify names the operation until the next command, which
// waits for that task and then puts sit's content back.
TEST_F(AwsTaskContent, PromoteKilledAtTheSwapFailsVerifyUntilTheNextCommandUndoesIt) {
  killed_promote_undone_by_the_next_apply();
  const std::string op = history()[0]["id"];
  CliResult healthy = wpfleet({"verify", "-e", "sit", "--output", "json"});
  EXPECT_EQ(healthy.out.find(op), std::string::npos) << healthy.out;
  transfers_cleaned_up();
}

// Here the next command starts while the killed promote's task is still blocked in its
// RENAME: it waits for that task before it moves anything back.
TEST_F(AwsTaskContent, TheNextCommandWaitsForATaskTheKilledOneLeftRunning) {
  const fs::path next_log = platform_->dir() / "apply.log";
  std::optional<pid_t> next;
  ASSERT_NO_FATAL_FAILURE(kill_a_promote_at_its_swap([&](const std::function<bool()>& renaming) {
    auto started = spawn_child(platform_->command({"apply", "-e", "sit", "--yes"}), next_log.string());
    ASSERT_TRUE(started);
    next = *started;
    EXPECT_TRUE(eventually(60, [&] {
      return text_of(next_log).find("that an interrupted wpfleet left running") != std::string::npos;
    })) << text_of(next_log);
    EXPECT_TRUE(renaming()) << "the orphaned task ended before the next command saw it";
  }));
  ASSERT_TRUE(next);
  int status = 0;
  ::waitpid(*next, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text_of(next_log);
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  nothing_staged_or_previous();
  transfers_cleaned_up();
}

TEST_F(AwsTaskContent, ExportAndImportRoundTripAndSnapshotsRestore) {
  export_import_and_snapshot();
  transfers_cleaned_up();
}

TEST_F(AwsTaskContent, LiveSearchReplaceKeepsSerializedDataValidAndRollsBack) {
  search_replace_and_rollback();
  transfers_cleaned_up();
}

TEST_F(AwsTaskContent, ProductionNeedsApproveAndRefusesWhenEdited) {
  production_gates();
  transfers_cleaned_up();
}

TEST_F(AwsTaskContent, AdminPasswordRotationIsCrashSafe) {
  admin_password_rotation();
  transfers_cleaned_up();
}

// A tenant's PHP may plant a link to root's files in its own wp-content: the task packs
// it as a link, and wpfleet leaves it out of what it reads.
TEST_F(AwsTaskContent, ALinkInTheTenantsFilesIsNeverFollowed) {
  fs::create_symlink("/etc/shadow", efs("sit") / kTenant / "uploads" / "shadow.txt");
  const fs::path archive = platform_->dir() / "sit-link.tar";
  CliResult exported = wpfleet({"export", kTenant, "-e", "sit", "--out", archive.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CommandSpec list;
  list.argv = {"tar", "-tvf", archive.string()};
  auto listed = run_command(list);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->out.find("shadow"), std::string::npos) << listed->out;
  fs::remove(efs("sit") / kTenant / "uploads" / "shadow.txt");
  transfers_cleaned_up();
}

}  // namespace
}  // namespace wpfleet::testing
