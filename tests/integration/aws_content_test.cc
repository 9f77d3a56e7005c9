// Content commands on aws environments, on the direct paths, end to end: the real
// wpfleet binary against moto's server (signature checking on) behind the AwsProxy,
// with two environments in two emulated accounts: dev in 111111111111 (reached by
// assuming a role there, as role_arn does across accounts) and sit in moto's own. Each
// has its platform as the user's Terraform left it, a MariaDB of its own standing in
// for its RDS instance (TCP loopback, the master user from the master secret) and a
// temporary directory standing in for the directory where its EFS root is mounted.
//
// sit is applied by wpfleet (its installer tasks end as the proxy says); dev's tenant
// is the user's own, its database made by hand as their db-init task made it, with
// WordPress-shaped tables whose URLs (plain and PHP-serialized) promote must rewrite.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "aws_test_env.h"
#include "harness.h"
#include "loopback_mariadb.h"
#include "util/fs.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDevAccount = "111111111111";
constexpr const char* kDevRole = "arn:aws:iam::111111111111:role/wpfleet";
constexpr const char* kTenant = "goldencrust";
constexpr const char* kDevHome = "goldencrust.wpdev.kimmyai.io";
constexpr const char* kSitHome = "goldencrust.wpsit.kimmyai.io";

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

std::string text_of(const fs::path& path) {
  auto text = read_file(path);
  return text ? *text : "";
}

std::string tree_listing(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    auto text = read_file(entry.path());
    files[fs::relative(entry.path(), dir).string()] = text ? *text : "(unreadable)";
  }
  std::string out;
  for (const auto& [path, text] : files) out += path + "=" + text + "\n";
  return out;
}

