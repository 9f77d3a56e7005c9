// The transfer task script (src/backends/aws/transfer_task.sh) run exactly as a task
// runs it, `sh -c <kTransferTaskScript> wpfleet-transfer OP ARG...`, on this machine: a
// real MariaDB on loopback stands in for RDS (the tenant's database and user made as
// the db-init task makes them), a temporary directory for the EFS root, and file://
// URLs for the presigned S3 URLs (curl reads them, and with -T writes them). What it
// leaves is compared with what MysqlStaging and DirectorySwap, whose semantics it
// carries, make of the same data.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "backends/aws/database_sql.h"
#include "backends/aws/transfer_task_sh.h"  // generated from transfer_task.sh by CMakeLists.txt
#include "backends/directory_swap.h"
#include "backends/mysql_staging.h"
#include "harness.h"
#include "loopback_mariadb.h"
#include "util/crypto.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kMasterUser[] = "wpf_rds_master";
constexpr char kLive[] = "goldencrust_db";
constexpr char kStaging[] = "goldencrust_db_staging";
constexpr char kPrevious[] = "goldencrust_db_previous";
constexpr char kTenantUser[] = "goldencrust_user";
constexpr char kTenant[] = "goldencrust";
// A table a hostile tenant named to break out of the statements made from its name.
constexpr char kOddTable[] = "odd`name'; DROP DATABASE goldencrust_db; --";

