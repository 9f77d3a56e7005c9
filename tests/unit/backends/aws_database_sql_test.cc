#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/aws/database_sql.h"
#include "backends/aws/db_init_task.h"
#include "util/process.h"

namespace wpfleet::aws_backend {
namespace {

using nlohmann::json;

TEST(DatabaseSql, MakesTheDatabaseTheUserAndAGrantOnThatDatabaseAlone) {
  EXPECT_EQ(create_database_sql("goldencrust_db", "goldencrust_user", "'pw'"),
            (std::vector<std::string>{
                "CREATE DATABASE IF NOT EXISTS `goldencrust_db` CHARACTER SET utf8mb4 COLLATE "
                "utf8mb4_unicode_ci",
                "CREATE USER IF NOT EXISTS 'goldencrust_user'@'%' IDENTIFIED BY 'pw'",
                "ALTER USER 'goldencrust_user'@'%' IDENTIFIED BY 'pw'",
                // `_` is a wildcard in a grant's database name: escaped, the grant reaches
                // goldencrust_db alone, not goldencrustXdb.
                "GRANT ALL PRIVILEGES ON `goldencrust\\_db`.* TO 'goldencrust_user'@'%'",
            }));
  EXPECT_EQ(drop_database_sql("tenant_1_db", "tenant_1_user"),
            (std::vector<std::string>{"DROP DATABASE IF EXISTS `tenant_1_db`",
                                      "DROP USER IF EXISTS 'tenant_1_user'@'%'"}));
}

TEST(DatabaseSql, OddNamesStayOneIdentifierOrLiteral) {
  const auto sql = create_database_sql("a`b_c%d\\e", "o'brien\\x", "'pw'");
  EXPECT_EQ(sql[0],
            "CREATE DATABASE IF NOT EXISTS `a``b_c%d\\e` CHARACTER SET utf8mb4 COLLATE "
            "utf8mb4_unicode_ci");
  EXPECT_EQ(sql[1], "CREATE USER IF NOT EXISTS 'o\\'brien\\\\x'@'%' IDENTIFIED BY 'pw'");
  EXPECT_EQ(sql[3], "GRANT ALL PRIVILEGES ON `a``b\\_c\\%d\\\\e`.* TO 'o\\'brien\\\\x'@'%'");
  EXPECT_EQ(sql_string(std::string("a\0b", 3)), "'a\\0b'");
  EXPECT_EQ(db_account("u"), "'u'@'%'");
}

TEST(DatabaseSql, ScriptEndsEveryStatement) {
  EXPECT_EQ(sql_script({"SELECT 1", "SELECT 2"}), "SELECT 1;\nSELECT 2;\n");
  EXPECT_EQ(shell_quote("it's $HOME `x`"), "'it'\\''s $HOME `x`'");
}

TEST(DbInitScript, CarriesNoPasswordAndNamesTheVariablesOnly) {
  const std::string script = db_init_shell_script(
      create_database_sql("t_db", "t_user", kTaskPasswordSql), "done");
  EXPECT_EQ(script.find(kTaskPasswordPlaceholder), std::string::npos);
  EXPECT_NE(script.find("$TENANT_DB_PASSWORD"), std::string::npos);
  EXPECT_NE(script.find("| mysql -h \"$DB_HOST\" -P \"$DB_PORT\" -u \"$MASTER_USER\"\n"),
            std::string::npos);
  // The drop needs no tenant password, so the task needs no tenant secret.
  const std::string drop = db_init_shell_script(drop_database_sql("t_db", "t_user"), "gone");
  EXPECT_EQ(drop.find("TENANT_DB_PASSWORD"), std::string::npos);
}

// Runs the task's script with sh (dash) and bash in POSIX mode, a `mysql` on PATH that
// records its standard input and arguments: what the server would be sent.
class DbInitScriptRun : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-dbinit-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::ofstream mysql(dir_ / "mysql");
    mysql << "#!/bin/sh\nprintf '%s\\n' \"$*\" > \"$OUT.args\"\ncat > \"$OUT\"\n";
    mysql.close();
    std::filesystem::permissions(dir_ / "mysql", std::filesystem::perms::owner_all);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The SQL the script piped to mysql, or "exit N: stderr".
  std::string run(const std::string& shell, const std::string& script,
                  const std::string& password) {
    CommandSpec spec;
    spec.argv = {shell};
    if (shell == "bash") spec.argv.push_back("--posix");
    spec.argv.insert(spec.argv.end(), {"-c", script});
    spec.cwd = dir_.string();
    spec.env = {{"PATH", dir_.string() + ":" + ::getenv("PATH")},
                {"OUT", (dir_ / "sql").string()},
                {"TENANT_DB_PASSWORD", password},
                {"DB_HOST", "db.example"},
                {"DB_PORT", "3306"},
                {"MASTER_USER", "admin"}};
    auto output = run_command(spec);
    if (!output) return "cannot run: " + output.error().message;
    if (output->exit_code != 0) return "exit " + std::to_string(output->exit_code) + ": " + output->err;
    stdout_ = output->out;
    return read(dir_ / "sql");
  }
  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path dir_;
  std::string stdout_;
};

TEST_F(DbInitScriptRun, PipesTheSqlWithThePasswordEscapedForAStringLiteral) {
  const auto statements = create_database_sql("t_db", "t_user", kTaskPasswordSql);
  const std::string script = db_init_shell_script(statements, "wpfleet: t_db is ready");
  const std::string password = "a'b\\c$d\"e`f*g?h[i] j'';--\\";
  const std::string literal = "'a''b\\\\c$d\"e`f*g?h[i] j'''';--\\\\'";
  for (const std::string shell : {"sh", "bash"}) {
    SCOPED_TRACE(shell);
    EXPECT_EQ(run(shell, script, password), sql_script(create_database_sql("t_db", "t_user", literal)));
    EXPECT_EQ(read(dir_ / "sql.args"), "-h db.example -P 3306 -u admin\n");
    EXPECT_EQ(stdout_, "wpfleet: t_db is ready\n");
    EXPECT_EQ(run(shell, script, "Plain32CharactersAbcdefghijklmno"),
              sql_script(create_database_sql("t_db", "t_user", "'Plain32CharactersAbcdefghijklmno'")));
  }
}

TEST_F(DbInitScriptRun, NamesAreNotExpandedByTheShell) {
  const auto statements = drop_database_sql("$(touch pwned)_`id`_db", "$HOME_user");
  EXPECT_EQ(run("sh", db_init_shell_script(statements, "gone"), ""), sql_script(statements));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pwned"));
}

TEST_F(DbInitScriptRun, AFailingClientFailsTheScript) {
  std::ofstream mysql(dir_ / "mysql");
  mysql << "#!/bin/sh\ncat >/dev/null\necho 'ERROR 1045 (28000): Access denied' >&2\nexit 1\n";
  mysql.close();
  const std::string result = run("sh", db_init_shell_script({"SELECT 1"}, "done"), "");
  EXPECT_EQ(result.rfind("exit 1: ERROR 1045", 0), 0u) << result;
}

DbInitDefinition definition() {
  DbInitDefinition d;
  d.family = "sit-generic-db-init";
  d.tenant = "goldencrust";
  d.image = "mysql:8.0";
  d.execution_role_arn = "arn:aws:iam::815856636111:role/sit-ecs-task-execution-role";
  d.log_group = "/ecs/sit";
  d.region = "eu-west-1";
  d.master_secret_arn = "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-rds-master-credentials-Xy12Zq";
  d.tenant_secret_arn = "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust-db-credentials-AbC123";
  d.db_host = "sit-mysql.cn6qqe8eu6b9.eu-west-1.rds.amazonaws.com";
  d.db_port = 3306;
  d.tags = {{"managed-by", "wpfleet"}};
  return d;
}

TEST(DbInitTaskDefinition, PasswordsComeOnlyFromSecrets) {
  const json input = db_init_task_definition(definition());
  EXPECT_EQ(input["family"], "sit-generic-db-init");
  EXPECT_EQ(input["networkMode"], "awsvpc");
  EXPECT_EQ(input["requiresCompatibilities"], json({"FARGATE"}));
  EXPECT_EQ(input["cpu"], "256");
  EXPECT_EQ(input["memory"], "512");
  EXPECT_EQ(input["executionRoleArn"], definition().execution_role_arn);
  ASSERT_EQ(input["containerDefinitions"].size(), 1u);
  const json& container = input["containerDefinitions"][0];
  EXPECT_EQ(container["name"], "mysql-client");
  EXPECT_EQ(container["image"], "mysql:8.0");
  EXPECT_EQ(container["memory"], 512);
  EXPECT_EQ(container["secrets"],
            json::parse(R"([
              {"name":"MYSQL_PWD","valueFrom":")" + definition().master_secret_arn + R"(:password::"},
              {"name":"MASTER_USER","valueFrom":")" + definition().master_secret_arn + R"(:username::"},
              {"name":"TENANT_DB_PASSWORD","valueFrom":")" + definition().tenant_secret_arn + R"(:password::"}])"));
  EXPECT_EQ(container["environment"], json::parse(R"([
              {"name":"DB_HOST","value":"sit-mysql.cn6qqe8eu6b9.eu-west-1.rds.amazonaws.com"},
              {"name":"DB_PORT","value":"3306"},{"name":"WPFLEET_TENANT","value":"goldencrust"}])"));
  EXPECT_EQ(container["logConfiguration"], json::parse(R"({"logDriver":"awslogs","options":{
              "awslogs-group":"/ecs/sit","awslogs-region":"eu-west-1",
              "awslogs-stream-prefix":"db-init"}})"));
  EXPECT_EQ(input["tags"], json::parse(R"([{"key":"managed-by","value":"wpfleet"}])"));