class AwsContent : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      aws_ = new AwsTestEnv();
      aws::Client sit_client = aws_->client();
      sit_ = new SitFixture(make_user_sit(sit_client, "sit", "wpsit.kimmyai.io", {{kTenant, 140}}));
      aws::ClientConfig dev_config = aws_->client_config();
      dev_config.credentials = dev_account_credentials();
      aws::Client dev_client(dev_config, kQuickRetry);
      dev_ = new SitFixture(make_user_sit(dev_client, "dev", "wpdev.kimmyai.io", {{kTenant, 140}}));
      dev_db_ = new LoopbackMariaDb(master_of(dev_client, "dev"), master_password_of(dev_client, "dev"));
      sit_db_ = new LoopbackMariaDb(master_of(sit_client, "sit"), master_password_of(sit_client, "sit"));
      dir_ = new TempDir();
      fs::create_directories(dir_->path() / "dev-efs" / kTenant);
      fs::create_directories(dir_->path() / "sit-efs");
      make_devs_database(dev_client);
      write_fleet(false, "");
      CliResult applied = wpfleet({"apply", "-e", "sit", "--yes"});
      if (applied.exit_code != 0) throw std::runtime_error("apply failed: " + applied.err);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete sit_db_;
    delete dev_db_;
    delete dir_;
    delete dev_;
    delete sit_;
    delete aws_;
    sit_db_ = dev_db_ = nullptr;
    dir_ = nullptr;
    dev_ = sit_ = nullptr;
    aws_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    complaints_.emplace(aws_->proxy());
    write_fleet(false, "");
    seed(*dev_db_, kDevHome, "made in dev");
    seed_files(efs("dev"), "dev");
    // What sit had before: WordPress's tables as its installer left them.
    seed(*sit_db_, kSitHome, "sit's own");
    fs::remove_all(efs("sit") / kTenant);
    seed_files(efs("sit"), "sit");
  }
  void TearDown() override {
    if (complaints_) complaints_->fail_on_new();
  }

  // Temporary credentials in the dev account, as STS gives them for role_arn; the role
  // is made there first with every permission (moto's checks off for that alone: no
  // one in that account could make it otherwise).
  static aws::Credentials dev_account_credentials() {
    aws::Client base = aws_->client();
    auto assumed = base.query(aws::kSts, "AssumeRole",
                              {{"RoleArn", kDevRole}, {"RoleSessionName", "setup"}});
    if (!assumed) throw std::runtime_error(assumed.error().message);
    const auto node = assumed->select_node("//Credentials").node();
    aws::Credentials credentials{node.child_value("AccessKeyId"), node.child_value("SecretAccessKey"),
                                 node.child_value("SessionToken")};
    aws_->moto().check_signatures(false);
    aws::ClientConfig config = aws_->client_config();
    config.credentials = credentials;
    aws::Client dev(config, kQuickRetry);
    auto role = dev.query(aws::kIam, "CreateRole",
                          {{"RoleName", "wpfleet"},
                           {"AssumeRolePolicyDocument",
                            R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)"
                            R"({"AWS":"*"},"Action":"sts:AssumeRole"}]})"}});
    auto policy = dev.query(aws::kIam, "PutRolePolicy",
                            {{"RoleName", "wpfleet"},
                             {"PolicyName", "everything"},
                             {"PolicyDocument",
                              R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                              R"("Action":"*","Resource":"*"}]})"}});
    aws_->moto().check_signatures(true);
    if (!role) throw std::runtime_error(role.error().message);
    if (!policy) throw std::runtime_error(policy.error().message);
    return credentials;
  }

  static json master_secret(aws::Client& client, const std::string& env) {
    auto value = client.json(aws::kSecretsManager, "GetSecretValue",
                             {{"SecretId", env + "-rds-master-credentials"}});
    if (!value) throw std::runtime_error(value.error().message);
    return json::parse((*value)["SecretString"].get<std::string>());
  }
  static std::string master_of(aws::Client& client, const std::string& env) {
    return master_secret(client, env)["username"];
  }
  static std::string master_password_of(aws::Client& client, const std::string& env) {
    return master_secret(client, env)["password"];
  }

  // dev's database and user, as the user's db-init task made them.
  static void make_devs_database(aws::Client& dev_client) {
    auto value = dev_client.json(aws::kSecretsManager, "GetSecretValue",
                                 {{"SecretId", std::string("dev-") + kTenant + "-db-credentials"}});
    if (!value) throw std::runtime_error(value.error().message);
    const json secret = json::parse((*value)["SecretString"].get<std::string>());
    auto root = dev_db_->root();
    if (!root) throw std::runtime_error(root.error().message);
    for (const std::string& sql :
         {std::string("CREATE DATABASE goldencrust_db CHARACTER SET utf8mb4"),
          "CREATE USER 'goldencrust_user'@'%' IDENTIFIED BY " +
              (*root)->quote(secret["password"].get<std::string>()),
          std::string("GRANT ALL PRIVILEGES ON `goldencrust\\_db`.* TO 'goldencrust_user'@'%'")}) {
      if (auto done = (*root)->execute(sql); !done) throw std::runtime_error(done.error().message);
    }
  }

  // WordPress-shaped tables of goldencrust_db on `db`, at `host`, with `tagline`.
  static void seed(const LoopbackMariaDb& db, const std::string& host, const std::string& tagline) {
    auto root = db.root();
    ASSERT_TRUE(root) << root.error().message;
    MysqlClient& c = **root;
    const std::string url = "https://" + host;
    const std::string serialized =
        "a:1:{s:4:\"home\";s:" + std::to_string(url.size()) + ":\"" + url + "\";}";
    for (const std::string& sql : {
             std::string("DROP TABLE IF EXISTS goldencrust_db.wp_options, goldencrust_db.wp_posts, "
                         "goldencrust_db.wp_users, goldencrust_db.wp_usermeta"),
             std::string("CREATE TABLE goldencrust_db.wp_options (option_id BIGINT UNSIGNED "
                         "AUTO_INCREMENT PRIMARY KEY, option_name VARCHAR(191) UNIQUE, "
                         "option_value LONGTEXT, autoload VARCHAR(20) DEFAULT 'yes')"),
             "INSERT INTO goldencrust_db.wp_options (option_name, option_value) VALUES "
             "('siteurl', " + c.quote(url) + "), ('home', " + c.quote(url) + "), "
             "('blogdescription', " + c.quote(tagline) + "), ('widget_home', " +
                 c.quote(serialized) + "), ('wpfleet_installed', '6.5')",
             std::string("CREATE TABLE goldencrust_db.wp_posts (ID BIGINT UNSIGNED AUTO_INCREMENT "
                         "PRIMARY KEY, post_title TEXT, post_content LONGTEXT, guid VARCHAR(255))"),
             "INSERT INTO goldencrust_db.wp_posts (post_title, post_content, guid) VALUES "
             "('Hello', " + c.quote("<a href=\"" + url + "/menu\">menu</a> " + tagline) + ", " +
                 c.quote(url + "/?p=1") + ")",
             std::string("CREATE TABLE goldencrust_db.wp_users (ID BIGINT UNSIGNED AUTO_INCREMENT "
                         "PRIMARY KEY, user_login VARCHAR(60), user_pass VARCHAR(255), "
                         "user_activation_key VARCHAR(255) DEFAULT '')"),
             std::string("INSERT INTO goldencrust_db.wp_users (user_login, user_pass) VALUES "
                         "('admin', 'not a hash')"),
             std::string("CREATE TABLE goldencrust_db.wp_usermeta (umeta_id BIGINT UNSIGNED "
                         "AUTO_INCREMENT PRIMARY KEY, user_id BIGINT UNSIGNED, meta_key "
                         "VARCHAR(255), meta_value LONGTEXT)"),
             std::string("INSERT INTO goldencrust_db.wp_usermeta (user_id, meta_key, meta_value) "
                         "VALUES (1, 'session_tokens', 'a:0:{}')"),
         }) {
      ASSERT_TRUE(c.execute(sql)) << sql;
    }
  }

  // The tenant's wp-content as its tasks (www-data) wrote it.
  static void seed_files(const fs::path& efs_root, const std::string& env) {
    const fs::path live = efs_root / kTenant;
    fs::remove_all(live);
    fs::create_directories(live / "uploads" / "2024");
    fs::create_directories(live / "themes" / "crust");
    std::string photo;
    for (int i = 0; i < 4096; ++i) photo += static_cast<char>((i * 7 + env.size()) % 256);
    std::ofstream(live / "uploads" / "2024" / "photo.jpg", std::ios::binary) << photo;
    std::ofstream(live / "themes" / "crust" / "style.css") << "/* " << env << " */\n";
    for (const auto& entry : fs::recursive_directory_iterator(live)) {
      (void)::lchown(entry.path().c_str(), 33, 33);
    }
    (void)::chown(live.c_str(), 33, 33);
  }

  static fs::path efs(const std::string& env) { return dir_->path() / (env + "-efs"); }

  static std::string env_table(const std::string& name, const std::string& domain,
                               const std::string& account, const SitFixture& platform,
                               const LoopbackMariaDb& db, const std::string& extra) {
    std::string text = "[environments." + name + "]\nbackend = \"aws\"\ndomain = \"{tenant}." +
                       domain + "\"\n" + extra + "\n[environments." + name +
                       ".aws]\nregion = \"us-east-1\"\naccount_id = \"" + account +
                       "\"\nsubnets = [" + quoted_list(platform.subnets) +
                       "]\nsecurity_groups = [" + quoted_list(platform.security_groups) +
                       "]\ndb_access = \"direct\"\ndb_host = \"127.0.0.1\"\ndb_port = " +
                       std::to_string(db.port()) + "\nfiles_access = \"direct\"\nefs_mount = \"" +
                       efs(name).string() + "\"\n";
    if (account == kDevAccount) text += "role_arn = \"" + std::string(kDevRole) + "\"\n";
    return text + "\n";
  }

  // dev and sit; sit is production when `production`, with `sit_extra` lines.
  static void write_fleet(bool production, const std::string& sit_extra) {
    std::string text = env_table("dev", "wpdev.kimmyai.io", kDevAccount, *dev_, *dev_db_, "");
    text += env_table("sit", "wpsit.kimmyai.io", kMotoAccount, *sit_, *sit_db_,
                      std::string(production ? "production = true\n" : "") + sit_extra);
    text += std::string("[[tenants]]\nid = \"") + kTenant +
            "\"\ntitle = \"Golden Crust\"\nadmin_email = \"owner@goldencrust.example\"\n"
            "environments = [\"dev\", \"sit\"]\n";
    std::ofstream(dir_->path() / "fleet.toml") << text;
  }

  static CommandSpec command(const std::vector<std::string>& args) {
    CommandSpec spec;
    spec.argv = {WPFLEET_BINARY, "-f", (dir_->path() / "fleet.toml").string(), "--state-dir",
                 (dir_->path() / "state").string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = aws_->process_env().vars;
    spec.timeout = std::chrono::minutes(5);
    return spec;
  }
  static CliResult wpfleet(const std::vector<std::string>& args) {
    auto out = run_command(command(args));
    if (!out) throw std::runtime_error(out.error().message);
    return CliResult{out->exit_code, out->out, out->err};
  }

  static std::string sit_value(const std::string& sql) {
    auto root = sit_db_->root();
    if (!root) return "(no connection)";
    auto rows = (*root)->query(sql);
    if (!rows || rows->empty() || rows->front().empty() || !rows->front()[0]) return "(none)";
    return *rows->front()[0];
  }
  static std::string sit_option(const std::string& name) {
    return sit_value("SELECT option_value FROM goldencrust_db.wp_options WHERE option_name = '" +
                     name + "'");
  }
  static json history() { return json::parse(wpfleet({"history", "--output", "json"}).out); }
  // Every leftover of staging and swaps: databases and directories.
  static void nothing_staged_or_previous() {
    for (const auto& db : sit_db_->databases()) {
      EXPECT_TRUE(db.find("_staging") == std::string::npos &&
                  db.find("_previous") == std::string::npos)
          << db;
    }
    for (const char* suffix : {".staging", ".previous", ".swapping"}) {
      EXPECT_FALSE(fs::exists(efs("sit") / (std::string(kTenant) + suffix))) << suffix;
    }
    auto root = sit_db_->root();
    ASSERT_TRUE(root);
    auto users = (*root)->query("SELECT User FROM mysql.user WHERE User LIKE 'wpf\\_load\\_%'");
    ASSERT_TRUE(users);
    EXPECT_TRUE(users->empty()) << "a load user was left behind";
  }

  std::optional<ProxyComplaints> complaints_;
  static inline AwsTestEnv* aws_ = nullptr;
  static inline SitFixture* sit_ = nullptr;
  static inline SitFixture* dev_ = nullptr;
  static inline LoopbackMariaDb* dev_db_ = nullptr;
  static inline LoopbackMariaDb* sit_db_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(AwsContent, PromoteFromAnotherAccountRewritesUrlsAndRedeploysTheService) {
  const int calls_before = aws_->proxy().requests();
  const int redeploys = aws_->proxy().requests_by_action()["UpdateService"];
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  std::cout << "AWS API calls of one promote dev -> sit: "
            << aws_->proxy().requests() - calls_before << "\n";
  EXPECT_NE(promoted.err.find("redeploying service sit-goldencrust-service"), std::string::npos)
      << promoted.err;
  EXPECT_GE(aws_->proxy().requests_by_action()["UpdateService"], redeploys + 1);

  // The database: dev's content, its URLs sit's, serialized lengths corrected.
  EXPECT_EQ(sit_option("blogdescription"), "made in dev");
  EXPECT_EQ(sit_option("home"), std::string("https://") + kSitHome);
  const std::string url = std::string("https://") + kSitHome;
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
  auto dev = dev_db_->root();
  ASSERT_TRUE(dev);
  auto home = (*dev)->query("SELECT option_value FROM goldencrust_db.wp_options WHERE "
                            "option_name = 'home'");
  ASSERT_TRUE(home);
  EXPECT_EQ(*home->at(0).at(0), std::string("https://") + kDevHome);

  const json ops = history();
  EXPECT_EQ(ops[0]["kind"], "promote");
  EXPECT_EQ(ops[0]["status"], "succeeded") << ops.dump(2);
}

TEST_F(AwsContent, AFailingHookPutsThePreviousContentBack) {
  write_fleet(false, "after_promote = [\"sql: DELETE FROM no_such_table\"]\n");
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  CliResult promoted = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_NE(promoted.exit_code, 0);
  EXPECT_NE(promoted.err.find("its previous content was put back"), std::string::npos)
      << promoted.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(sit_option("home"), std::string("https://") + kSitHome);
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);
  nothing_staged_or_previous();
  EXPECT_EQ(history()[0]["status"], "failed");
}