struct TaskRun {
  int exit_code = -1;
  std::string err;
  std::optional<std::string> output;  // what the task uploaded to OUT_URL, if anything
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string run_ok(const std::vector<std::string>& argv) {
  CommandSpec spec;
  spec.argv = argv;
  auto result = run_command(spec);
  EXPECT_TRUE(result.ok() && result->exit_code == 0)
      << argv[0] << ": " << (result ? result->err : result.error().message);
  return result ? result->out : "";
}

class TransferTaskScript : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    master_password_ = new std::string(*random_password(32));
    server_ = new LoopbackMariaDb(kMasterUser, *master_password_);
  }
  static void TearDownTestSuite() {
    delete server_;
    delete master_password_;
  }

  void SetUp() override {
    tenant_password_ = *random_password(32);
    drop_everything();
    for (const auto& statement : aws_backend::create_database_sql(
             kLive, kTenantUser, aws_backend::sql_string(tenant_password_))) {
      sql(statement);
    }
    efs_ = dir_.path() / "efs";
    fs::create_directories(efs_ / kTenant);
    fs::permissions(efs_, fs::perms(0755));
  }
  void TearDown() override { drop_everything(); }

  void drop_everything() {
    for (const char* db : {kLive, kStaging, kPrevious}) {
      sql(std::string("DROP DATABASE IF EXISTS ") + quote_identifier(db));
    }
    for (const auto& row : rows("SELECT User FROM mysql.user WHERE User LIKE 'wpf\\_load\\_%' OR "
                                "User = 'goldencrust_user'")) {
      sql("DROP USER IF EXISTS '" + row + "'@'%'");
    }
  }

  static std::unique_ptr<MysqlClient> root() {
    auto client = server_->root();
    if (!client) throw std::runtime_error(client.error().message);
    return std::move(*client);
  }
  static void sql(const std::string& statement) {
    Status done = root()->execute(statement);
    ASSERT_TRUE(done.ok()) << statement << ": " << done.error().message;
  }
  // The first column of every row.
  static std::vector<std::string> rows(const std::string& query) {
    auto result = root()->query(query);
    if (!result) throw std::runtime_error(query + ": " + result.error().message);
    std::vector<std::string> out;
    for (const auto& row : *result) out.push_back(row.at(0).value_or("NULL"));
    return out;
  }
  std::vector<std::string> load_users() {
    return rows("SELECT User FROM mysql.user WHERE User LIKE 'wpf\\_load\\_task\\_%'");
  }

  // A WordPress-like database: options with WordPress's own bookkeeping, user meta,
  // posts in utf8mb4, and a table of a hostile name.
  void fill_live() {
    const std::string db = quote_identifier(kLive) + ".";
    sql("CREATE TABLE " + db + "wp_options (option_id BIGINT AUTO_INCREMENT PRIMARY KEY, "
        "option_name VARCHAR(191) UNIQUE, option_value LONGTEXT)");
    sql("CREATE TABLE " + db + "wp_usermeta (umeta_id BIGINT AUTO_INCREMENT PRIMARY KEY, "
        "user_id BIGINT, meta_key VARCHAR(255), meta_value LONGTEXT)");
    sql("CREATE TABLE " + db + "wp_posts (ID BIGINT PRIMARY KEY, post_title TEXT, post_content LONGTEXT)");
    sql("CREATE TABLE " + db + quote_identifier(kOddTable) + " (a INT)");
    sql("INSERT INTO " + db + "wp_options (option_name, option_value) VALUES ('siteurl', "
        "'https://goldencrust.example'), ('blogname', 'Golden Crust'), ('cron', 'a:1:{}'), "
        "('_transient_doing', '1')");
    sql("INSERT INTO " + db + "wp_usermeta (user_id, meta_key, meta_value) VALUES (1, 'nickname', "
        "'admin'), (1, 'session_tokens', 'a:0:{}')");
    sql("INSERT INTO " + db + "wp_posts VALUES (1, 'Pizza \xf0\x9f\x8d\x95 na\xc3\xafve', "
        "'tab\\there, quote '' backslash \\\\ done'), (2, 'Second', 'x')");
    sql("INSERT INTO " + db + quote_identifier(kOddTable) + " VALUES (7)");
  }

  TaskRun task(const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
               const std::optional<std::string>& input, const std::string& shell) {
    const std::string n = std::to_string(++runs_);
    const fs::path in = dir_.path() / ("in-" + n);
    const fs::path out = dir_.path() / ("out-" + n);
    CommandSpec spec;
    spec.argv = {shell};
    if (shell == "bash") spec.argv.push_back("--posix");  // the mysql image's sh
    spec.argv.insert(spec.argv.end(), {"-c", kTransferTaskScript, "wpfleet-transfer"});
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.clear_env = true;  // the task's environment, nothing of ours
    spec.env = env;
    spec.env["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    spec.env["OUT_URL"] = "file://" + out.string();
    if (input) {
      write_text(in, *input);
      spec.env["IN_URL"] = "file://" + in.string();
    }
    TaskRun run;
    auto result = run_command(spec);
    if (!result) {
      run.err = result.error().message;
      return run;
    }
    run.exit_code = result->exit_code;
    run.err = result->err;
    if (fs::exists(out)) run.output = read_text(out);
    return run;
  }
  std::map<std::string, std::string> db_env() const {
    return {{"DB_HOST", "127.0.0.1"},
            {"DB_PORT", std::to_string(server_->port())},
            {"MASTER_USER", kMasterUser},
            {"MYSQL_PWD", *master_password_},
            {"TENANT_DB_USER", kTenantUser},
            {"TENANT_DB_PASSWORD", tenant_password_}};
  }
  TaskRun db(const std::vector<std::string>& args, const std::optional<std::string>& input = {},
             const std::string& shell = "/bin/sh") {
    return task(db_env(), args, input, shell);
  }
  TaskRun files(const std::vector<std::string>& args, const std::optional<std::string>& input = {}) {
    return task({{"EFS_ROOT", efs_.string()}}, args, input, "/bin/sh");
  }
  // A failed op: its exit code, `message` on stderr, nothing uploaded.
  static void expect_failed(const TaskRun& run, int exit_code, const std::string& message) {
    EXPECT_EQ(run.exit_code, exit_code) << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
    EXPECT_FALSE(run.output);
  }
  // The op's output, failing the test when it did not succeed.
  std::string ok(const TaskRun& run) {
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_TRUE(run.output) << "nothing uploaded; stderr: " << run.err;
    return run.output.value_or("");
  }

  MysqlStaging staging() const {
    MysqlServer server;
    server.location.socket = server_->socket();
    server.account_host = "localhost";
    return MysqlStaging([] { return server_->root(); }, server,
                        StagedDatabases{kLive, kStaging, kPrevious});
  }
  // MysqlStaging::summarize's tables, as the script prints them.
  std::string summary_by_mysql_staging() {
    ContentSummary summary;
    Status done = staging().summarize(summary);
    EXPECT_TRUE(done.ok()) << done.error().message;
    std::string text;
    for (const auto& [table, rows] : summary.tables) {
      text += table + "\t" + std::to_string(rows.rows) + "\t" + rows.checksum + "\n";
    }
    return text;
  }
  // DirectorySwap::summarize's files, as the script prints them.
  std::string summary_by_directory_swap() {
    FilesSummary summary;
    Status done = DirectorySwap(efs_, kTenant, SwapMethod::TwoRenames).summarize(summary);
    EXPECT_TRUE(done.ok()) << done.error().message;
    return std::to_string(summary.count) + "\t" + std::to_string(summary.bytes) + "\t" +
           summary.digest + "\n";
  }

  fs::path live() const { return efs_ / kTenant; }
  fs::path staged() const { return efs_ / (std::string(kTenant) + ".staging"); }
  fs::path previous() const { return efs_ / (std::string(kTenant) + ".previous"); }
  fs::path note() const { return efs_ / (std::string(kTenant) + ".swapping"); }

  // The tenant's files as its PHP (uid 33) made them, with a link out of its tree.
  void fill_files() {
    fs::create_directories(live() / "wp-content/uploads/2024");
    fs::create_directories(live() / "wp-content/empty");
    write_text(live() / "index.php", "<?php require 'wp-blog-header.php';\n");
    write_text(live() / "wp-content/uploads/2024/pizza.jpg", std::string("\xff\xd8\xff\0jpeg", 8));
    fs::create_symlink("/etc", live() / "etc-link");
    for (const auto& entry : fs::recursive_directory_iterator(live())) {
      ASSERT_EQ(::lchown(entry.path().c_str(), 33, 33), 0);
    }
    ASSERT_EQ(::chown(live().c_str(), 33, 33), 0);
  }

  // A tree staged with one file more, then swap's first steps done by hand: the note
  // (the live directory's device:inode, which it returns) and the first rename; the
  // "kill" comes before the second.
  std::string kill_swap_between_renames() {
    fs::create_directories(staged());
    write_text(staged() / "new.txt", "new");
    struct stat st {};
    EXPECT_EQ(::lstat(live().c_str(), &st), 0);
    const std::string identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    write_text(note(), identity);
    fs::rename(live(), previous());
    return identity;
  }

  static LoopbackMariaDb* server_;
  static std::string* master_password_;
  std::string tenant_password_;
  TempDir dir_;
  fs::path efs_;
  int runs_ = 0;
};

