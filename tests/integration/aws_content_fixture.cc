#include "aws_content_fixture.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "aws_task_runner.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kDevAccount = "111111111111";
constexpr const char* kDevRole = "arn:aws:iam::111111111111:role/wpfleet";

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

// Temporary credentials in the dev account, as STS gives them for role_arn; the role is
// made there first with every permission (moto's checks off for that alone: no one in
// that account could make it otherwise).
aws::Credentials dev_account_credentials(AwsTestEnv& aws) {
  aws::Client base = aws.client();
  auto assumed =
      base.query(aws::kSts, "AssumeRole", {{"RoleArn", kDevRole}, {"RoleSessionName", "setup"}});
  if (!assumed) throw std::runtime_error(assumed.error().message);
  const auto node = assumed->select_node("//Credentials").node();
  aws::Credentials credentials{node.child_value("AccessKeyId"), node.child_value("SecretAccessKey"),
                               node.child_value("SessionToken")};
  aws.moto().check_signatures(false);
  aws::ClientConfig config = aws.client_config();
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
  aws.moto().check_signatures(true);
  if (!role) throw std::runtime_error(role.error().message);
  if (!policy) throw std::runtime_error(policy.error().message);
  return credentials;
}

json secret_json(aws::Client& client, const std::string& id) {
  auto value = client.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", id}});
  if (!value) throw std::runtime_error(value.error().message);
  return json::parse((*value)["SecretString"].get<std::string>());
}

std::unique_ptr<LoopbackMariaDb> rds_of(aws::Client& client, const std::string& env) {
  const json master = secret_json(client, env + "-rds-master-credentials");
  return std::make_unique<LoopbackMariaDb>(master["username"], master["password"]);
}

void execute(MysqlClient& client, const std::string& sql) {
  if (auto done = client.execute(sql); !done) {
    throw std::runtime_error(sql.substr(0, 80) + ": " + done.error().message);
  }
}

}  // namespace

AwsContentPlatform::AwsContentPlatform() : aws_(std::make_unique<AwsTestEnv>()) {
  aws::Client sit_client = aws_->client();
  sit_ = std::make_unique<SitFixture>(
      make_user_sit(sit_client, "sit", "wpsit.kimmyai.io", {{kContentTenant, 140}}));
  aws::ClientConfig dev_config = aws_->client_config();
  dev_config.credentials = dev_account_credentials(*aws_);
  aws::Client dev_client(dev_config, kQuickRetry);
  dev_ = std::make_unique<SitFixture>(
      make_user_sit(dev_client, "dev", "wpdev.kimmyai.io", {{kContentTenant, 140}}));
  dev_db_ = rds_of(dev_client, "dev");
  sit_db_ = rds_of(sit_client, "sit");
  fs::create_directories(efs("dev") / kContentTenant);
  fs::create_directories(efs("sit"));

  // dev's database and user, as the user's db-init task made them.
  const json secret =
      secret_json(dev_client, std::string("dev-") + kContentTenant + "-db-credentials");
  auto root = dev_db_->root();
  if (!root) throw std::runtime_error(root.error().message);
  execute(**root, "CREATE DATABASE goldencrust_db CHARACTER SET utf8mb4");
  execute(**root, "CREATE USER 'goldencrust_user'@'%' IDENTIFIED BY " +
                      (*root)->quote(secret["password"].get<std::string>()));
  execute(**root, "GRANT ALL PRIVILEGES ON `goldencrust\\_db`.* TO 'goldencrust_user'@'%'");

  write_fleet(false, "");
  CliResult applied = wpfleet({"apply", "-e", "sit", "--yes"});
  if (applied.exit_code != 0) throw std::runtime_error("apply failed: " + applied.err);
}

std::string AwsContentPlatform::home(const std::string& env) const {
  return "https://" + std::string(kContentTenant) + ".wp" + env + ".kimmyai.io";
}