TEST_F(AwsContent, RollbackByOperationIdBringsBackWhatWasThere) {
  const std::string files_before = tree_listing(efs("sit") / kTenant);
  ASSERT_EQ(wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"}).exit_code, 0);
  ASSERT_EQ(sit_option("blogdescription"), "made in dev");
  const std::string op = history()[0]["id"];
  CliResult rolled = wpfleet({"rollback", op});
  ASSERT_EQ(rolled.exit_code, 0) << rolled.err;
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
  const fs::path archive = dir_->path() / "sit.tar";
  CliResult exported = wpfleet({"export", kTenant, "-e", "sit", "--out", archive.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string files_before = tree_listing(efs("sit") / kTenant);

  CliResult snapshot = wpfleet({"snapshot", "create", kTenant, "-e", "sit", "--output", "json"});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  // Content changes by hand, then the archive goes back in.
  auto root = sit_db_->root();
  ASSERT_TRUE(root);
  ASSERT_TRUE((*root)->execute("UPDATE goldencrust_db.wp_options SET option_value = 'edited' "
                               "WHERE option_name = 'blogdescription'"));
  std::ofstream(efs("sit") / kTenant / "uploads" / "added.txt") << "added";
  CliResult imported = wpfleet({"import", archive.string(), "-e", "sit"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  EXPECT_EQ(tree_listing(efs("sit") / kTenant), files_before);

  ASSERT_TRUE((*root)->execute("UPDATE goldencrust_db.wp_options SET option_value = 'edited' "
                               "WHERE option_name = 'blogdescription'"));
  const std::string id = json::parse(snapshot.out).value("id", "");
  CliResult restored = wpfleet({"snapshot", "restore", kTenant, "-e", "sit", "--id", id});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");
  nothing_staged_or_previous();
}

TEST_F(AwsContent, ProductionNeedsApproveAndRefusesWhenEdited) {
  write_fleet(true, "");
  CliResult refused = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("needs --approve"), std::string::npos) << refused.err;
  EXPECT_EQ(sit_option("blogdescription"), "sit's own");

  CliResult approved = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit", "--approve"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  auto root = sit_db_->root();
  ASSERT_TRUE(root);
  ASSERT_TRUE((*root)->execute("INSERT INTO goldencrust_db.wp_posts (post_title) VALUES ('hotfix')"));
  CliResult edited = wpfleet({"promote", kTenant, "--from", "dev", "--to", "sit", "--approve"});
  EXPECT_NE(edited.exit_code, 0);
  EXPECT_NE(edited.err.find("someone edited production"), std::string::npos) << edited.err;
  EXPECT_NE(edited.err.find("wp_posts"), std::string::npos) << edited.err;
  EXPECT_EQ(sit_value("SELECT COUNT(*) FROM goldencrust_db.wp_posts WHERE post_title = 'hotfix'"),
            "1");
}

TEST_F(AwsContent, PromoteKilledAtTheSwapFailsVerifyUntilTheNextCommandUndoesIt) {
  // A reader of sit's live tables holds the swap's RENAME TABLE until it commits: the
  // promote is killed while it waits there.
  auto reader = sit_db_->root();
  ASSERT_TRUE(reader);
  ASSERT_TRUE((*reader)->execute("START TRANSACTION"));
  ASSERT_TRUE((*reader)->query("SELECT COUNT(*) FROM goldencrust_db.wp_options"));
  auto watcher = sit_db_->root();
  ASSERT_TRUE(watcher);
  const auto renaming = [&] {
    auto rows = (*watcher)->query("SELECT COUNT(*) FROM information_schema.processlist WHERE "
                                  "info LIKE 'RENAME TABLE%'");
    return rows && !rows->empty() && rows->front()[0] && *rows->front()[0] != "0";
  };
  const fs::path log = dir_->path() / "promote.log";
  auto promote = spawn_child(command({"promote", kTenant, "--from", "dev", "--to", "sit"}),
                             log.string());
  ASSERT_TRUE(promote);
  ASSERT_TRUE(eventually(120, renaming)) << text_of(log);
  ::kill(*promote, SIGKILL);
  int status = 0;
  ::waitpid(*promote, &status, 0);
  ASSERT_TRUE((*reader)->execute("COMMIT"));
  ASSERT_TRUE(eventually(30, [&] { return !renaming(); }));
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

TEST_F(AwsContent, WithoutTheDirectPathsContentCommandsSayWhichSettingsTheyNeed) {
  std::string text = text_of(dir_->path() / "fleet.toml");
  const std::string from = "files_access = \"direct\"\nefs_mount = \"" + efs("sit").string() + "\"\n";
  text.replace(text.find(from), from.size(), "");
  std::ofstream(dir_->path() / "fleet.toml") << text;
  CliResult refused = wpfleet({"snapshot", "create", kTenant, "-e", "sit"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("set files_access = \"direct\" with efs_mount"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("is not built yet"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace wpfleet::testing