LoopbackMariaDb* TransferTaskScript::server_ = nullptr;
std::string* TransferTaskScript::master_password_ = nullptr;

TEST_F(TransferTaskScript, StaysSmallEnoughForRunTaskOverrides) {
  const std::string script = kTransferTaskScript;
  EXPECT_LT(script.size(), 6000u);
  EXPECT_EQ(script.find("\n#"), std::string::npos);  // comment lines stripped at embed time
  EXPECT_EQ(script.find("\n "), std::string::npos);  // and indentation
}

TEST_F(TransferTaskScript, DumpLoadsIntoStagingWithTheSameCounts) {
  fill_live();
  // Stale load users: another task's that a kill left (no session) goes; a user of
  // MysqlStaging's own loads is not this script's to drop.
  sql("CREATE USER 'wpf_load_task_stale00000'@'%' IDENTIFIED BY 'x'");
  sql("CREATE USER 'wpf_load_4242_abcdef'@'%' IDENTIFIED BY 'x'");
  for (const std::string shell : {"/bin/sh", "bash"}) {
    SCOPED_TRACE(shell);
    const std::string dump = ok(db({"dump", kLive}, {}, shell));
    EXPECT_NE(dump.find("CREATE TABLE `wp_posts`"), std::string::npos);
    EXPECT_EQ(ok(db({"load", kStaging}, dump, shell)), "");
    const std::string counts = ok(db({"counts", kStaging}, {}, shell));
    EXPECT_EQ(counts, std::string(kOddTable) + "\t1\nwp_options\t4\nwp_posts\t2\nwp_usermeta\t2\n");
    EXPECT_EQ(ok(db({"counts", kLive}, {}, shell)), counts);
    EXPECT_EQ(load_users(), std::vector<std::string>{});
    // The text survived: utf8mb4, quotes, backslashes and tabs.
    EXPECT_EQ(rows("SELECT CONCAT(post_title, post_content) FROM goldencrust_db_staging.wp_posts "
                   "WHERE ID = 1"),
              rows("SELECT CONCAT(post_title, post_content) FROM goldencrust_db.wp_posts WHERE ID = 1"));
  }
  EXPECT_EQ(rows("SELECT User FROM mysql.user WHERE User LIKE 'wpf\\_load\\_4242%'"),
            std::vector<std::string>{"wpf_load_4242_abcdef"});
  // Some tables alone.
  const std::string posts = ok(db({"dump", kLive, "wp_posts"}));
  EXPECT_NE(posts.find("CREATE TABLE `wp_posts`"), std::string::npos);
  EXPECT_EQ(posts.find("wp_options"), std::string::npos);
}

