// Scheduled backups against a real platform: `backup run` writes a checked archive,
// keeps `keep` of them, takes none when none is due, restores one (undoable with
// rollback), refuses one that changed since its check, and production needs --approve.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "aws/s3.h"
#include "aws_test_env.h"
#include "harness.h"
#include "util/fs.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class Backup : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    backups_ = new TempDir();
    const std::string port = std::to_string(free_port());
    const std::string policy = "backup = { every = \"1h\", keep = 2, to = \"" +
                               (backups_->path() / "b").string() + "\" }\n";
    start_fleet("[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"127.0.0.1:" + port +
                "\"\n" + policy + "\n[environments.prod]\ndomain = \"{tenant}.wpprod.localhost\"\n" +
                "listen = \"127.0.0.1:" + port + "\"\nproduction = true\n" + policy +
                "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha\"\nadmin_email = \"a@alpha.example\"\n"
                "environments = [\"dev\", \"prod\"]\n");
  }
  static void TearDownTestSuite() {
    FleetSuite::TearDownTestSuite();
    delete backups_;
  }
  static json backups(const std::string& env) {
    CliResult listed = wpfleet({"backup", "list", "alpha", "-e", env, "--output", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return json::parse(listed.out, nullptr, false)["backups"];
  }
  // A post written after the backup (the title is the fleet file's, which apply keeps).
  static void write_post(const std::string& env) {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok());
    ASSERT_TRUE((*root)->execute("UPDATE `" + env + "_alpha_db`.wp_posts SET post_title = "
                                 "'Written after the backup' WHERE ID = 1")
                    .ok());
  }
  static std::string first_post(const std::string& env) {
    auto root = mariadb_root(state());
    if (!root) return "";
    auto rows = (*root)->query("SELECT post_title FROM `" + env + "_alpha_db`.wp_posts WHERE ID = 1");
    return rows && !rows->empty() && (*rows)[0][0] ? *(*rows)[0][0] : "";
  }
  // The content, less wp_users: an import sets the admin's password to the stored one
  // again, with a new salt.
  static std::string content() {
    std::string text = content_checksum(state(), "dev", "alpha");
    const auto users = text.find("wp_users:");
    return text.erase(users, text.find('\n', users) - users);
  }
  static inline TempDir* backups_ = nullptr;
};

TEST_F(Backup, RunWritesACheckedArchiveAndKeepsTheNewest) {
  CliResult first = wpfleet({"backup", "run", "-e", "dev", "--output", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json taken = json::parse(first.out)["backups"];
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(taken[0]["verified"].get<bool>());
  const fs::path archive = taken[0]["path"].get<std::string>();
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(archive.parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  // Nothing is due an hour after a checked one, and the supervisor's run takes none.
  CliResult due = wpfleet({"backup", "run", "--due", "-e", "dev", "--output", "json"});
  ASSERT_EQ(due.exit_code, 0) << due.err;
  EXPECT_TRUE(json::parse(due.out)["backups"].empty()) << due.out;

  for (int i = 0; i < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // names are seconds
    ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "dev"}).exit_code, 0);
  }
  const json kept = backups("dev");
  ASSERT_EQ(kept.size(), 2u) << kept.dump();  // keep = 2: the first one is gone
  EXPECT_FALSE(fs::exists(archive));
  EXPECT_GT(kept[0]["name"].get<std::string>(), kept[1]["name"].get<std::string>());
  CliResult table = wpfleet({"backup", "list", "-e", "dev"});
  EXPECT_NE(table.out.find(" KiB"), std::string::npos) << table.out;
}

TEST_F(Backup, RestoreBringsTheContentBackAndRollbackUndoesIt) {
  ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "dev"}).exit_code, 0);
  const std::string backed_up = content();
  const std::string name = backups("dev")[0]["name"];
  const std::string before = first_post("dev");
  write_post("dev");
  ASSERT_NE(content(), backed_up);

  CliResult restored = wpfleet({"backup", "restore", "alpha", name, "-e", "dev"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(content(), backed_up);
  const auto at = restored.out.find("wpfleet rollback ");
  ASSERT_NE(at, std::string::npos) << restored.out;
  const std::string op = restored.out.substr(at + 17, restored.out.find_first_of(" `", at + 17) - at - 17);
  EXPECT_EQ(first_post("dev"), before);
  CliResult undone = wpfleet({"rollback", op});
  ASSERT_EQ(undone.exit_code, 0) << undone.err << undone.out;
  EXPECT_EQ(first_post("dev"), "Written after the backup");
}

TEST_F(Backup, AnArchiveChangedSinceItsCheckIsNotRestored) {
  ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "dev"}).exit_code, 0);
  const json newest = backups("dev")[0];
  ASSERT_EQ(::truncate(newest["path"].get<std::string>().c_str(), 1000), 0);
  EXPECT_FALSE(backups("dev")[0]["verified"].get<bool>());
  CliResult refused = wpfleet({"backup", "restore", "alpha", newest["name"], "-e", "dev"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("did not pass its check"), std::string::npos) << refused.err;
}