  DbInitDefinition drop = definition();
  drop.tenant_secret_arn.clear();
  EXPECT_EQ(db_init_task_definition(drop)["containerDefinitions"][0]["secrets"].size(), 2u);
}

TEST(DbInitTaskDefinition, ShapeIgnoresWhatEcsAddsAndTheOrderItAnswersIn) {
  const json input = db_init_task_definition(definition());
  json described = input;
  described.erase("tags");
  described["taskDefinitionArn"] = "arn:aws:ecs:eu-west-1:1:task-definition/sit-generic-db-init:7";
  described["revision"] = 7;
  described["status"] = "ACTIVE";
  json& container = described["containerDefinitions"][0];
  container["cpu"] = 0;
  container["portMappings"] = json::array();
  std::reverse(container["environment"].begin(), container["environment"].end());
  std::reverse(container["secrets"].begin(), container["secrets"].end());
  EXPECT_EQ(task_definition_shape(described), task_definition_shape(input));

  DbInitDefinition other = definition();
  other.tenant = "tenant1";
  EXPECT_NE(task_definition_shape(db_init_task_definition(other)), task_definition_shape(input));
  other = definition();
  other.image = "mysql:8.4";
  EXPECT_NE(task_definition_shape(db_init_task_definition(other)), task_definition_shape(input));
}

}  // namespace
}  // namespace wpfleet::aws_backend