TEST_F(TransferTaskScript, MoveSwapsStagedTablesInAndBackOut) {
  fill_live();
  sql("CREATE TABLE goldencrust_db.wp_live_only (a INT)");
  const std::string before = ok(db({"counts", kLive}));
  ok(db({"load", kStaging}, ok(db({"dump", kLive}))));
  sql("DROP TABLE goldencrust_db_staging.wp_live_only");
  sql("INSERT INTO goldencrust_db_staging.wp_posts VALUES (3, 'New', 'y')");
  sql("CREATE TABLE goldencrust_db_staging.wp_new (a INT)");

  // staged: the live tables that staging replaces go aside, the others stay.
  EXPECT_EQ(ok(db({"move", kStaging, kLive, kPrevious, "staged"})), "");
  EXPECT_EQ(ok(db({"counts", kLive})), std::string(kOddTable) +
                                           "\t1\nwp_live_only\t0\nwp_new\t0\nwp_options\t4\n"
                                           "wp_posts\t3\nwp_usermeta\t2\n");
  EXPECT_EQ(ok(db({"counts", kPrevious})),
            std::string(kOddTable) + "\t1\nwp_options\t4\nwp_posts\t2\nwp_usermeta\t2\n");
  EXPECT_EQ(server_->databases().count(kStaging), 0u);
  // Back as MysqlStaging::restore_previous does it: previous -> live, what it replaces
  // aside in staging, which then goes.
  EXPECT_EQ(ok(db({"move", kPrevious, kLive, kStaging, "staged"})), "");
  EXPECT_EQ(ok(db({"drop", kStaging})), "");
  EXPECT_EQ(ok(db({"counts", kLive})), std::string(kOddTable) +
                                           "\t1\nwp_live_only\t0\nwp_new\t0\nwp_options\t4\n"
                                           "wp_posts\t2\nwp_usermeta\t2\n");
  EXPECT_EQ(server_->databases().count(kPrevious), 0u);

  // all: every live table goes aside, and comes back.
  sql("DROP TABLE goldencrust_db.wp_new");
  ok(db({"load", kStaging}, ok(db({"dump", kLive, "wp_posts"}))));
  EXPECT_EQ(ok(db({"move", kStaging, kLive, kPrevious, "all"})), "");
  EXPECT_EQ(ok(db({"counts", kLive})), "wp_posts\t2\n");
  EXPECT_EQ(ok(db({"move", kPrevious, kLive, kStaging, "all"})), "");
  EXPECT_EQ(ok(db({"drop", kStaging})), "");
  EXPECT_EQ(ok(db({"counts", kLive})), before);
  EXPECT_EQ(server_->databases().count(kStaging), 0u);
}