TEST_F(Backup, ProductionRestoreNeedsApproval) {
  ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "prod"}).exit_code, 0);
  const std::string name = backups("prod")[0]["name"];
  CliResult refused = wpfleet({"backup", "restore", "alpha", name, "-e", "prod"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find("--approve"), std::string::npos) << refused.err;
  CliResult approved = wpfleet({"backup", "restore", "alpha", name, "-e", "prod", "--approve"});
  EXPECT_EQ(approved.exit_code, 0) << approved.err;
}

TEST_F(Backup, BadInputIsAClearError) {
  CliResult unknown = wpfleet({"backup", "restore", "alpha", "19990101T000000Z", "-e", "dev"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("wpfleet backup list alpha -e dev"), std::string::npos) << unknown.err;
  CliResult no_env = wpfleet({"backup", "run", "-e", "nope"});
  EXPECT_EQ(no_env.exit_code, 3);
}

// backup = { to = "s3://bucket/prefix" } on a local environment, against moto (signatures
// checked): the archive is checked here, then uploaded; nothing stays behind on this
// machine; list reads the bucket, keep deletes objects, and restore downloads one.
class BackupToS3 : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    aws_ = new AwsTestEnv();
    variables_ = new AwsVariables(aws_->process_env());
    aws::Client client = aws_->client();
    ASSERT_TRUE(aws::S3(client).create_bucket("acme-backups").ok());
    start_fleet("[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"127.0.0.1:" +
                std::to_string(free_port()) + "\"\nbackup = { keep = 1, to = \"s3://acme-backups/wp\", " +
                "region = \"" + client.config().region + "\" }\n" +
                "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha\"\nadmin_email = \"a@alpha.example\"\n"
                "environments = [\"dev\"]\n");
  }
  static void TearDownTestSuite() {
    FleetSuite::TearDownTestSuite();
    delete variables_;
    delete aws_;
  }
  static std::vector<aws::S3Object> objects() {
    aws::Client client = aws_->client();
    auto listed = aws::S3(client).list("acme-backups", "wp/");
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    return listed ? *listed : std::vector<aws::S3Object>{};
  }
  static inline AwsTestEnv* aws_ = nullptr;
  static inline AwsVariables* variables_ = nullptr;
};

TEST_F(BackupToS3, RunUploadsACheckedArchiveAndRestoreDownloadsIt) {
  CliResult first = wpfleet({"backup", "run", "-e", "dev", "--output", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const json taken = json::parse(first.out)["backups"][0];
  const std::string name = taken["name"];
  EXPECT_EQ(taken["path"], "s3://acme-backups/wp/dev/alpha/" + name + ".tar");
  auto stored = objects();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].key, "wp/dev/alpha/" + name + ".tar");
  EXPECT_EQ(stored[0].size, taken["bytes"].get<std::uint64_t>());
  const fs::path scratch = state() / "backup-scratch";
  EXPECT_TRUE(!fs::exists(scratch) || fs::is_empty(scratch));

  CliResult listed = wpfleet({"backup", "list", "alpha", "-e", "dev", "--output", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const json seen = json::parse(listed.out)["backups"];
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0]["verified"].get<bool>());

  // A post written after the backup goes away when it is restored.
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE((*root)->execute("UPDATE `dev_alpha_db`.wp_posts SET post_title = 'Later' WHERE ID = 1").ok());
  CliResult restored = wpfleet({"backup", "restore", "alpha", name, "-e", "dev"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  auto rows = (*root)->query("SELECT post_title FROM `dev_alpha_db`.wp_posts WHERE ID = 1");
  ASSERT_TRUE(rows.ok() && !rows->empty() && (*rows)[0][0]);
  EXPECT_NE(*(*rows)[0][0], "Later");
  EXPECT_TRUE(!fs::exists(scratch) || fs::is_empty(scratch));

  // keep = 1: the next one replaces it in the bucket.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // names are seconds
  ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "dev"}).exit_code, 0);
  stored = objects();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(stored[0].key, "wp/dev/alpha/" + name + ".tar");
}

// A run killed mid-upload leaves its parts billed and invisible; the tenant's next backup
// aborts them (moto dates every upload 2010, so this one reads as a dead run's), and
// leaves another tenant's upload alone.
TEST_F(BackupToS3, TheNextRunAbortsTheUploadAKilledRunLeft) {
  aws::Client client = aws_->client();
  aws::S3 s3(client);
  for (const std::string key : {"wp/dev/alpha/19990101T000000Z.tar", "wp/dev/other/19990101T000000Z.tar"}) {
    auto upload = s3.upload("acme-backups", key);
    ASSERT_TRUE(upload->write(std::string(aws::kPartSize, 'x')).ok());  // one part sent
    upload.release();  // as a killed process would: never finished, never aborted
  }
  auto pending = s3.pending_uploads("acme-backups", "wp/");
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 2u);

  ASSERT_EQ(wpfleet({"backup", "run", "alpha", "-e", "dev"}).exit_code, 0);
  pending = s3.pending_uploads("acme-backups", "wp/");
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].key, "wp/dev/other/19990101T000000Z.tar");
}

}  // namespace
}  // namespace wpfleet::testing