std::string AwsContentPlatform::env_table(const std::string& env, const std::string& account) const {
  const SitFixture& platform = env == "dev" ? *dev_ : *sit_;
  std::string text = "\n[environments." + env + ".aws]\nregion = \"us-east-1\"\naccount_id = \"" +
                     account + "\"\nsubnets = [" + quoted_list(platform.subnets) +
                     "]\nsecurity_groups = [" + quoted_list(platform.security_groups) + "]\n";
  if (task_paths_) {
    text += "db_access = \"task\"\nfiles_access = \"task\"\n";
  } else {
    text += "db_access = \"direct\"\ndb_host = \"127.0.0.1\"\ndb_port = " +
            std::to_string((env == "dev" ? *dev_db_ : *sit_db_).port()) +
            "\nfiles_access = \"direct\"\nefs_mount = \"" + efs(env).string() + "\"\n";
  }
  if (account == kDevAccount) text += "role_arn = \"" + std::string(kDevRole) + "\"\n";
  return text + "\n";
}

void AwsContentPlatform::write_fleet(bool production, const std::string& sit_extra) const {
  std::string text = "[environments.dev]\nbackend = \"aws\"\ndomain = \"{tenant}.wpdev.kimmyai.io\"\n";
  text += env_table("dev", kDevAccount);
  text += "[environments.sit]\nbackend = \"aws\"\ndomain = \"{tenant}.wpsit.kimmyai.io\"\n" +
          std::string(production ? "production = true\n" : "") + sit_extra;
  text += env_table("sit", kMotoAccount);
  text += std::string("[[tenants]]\nid = \"") + kContentTenant +
          "\"\ntitle = \"Golden Crust\"\nadmin_email = \"owner@goldencrust.example\"\n"
          "environments = [\"dev\", \"sit\"]\n";
  std::ofstream(dir_.path() / "fleet.toml") << text;
}

void AwsContentPlatform::use_task_paths(bool tasks) {
  task_paths_ = tasks;
  if (!tasks) {
    aws_->proxy().set_task_runner(nullptr);
    return;
  }
  TaskHostMap hosts;
  hosts.databases[sit_->rds_endpoint] = {"127.0.0.1", static_cast<std::uint16_t>(sit_db_->port())};
  hosts.databases[dev_->rds_endpoint] = {"127.0.0.1", static_cast<std::uint16_t>(dev_db_->port())};
  hosts.file_systems[sit_->efs_id] = efs("sit");
  hosts.file_systems[dev_->efs_id] = efs("dev");
  aws_->proxy().set_task_runner([hosts](const TaskRun& run) {
    // The transfer script, and the SQL of the db-init tasks; not WordPress's installer,
    // whose image is not here.
    const bool ours = (run.command.size() > 3 && run.command[3] == "wpfleet-transfer") ||
                      run.container.value("name", "") == "mysql-client";
    if (!ours) return TaskOutcome{0, {"ok"}};
    return run_task_here(run, hosts);
  });
}

CommandSpec AwsContentPlatform::command(const std::vector<std::string>& args) const {
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", (dir_.path() / "fleet.toml").string(), "--state-dir",
               (dir_.path() / "state").string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = aws_->process_env().vars;
  spec.timeout = std::chrono::minutes(30);
  return spec;
}

CliResult AwsContentPlatform::wpfleet(const std::vector<std::string>& args) const {
  auto out = run_command(command(args));
  if (!out) throw std::runtime_error(out.error().message);
  return CliResult{out->exit_code, out->out, out->err};
}

void AwsContentPlatform::seed_content(const std::string& env, const std::string& tagline) {
  auto root = db(env).root();
  if (!root) throw std::runtime_error(root.error().message);
  MysqlClient& c = **root;
  const std::string url = home(env);
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
    execute(c, sql);
  }
  const fs::path live = efs(env) / kContentTenant;
  fs::remove_all(live);
  fs::create_directories(live / "uploads" / "2024");
  fs::create_directories(live / "themes" / "crust");
  std::string photo;
  for (int i = 0; i < 4096; ++i) photo += static_cast<char>((i * 7 + env[0]) % 256);
  std::ofstream(live / "uploads" / "2024" / "photo.jpg", std::ios::binary) << photo;
  std::ofstream(live / "themes" / "crust" / "style.css") << "/* " << env << " */\n";
  for (const auto& entry : fs::recursive_directory_iterator(live)) {
    (void)::lchown(entry.path().c_str(), 33, 33);
  }
  (void)::chown(live.c_str(), 33, 33);
}

}  // namespace wpfleet::testing