TEST_F(TransferTaskScript, SummarizeIsMysqlStagingsAndIgnoresWordPressBookkeeping) {
  fill_live();
  const std::string before = ok(db({"summarize", kLive}));
  EXPECT_EQ(before, summary_by_mysql_staging());
  sql("INSERT INTO goldencrust_db.wp_options (option_name, option_value) VALUES "
      "('_transient_timeout_feed', '1'), ('_site_transient_update_core', 'x')");
  sql("UPDATE goldencrust_db.wp_options SET option_value = 'a:2:{}' WHERE option_name = 'cron'");
  sql("INSERT INTO goldencrust_db.wp_usermeta (user_id, meta_key, meta_value) VALUES "
      "(2, 'session_tokens', 'a:1:{}')");
  EXPECT_EQ(ok(db({"summarize", kLive})), before);
  sql("INSERT INTO goldencrust_db.wp_posts VALUES (3, 'A post', 'z')");
  const std::string after = ok(db({"summarize", kLive}));
  EXPECT_NE(after, before);
  EXPECT_NE(after.find("wp_posts\t3\t"), std::string::npos);
  EXPECT_EQ(after, summary_by_mysql_staging());
}

TEST_F(TransferTaskScript, SqlRunsAsTheTenantOnItsDatabaseAlone) {
  fill_live();
  EXPECT_EQ(ok(db({"sql", kLive}, "UPDATE wp_options SET option_value = 'https://new.example' "
                                  "WHERE option_name = 'siteurl';\n")),
            "");
  EXPECT_EQ(rows("SELECT option_value FROM goldencrust_db.wp_options WHERE option_name = 'siteurl'"),
            std::vector<std::string>{"https://new.example"});
  expect_failed(db({"sql", kLive}, "CREATE DATABASE goldencrust_db_previous;\n"), 1,
                "wpfleet-transfer sql: the SQL failed on goldencrust_db");
  EXPECT_EQ(server_->databases().count(kPrevious), 0u);
}

TEST_F(TransferTaskScript, AFailingLoadDropsItsUserAndUploadsNothing) {
  fill_live();
  const TaskRun bad = db({"load", kStaging}, "CREATE TABLE t (a INT);\nSELEC oops;\n");
  expect_failed(bad, 1, "wpfleet-transfer load: loading goldencrust_db_staging failed");
  EXPECT_NE(bad.err.find("ERROR 1064"), std::string::npos) << bad.err;
  EXPECT_EQ(load_users(), std::vector<std::string>{});

  // The load user reaches the staging database alone, whatever the dump says.
  expect_failed(db({"load", kStaging}, "DROP TABLE goldencrust_db.wp_posts;\n"), 1,
                "wpfleet-transfer load: loading goldencrust_db_staging failed");
  EXPECT_EQ(load_users(), std::vector<std::string>{});
  EXPECT_EQ(rows("SELECT COUNT(*) FROM goldencrust_db.wp_posts"), std::vector<std::string>{"2"});

  // An input that cannot be read fails the load, although the client reading the pipe
  // saw no error.
  auto env = db_env();
  env["IN_URL"] = "file://" + (dir_.path() / "no-such-object").string();
  expect_failed(task(env, {"load", kStaging}, {}, "/bin/sh"), 1,
                "wpfleet-transfer load: cannot read IN_URL");
  EXPECT_EQ(load_users(), std::vector<std::string>{});
}

TEST_F(TransferTaskScript, FailuresExitNonZeroWithTheirMessageAndUploadNothing) {
  auto env = db_env();
  env["MYSQL_PWD"] = "wrong";
  const TaskRun denied = task(env, {"counts", kLive}, {}, "/bin/sh");
  expect_failed(denied, 1, "wpfleet-transfer counts: cannot list goldencrust_db's tables");
  EXPECT_NE(denied.err.find("Access denied"), std::string::npos) << denied.err;

  expect_failed(db({"move", kStaging, kLive, kPrevious, "some"}), 3,
                "wpfleet-transfer move: not all or staged: some\n");
  EXPECT_EQ(server_->databases().count(kPrevious), 0u);  // nothing made before
  expect_failed(db({"unzip", kLive}), 3, "wpfleet-transfer unzip: unknown op: unzip\n");

  expect_failed(files({"pack", "nosuchtenant"}), 1,
                "wpfleet-transfer pack: cannot pack " + (efs_ / "nosuchtenant").string());
  expect_failed(files({"discard", "../etc", "previous"}), 3,
                "wpfleet-transfer discard: not a directory name: ../etc\n");
  expect_failed(files({"discard", kTenant, "live"}), 3,
                "wpfleet-transfer discard: not previous or staging: live\n");
  EXPECT_TRUE(fs::exists(live()));
  expect_failed(files({"swap", kTenant}), 1, "wpfleet-transfer swap: nothing staged in");
  EXPECT_TRUE(fs::exists(live()));  // and nothing moved
  EXPECT_FALSE(fs::exists(previous()));
}

TEST_F(TransferTaskScript, FilesPackUnpackSwapRestoreAndDiscard) {
  fill_files();
  struct stat etc_before {};
  ASSERT_EQ(::stat("/etc", &etc_before), 0);

  const std::string tar = ok(files({"pack", kTenant}));
  const fs::path archive = dir_.path() / "pack.tar";
  write_text(archive, tar);
  // The link is kept as a link: nothing of /etc is in the archive.
  const std::string listing = run_ok({"tar", "-tvf", archive.string()});
  EXPECT_NE(listing.find("./etc-link -> /etc"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("./etc-link/"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("passwd"), std::string::npos) << listing;

  EXPECT_EQ(ok(files({"unpack", kTenant}, tar)), "");
  struct stat top {};
  ASSERT_EQ(::stat(staged().c_str(), &top), 0);
  EXPECT_EQ(top.st_mode & 07777, 0755u);
  for (const auto& entry : fs::recursive_directory_iterator(staged())) {
    struct stat st {};
    ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 33u) << entry.path();
    EXPECT_EQ(st.st_gid, 33u) << entry.path();
  }
  EXPECT_TRUE(fs::is_symlink(staged() / "etc-link"));
  EXPECT_EQ(fs::read_symlink(staged() / "etc-link"), "/etc");
  EXPECT_EQ(read_text(staged() / "wp-content/uploads/2024/pizza.jpg"),
            std::string("\xff\xd8\xff\0jpeg", 8));
  EXPECT_TRUE(fs::is_directory(staged() / "wp-content/empty"));

  // Swap in a staged tree with one file more.
  write_text(staged() / "new.txt", "new");
  EXPECT_EQ(ok(files({"swap", kTenant})), "");
  EXPECT_TRUE(fs::exists(live() / "new.txt"));
  EXPECT_TRUE(fs::exists(previous() / "index.php"));
  EXPECT_FALSE(fs::exists(previous() / "new.txt"));
  EXPECT_FALSE(fs::exists(staged()));
  EXPECT_FALSE(fs::exists(note()));

  EXPECT_EQ(ok(files({"restore", kTenant})), "moved\n");
  EXPECT_FALSE(fs::exists(live() / "new.txt"));
  EXPECT_TRUE(fs::exists(live() / "index.php"));
  EXPECT_TRUE(fs::exists(staged() / "new.txt"));  // what was swapped in, for discard
  EXPECT_FALSE(fs::exists(previous()));
  EXPECT_EQ(ok(files({"restore", kTenant})), "unmoved\n");

  EXPECT_EQ(ok(files({"discard", kTenant, "staging"})), "");
  EXPECT_FALSE(fs::exists(staged()));
  EXPECT_EQ(ok(files({"discard", kTenant, "previous"})), "");
  EXPECT_EQ(ok(files({"discard", kTenant, "previous"})), "");

  // Nothing outside the tenant's tree was changed through its link.
  struct stat etc_after {};
  ASSERT_EQ(::stat("/etc", &etc_after), 0);
  EXPECT_EQ(etc_after.st_uid, etc_before.st_uid);
  EXPECT_EQ(etc_after.st_gid, etc_before.st_gid);
  EXPECT_EQ(etc_after.st_mode, etc_before.st_mode);
}

TEST_F(TransferTaskScript, UnpackNeverWritesThroughALinkInTheArchive) {
  TempDir victim;
  const fs::path scratch = dir_.path() / "scratch";
  fs::create_directories(scratch / "a");
  fs::create_directories(scratch / "b/evil");
  fs::create_symlink(victim.path(), scratch / "a/evil");
  write_text(scratch / "b/evil/pwned", "x");
  const fs::path archive = dir_.path() / "evil.tar";
  run_ok({"tar", "-C", (scratch / "a").string(), "-cf", archive.string(), "evil"});
  run_ok({"tar", "-C", (scratch / "b").string(), "-rf", archive.string(), "evil/pwned"});

  (void)files({"unpack", kTenant}, read_text(archive));
  EXPECT_FALSE(fs::exists(victim.path() / "pwned"));
  struct stat st {};
  ASSERT_EQ(::stat(victim.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);  // not given to the tenant
}

TEST_F(TransferTaskScript, RestoreAfterASwapKilledBetweenItsRenames) {
  fill_files();
  const std::string identity = kill_swap_between_renames();

  EXPECT_EQ(ok(files({"restore", kTenant})), "moved\n");
  EXPECT_TRUE(fs::exists(live() / "index.php"));
  EXPECT_FALSE(fs::exists(live() / "new.txt"));
  EXPECT_TRUE(fs::exists(staged() / "new.txt"));  // never swapped in, still staged
  EXPECT_FALSE(fs::exists(previous()));
  EXPECT_FALSE(fs::exists(note()));

  // Killed after the note, before the first rename: nothing to move back.
  write_text(note(), identity);
  EXPECT_EQ(ok(files({"restore", kTenant})), "unmoved\n");
  EXPECT_TRUE(fs::exists(live() / "index.php"));
  EXPECT_TRUE(fs::exists(staged() / "new.txt"));
  EXPECT_FALSE(fs::exists(note()));

  // The note of another task's mount of the same EFS (another device number) is the
  // same directory.
  write_text(note(), "999" + identity.substr(identity.find(':')));
  EXPECT_EQ(ok(files({"restore", kTenant})), "unmoved\n");
  EXPECT_TRUE(fs::exists(live() / "index.php"));
  EXPECT_TRUE(fs::exists(staged() / "new.txt"));
}

TEST_F(TransferTaskScript, SwapRunAgainAfterAKillFinishesAndKeepsThePrevious) {
  fill_files();
  kill_swap_between_renames();

  EXPECT_EQ(ok(files({"swap", kTenant})), "");
  EXPECT_TRUE(fs::exists(live() / "new.txt"));
  EXPECT_TRUE(fs::exists(previous() / "index.php"));
  EXPECT_FALSE(fs::exists(note()));
  // Run once more after it finished: nothing staged, nothing touched.
  expect_failed(files({"swap", kTenant}), 1, "wpfleet-transfer swap: nothing staged in");
  EXPECT_TRUE(fs::exists(previous() / "index.php"));
  EXPECT_EQ(ok(files({"restore", kTenant})), "moved\n");
  EXPECT_TRUE(fs::exists(live() / "index.php"));
  EXPECT_FALSE(fs::exists(live() / "new.txt"));
}

TEST_F(TransferTaskScript, FilesSummaryIsDirectorySwapsAndSeesAChange) {
  fill_files();
  // A modification time whose nanoseconds have leading zeros.
  const timespec times[2] = {{1700000000, 50}, {1700000000, 50}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (live() / "index.php").c_str(), times, 0), 0);
  const std::string before = ok(files({"summarize", kTenant}));
  EXPECT_EQ(before, summary_by_directory_swap());
  EXPECT_EQ(before.substr(0, before.find('\t', before.find('\t') + 1)),
            "2\t" + std::to_string(fs::file_size(live() / "index.php") + 8));
  EXPECT_EQ(ok(files({"summarize", kTenant})), before);
  write_text(live() / "wp-content/uploads/2024/more.jpg", "more");
  const std::string after = ok(files({"summarize", kTenant}));
  EXPECT_NE(after, before);
  EXPECT_EQ(after, summary_by_directory_swap());
}

}  // namespace
}  // namespace wpfleet::testing
