// The aws backend's identity, secrets and database providers, called directly against
// moto's server (signature checking on) behind the AwsProxy, on the user's SIT as their
// scripts left it: what each adopts, creates, converges and removes, what existing()
// costs, and the database on both paths: "direct" against a MariaDB on TCP loopback
// standing in for RDS, "task" through the proxy's one-off tasks, whose command is then
// run here with the real mysql client the way ECS would run it.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "aws_test_env.h"
#include "backends/aws/providers.h"
#include "backends/aws/secret_policy.h"
#include "backends/aws/tenant_secret.h"
#include "harness.h"
#include "loopback_mariadb.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;
using aws_backend::AwsPlatforms;
using aws_backend::SharedPlatforms;

class AwsDataProviders : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      aws_ = new AwsTestEnv();
      aws::Client setup = client();
      sit_ = new SitFixture(make_user_sit(setup));
      // The user's db-init image, which wpfleet's db-init revisions must keep.
      registered_user_db_init(setup);
      const json master = secret_value("sit-rds-master-credentials");
      mariadb_ = new LoopbackMariaDb(master["username"], master["password"]);
      env_ = new Environment(sit_environment_with(AwsSettings::DbAccess::Task));
      direct_env_ = new Environment(sit_environment_with(AwsSettings::DbAccess::Direct));
      platforms_ = new SharedPlatforms(std::make_shared<AwsPlatforms>(aws_->process_env()));
      // moto cannot check the signature of a REST GET (the EFS lookup): the platform is
      // looked up once with the checks off, then every call is checked.
      aws_->moto().check_signatures(false);
      auto platform = (*platforms_)->platform(*env_);
      aws_->moto().check_signatures(true);
      if (!platform) throw std::runtime_error(platform.error().message);
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete platforms_;
    delete direct_env_;
    delete env_;
    delete mariadb_;
    delete sit_;
    delete aws_;
    platforms_ = nullptr;
    direct_env_ = env_ = nullptr;
    mariadb_ = nullptr;
    sit_ = nullptr;
    aws_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(platforms_, nullptr) << setup_error_;
    complaints_.emplace(aws_->proxy());
  }
  void TearDown() override {
    if (!complaints_) return;
    complaints_->fail_on_new();
    aws_->proxy().set_task_exit_code(0);
    aws_->proxy().set_task_log_lines({"ok"});
  }

  static aws::Client client() { return aws_->client(); }

  // The SIT's environment, its database reached by `access`.
  static Environment sit_environment_with(AwsSettings::DbAccess access) {
    Environment env = sit_environment("sit", "wpsit.kimmyai.io", *sit_);
    env.aws->db_access = access;
    if (access == AwsSettings::DbAccess::Direct) {
      env.aws->db_host = "127.0.0.1";
      env.aws->db_port = static_cast<int>(mariadb_->port());
    }
    return env;
  }

  static void registered_user_db_init(aws::Client& setup) {
    auto described = setup.json(aws::kEcs, "DescribeTaskDefinition",
                                {{"taskDefinition", "sit-generic-db-init"}});
    if (!described) throw std::runtime_error(described.error().message);
    json input = (*described)["taskDefinition"];
    for (const char* key : {"taskDefinitionArn", "revision", "status", "requiresAttributes",
                            "compatibilities", "registeredAt", "registeredBy"}) {
      input.erase(key);
    }
    input["containerDefinitions"][0]["image"] = kUserImage;
    auto registered = setup.json(aws::kEcs, "RegisterTaskDefinition", input);
    if (!registered) throw std::runtime_error(registered.error().message);
  }

  static json secret_value(const std::string& id) {
    auto value = client().json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", id}});
    if (!value) throw std::runtime_error(value.error().message);
    return json::parse((*value)["SecretString"].get<std::string>());
  }
  static json describe_secret(const std::string& id) {
    auto described = client().json(aws::kSecretsManager, "DescribeSecret", {{"SecretId", id}});
    return described ? *described : json();
  }
  static std::map<std::string, std::string> tags_of(const std::string& secret) {
    std::map<std::string, std::string> tags;
    for (const auto& tag : describe_secret(secret).value("Tags", json::array())) {
      tags[tag["Key"]] = tag["Value"];
    }
    return tags;
  }
  static void put_secret_value(const std::string& id, const json& value) {
    auto put = client().json(aws::kSecretsManager, "PutSecretValue",
                             {{"SecretId", id},
                              {"SecretString", value.dump()},
                              {"ClientRequestToken", "test-" + std::to_string(++versions_) +
                                                         "-00000000000000000000000000000000"}});
    ASSERT_TRUE(put) << put.error().message;
  }
  static std::optional<std::string> role_policy(const std::string& name) {
    auto answer = client().query(aws::kIam, "GetRolePolicy",
                                 {{"RoleName", "sit-ecs-task-execution-role"}, {"PolicyName", name}});
    if (!answer) return std::nullopt;
    // URL-encoded, as AWS answers it.
    return aws_backend::decode_policy_document(
        answer->select_node("//PolicyDocument").node().child_value());
  }
  static std::set<std::string> active_db_init_revisions() {
    auto listed = client().json(aws::kEcs, "ListTaskDefinitions",
                                {{"familyPrefix", "sit-generic-db-init"}, {"status", "ACTIVE"}});
    std::set<std::string> out;
    if (!listed) return out;
    for (const auto& arn : (*listed)["taskDefinitionArns"]) out.insert(arn);
    return out;
  }

  const Tenant& tenant(const std::string& id) {
    Tenant tenant;
    tenant.id = id;
    tenant.title = id;
    tenant.admin_email = "owner@" + id + ".example";
    tenant.environments = {"sit"};
    return tenants_.emplace_back(std::move(tenant));
  }
  TenantContext context(const std::string& id, const Environment& env) {
    return make_tenant_context(tenant(id), env);
  }

  // Calls of `action` made while `body` ran.
  static int calls(const std::string& action, const std::function<void()>& body) {
    const int before = aws_->proxy().requests_by_action()[action];
    const int all_before = aws_->proxy().requests();
    body();
    last_total_calls_ = aws_->proxy().requests() - all_before;
    return aws_->proxy().requests_by_action()[action] - before;
  }

  // Runs the command of a db-init RunTask here, as ECS would run the task: its task
  // definition's environment (DB_HOST and DB_PORT pointed at the loopback MariaDB that
  // stands in for RDS) and secrets read from Secrets Manager, with the real mysql client.
  static CommandOutput run_like_ecs(const json& run_task) {
    auto described = client().json(aws::kEcs, "DescribeTaskDefinition",
                                    {{"taskDefinition", run_task["taskDefinition"]}});
    EXPECT_TRUE(described) << described.error().message;
    if (!described) return {};
    const json container = (*described)["taskDefinition"]["containerDefinitions"][0];
    CommandSpec spec;
    for (const auto& variable : container["environment"]) spec.env[variable["name"]] = variable["value"];
    spec.env["DB_HOST"] = "127.0.0.1";
    spec.env["DB_PORT"] = std::to_string(mariadb_->port());
    for (const auto& secret : container["secrets"]) {
      std::string from = secret["valueFrom"];  // <arn>:<key>::
      from.resize(from.size() - 2);
      const auto colon = from.rfind(':');
      spec.env[secret["name"]] = secret_value(from.substr(0, colon))[from.substr(colon + 1)];
    }
    const json command = run_task["overrides"]["containerOverrides"][0]["command"];
    for (const auto& word : command) spec.argv.push_back(word);
    auto output = run_command(spec);
    EXPECT_TRUE(output) << output.error().message;
    return output ? *output : CommandOutput{};
  }

  static std::unique_ptr<ResourceProvider> identity() {
    return aws_backend::make_identity_provider(*platforms_);
  }
  static std::unique_ptr<ResourceProvider> secrets() {
    return aws_backend::make_secrets_provider(*platforms_);
  }
  static std::unique_ptr<ResourceProvider> database() {
    return aws_backend::make_database_provider(*platforms_);
  }
  static std::set<std::string> sit_ids() {
    std::set<std::string> ids;
    for (const auto& [tenant, priority] : sit_tenants()) ids.insert(tenant);
    return ids;
  }

  static constexpr const char* kUserImage = "mysql:8.0.36";
  std::deque<Tenant> tenants_;
  std::optional<ProxyComplaints> complaints_;
  static inline int last_total_calls_ = 0;
  static inline int versions_ = 0;
  static inline AwsTestEnv* aws_ = nullptr;
  static inline SitFixture* sit_ = nullptr;
  static inline LoopbackMariaDb* mariadb_ = nullptr;
  static inline Environment* env_ = nullptr;
  static inline Environment* direct_env_ = nullptr;
  static inline SharedPlatforms* platforms_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(AwsDataProviders, IdentityAdoptsTheUsersPoliciesAndAllowsANewTenantsSecretOnly) {
  auto provider = identity();
  std::set<std::string> candidates = sit_ids();
  candidates.insert("idnew");
  Result<std::set<std::string>> found = std::set<std::string>{};
  EXPECT_EQ(calls("ListRolePolicies", [&] { found = provider->existing(*env_, candidates); }), 1);
  EXPECT_EQ(last_total_calls_, 1);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, sit_ids());

  // The user's policy names goldencrust's secret's exact ARN: kept as it is.
  const auto users = role_policy("sit-ecs-secrets-access-goldencrust");
  Result<std::string> detail = std::string();
  EXPECT_EQ(calls("PutRolePolicy", [&] { detail = provider->ensure(context("goldencrust", *env_)); }), 0);
  ASSERT_TRUE(detail) << detail.error().message;
  EXPECT_EQ(json::parse(*detail),
            json::parse(R"({"role":"sit-ecs-task-execution-role",)"
                        R"("policy":"sit-ecs-secrets-access-goldencrust","adopted":true})"));
  EXPECT_EQ(role_policy("sit-ecs-secrets-access-goldencrust"), users);
  EXPECT_TRUE(provider->check(context("goldencrust", *env_)));

  // A new tenant: the policy names its secret before the secret exists, and only it.
  EXPECT_EQ(calls("PutRolePolicy", [&] { detail = provider->ensure(context("idnew", *env_)); }), 1);
  ASSERT_TRUE(detail) << detail.error().message;
  const json document = json::parse(*role_policy("sit-ecs-secrets-access-idnew"));
  EXPECT_EQ(document["Statement"][0]["Resource"],
            json({"arn:aws:secretsmanager:us-east-1:123456789012:secret:sit-idnew-db-credentials-??????"}));
  EXPECT_EQ(document["Statement"][0]["Action"], json({"secretsmanager:GetSecretValue"}));
  EXPECT_TRUE(provider->check(context("idnew", *env_)));
  // Again: nothing to do. And once the secret exists, its real ARN is allowed.
  EXPECT_EQ(calls("PutRolePolicy", [&] { detail = provider->ensure(context("idnew", *env_)); }), 0);
  ASSERT_TRUE(secrets()->ensure(context("idnew", *env_)));
  EXPECT_TRUE(provider->check(context("idnew", *env_)));

  // A policy of that name that allows something else is replaced.
  ASSERT_TRUE(client().query(aws::kIam, "PutRolePolicy",
                             {{"RoleName", "sit-ecs-task-execution-role"},
                              {"PolicyName", "sit-ecs-secrets-access-idnew"},
                              {"PolicyDocument",
                               R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
                               R"("Action":"secretsmanager:GetSecretValue","Resource":)"
                               R"("arn:aws:secretsmanager:us-east-1:123456789012:secret:sit-tenant1-db-credentials-*"}]})"}}));
  Status broken = provider->check(context("idnew", *env_));
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("cannot read secret sit-idnew-db-credentials"), std::string::npos)
      << broken.error().message;
  EXPECT_NE(broken.error().message.find("run `wpfleet apply`"), std::string::npos);
  EXPECT_EQ(calls("PutRolePolicy", [&] { detail = provider->ensure(context("idnew", *env_)); }), 1);
  EXPECT_TRUE(provider->check(context("idnew", *env_)));

  // Removed, and removed again.
  ASSERT_TRUE(provider->remove(*env_, "idnew"));
  EXPECT_FALSE(role_policy("sit-ecs-secrets-access-idnew"));
  EXPECT_TRUE(provider->remove(*env_, "idnew"));
  Status gone = provider->check(context("idnew", *env_));
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("no policy sit-ecs-secrets-access-idnew"), std::string::npos);
  ASSERT_TRUE(secrets()->remove(*env_, "idnew"));
}

TEST_F(AwsDataProviders, IdentityStopsATenantIdTooLongForAwsBeforeAnythingIsMade) {
  const std::string id = "a-tenant-id-far-too-long-for-a-target-group";
  Result<std::string> detail = std::string();
  calls("PutRolePolicy", [&] { detail = identity()->ensure(context(id, *env_)); });
  ASSERT_FALSE(detail);
  EXPECT_NE(detail.error().message.find("is too long for AWS"), std::string::npos)
      << detail.error().message;
  EXPECT_EQ(last_total_calls_, 0);
}

TEST_F(AwsDataProviders, SecretsAdoptFillingInOnlyWhatIsMissing) {
  auto provider = secrets();
  std::set<std::string> candidates = sit_ids();
  candidates.insert("secnew");
  Result<std::set<std::string>> found = std::set<std::string>{};
  EXPECT_EQ(calls("ListSecrets", [&] { found = provider->existing(*env_, candidates); }), 1);
  EXPECT_EQ(last_total_calls_, 1);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, sit_ids());

  const json before = secret_value("sit-tenant1-db-credentials");
  Result<std::string> detail = provider->ensure(context("tenant1", *env_));
  ASSERT_TRUE(detail) << detail.error().message;
  const json after = secret_value("sit-tenant1-db-credentials");
  EXPECT_EQ(json::parse(*detail)["adopted"], true);
  EXPECT_EQ(json::parse(*detail)["secret"], "sit-tenant1-db-credentials");
  EXPECT_EQ(detail->find(before["password"].get<std::string>()), std::string::npos);
  for (const char* key : {"username", "password", "database", "host", "port"}) {
    EXPECT_EQ(after[key], before[key]) << key;
  }
  for (const char* key : aws_backend::kWordPressKeys) {
    EXPECT_EQ(after[key].get<std::string>().size(), 64u) << key;
  }
  EXPECT_EQ(after[aws_backend::kAdminPasswordKey].get<std::string>().size(), 32u);
  EXPECT_EQ(tags_of("sit-tenant1-db-credentials"),
            (std::map<std::string, std::string>{
                {"managed-by", "wpfleet"}, {"wpfleet:env", "sit"}, {"wpfleet:tenant", "tenant1"}}));
  // Converged: a second ensure writes nothing.
  int writes = calls("PutSecretValue", [&] { detail = provider->ensure(context("tenant1", *env_)); });
  writes += calls("TagResource", [&] { detail = provider->ensure(context("tenant1", *env_)); });
  EXPECT_EQ(writes, 0);
  EXPECT_EQ(json::parse(*detail)["adopted"], false);
  EXPECT_EQ(secret_value("sit-tenant1-db-credentials"), after);
  EXPECT_TRUE(provider->check(context("tenant1", *env_)));

  // host and port follow the RDS endpoint; the credentials stay.
  json moved = after;
  moved["host"] = "old-host.example";
  moved["port"] = "3307";
  put_secret_value("sit-tenant1-db-credentials", moved);
  ASSERT_TRUE(provider->ensure(context("tenant1", *env_)));
  EXPECT_EQ(secret_value("sit-tenant1-db-credentials"), after);
}

TEST_F(AwsDataProviders, SecretsAreMadeScheduledForDeletionAndRestored) {
  auto provider = secrets();
  Result<std::string> detail = std::string();
  EXPECT_EQ(calls("CreateSecret", [&] { detail = provider->ensure(context("secnew", *env_)); }), 1);
  ASSERT_TRUE(detail) << detail.error().message;
  EXPECT_EQ(json::parse(*detail)["adopted"], false);
  const json value = secret_value("sit-secnew-db-credentials");
  EXPECT_EQ(value["username"], "secnew_user");
  EXPECT_EQ(value["database"], "secnew_db");
  EXPECT_EQ(value["password"].get<std::string>().size(), 32u);
  EXPECT_EQ(value["host"], sit_->rds_endpoint);
  EXPECT_EQ(value["port"], 3306);
  EXPECT_EQ(value.size(), 5u + 8u + 1u);
  EXPECT_EQ(detail->find(value["password"].get<std::string>()), std::string::npos);
  EXPECT_EQ(tags_of("sit-secnew-db-credentials").at("managed-by"), "wpfleet");
  EXPECT_EQ(calls("CreateSecret", [&] { detail = provider->ensure(context("secnew", *env_)); }), 0);

  // Deleted with the recovery window: not existing, restored by the next ensure with the
  // same values (the database user keeps its password).
  ASSERT_TRUE(provider->remove(*env_, "secnew"));
  EXPECT_TRUE(describe_secret("sit-secnew-db-credentials").contains("DeletedDate"));
  EXPECT_TRUE(provider->remove(*env_, "secnew"));
  auto found = provider->existing(*env_, {"secnew"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->empty());
  Status check = provider->check(context("secnew", *env_));
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("scheduled for deletion: run `wpfleet apply`"),
            std::string::npos);
  int creates = 0;
  EXPECT_EQ(calls("RestoreSecret", [&] {
              creates = calls("CreateSecret", [&] { detail = provider->ensure(context("secnew", *env_)); });
            }),
            1);
  EXPECT_EQ(creates, 0);
  ASSERT_TRUE(detail) << detail.error().message;
  EXPECT_EQ(secret_value("sit-secnew-db-credentials"), value);
  EXPECT_TRUE(provider->check(context("secnew", *env_)));

  // A value missing a key fails the check until apply fills it in.
  json partial = value;
  partial.erase("host");
  put_secret_value("sit-secnew-db-credentials", partial);
  check = provider->check(context("secnew", *env_));
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("lacks host: run `wpfleet apply`"), std::string::npos);
  ASSERT_TRUE(provider->ensure(context("secnew", *env_)));
  EXPECT_EQ(secret_value("sit-secnew-db-credentials"), value);
  ASSERT_TRUE(provider->remove(*env_, "secnew"));
}

TEST_F(AwsDataProviders, DirectDatabaseReachesItsOwnDatabaseAlone) {
  auto provider = database();
  ASSERT_TRUE(secrets()->ensure(context("dbnew", *direct_env_)));
  // Made by root: a database that the unescaped grant `dbnew_db`.* would reach too.
  ASSERT_TRUE((*mariadb_->root())->execute("CREATE DATABASE IF NOT EXISTS dbnewXdb"));

  auto found = provider->existing(*direct_env_, {"sunsetbistro", "dbnew"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->empty());
  for (const char* id : {"sunsetbistro", "dbnew"}) {
    Result<std::string> detail = provider->ensure(context(id, *direct_env_));
    ASSERT_TRUE(detail) << detail.error().message;
    EXPECT_EQ(json::parse(*detail)["access"], "direct");
    EXPECT_TRUE(provider->check(context(id, *direct_env_)));
    EXPECT_EQ(tags_of("sit-" + std::string(id) + "-db-credentials").count("wpfleet:database-ready"), 1u);
  }
  found = provider->existing(*direct_env_, {"sunsetbistro", "dbnew", "tenant2"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, (std::set<std::string>{"sunsetbistro", "dbnew"}));

  const json own = secret_value("sit-dbnew-db-credentials");
  const std::string password = own["password"];
  EXPECT_TRUE(mariadb_->login("dbnew_user", password, "dbnew_db"));
  EXPECT_FALSE(mariadb_->login("dbnew_user", password, "sunsetbistro_db"));
  EXPECT_FALSE(mariadb_->login("dbnew_user", password, "dbnewXdb"));
  EXPECT_FALSE(mariadb_->login("dbnew_user", "wrong", "dbnew_db"));

  // A password changed in the secret: the check says so, ensure converges the user.
  json changed = own;
  changed["password"] = "it's a \\ new 'password'";
  put_secret_value("sit-dbnew-db-credentials", changed);
  Status check = provider->check(context("dbnew", *direct_env_));
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("the tenant's credentials do not reach dbnew_db"),
            std::string::npos)
      << check.error().message;
  EXPECT_NE(check.error().message.find("MariaDB error 1045"), std::string::npos);
  EXPECT_NE(check.error().message.find("run `wpfleet apply`"), std::string::npos);
  ASSERT_TRUE(provider->ensure(context("dbnew", *direct_env_)));
  EXPECT_TRUE(provider->check(context("dbnew", *direct_env_)));
  EXPECT_TRUE(mariadb_->login("dbnew_user", changed["password"], "dbnew_db"));

  ASSERT_TRUE(provider->remove(*direct_env_, "dbnew"));
  EXPECT_EQ(mariadb_->databases().count("dbnew_db"), 0u);
  EXPECT_FALSE(mariadb_->login("dbnew_user", changed["password"], ""));
  EXPECT_TRUE(provider->remove(*direct_env_, "dbnew"));
  EXPECT_EQ(tags_of("sit-dbnew-db-credentials").count("wpfleet:database-ready"), 0u);
  EXPECT_FALSE(provider->check(context("dbnew", *direct_env_)));
  ASSERT_TRUE(secrets()->remove(*direct_env_, "dbnew"));
}

TEST_F(AwsDataProviders, TaskDatabaseRunsTheSqlInAOneOffTaskWithPasswordsFromSecretsOnly) {
  auto provider = database();
  // The user's secret (untagged) came with its database; wpfleet's needs the mark.
  ASSERT_TRUE(secrets()->ensure(context("tasknew", *env_)));
  Result<std::set<std::string>> found = std::set<std::string>{};
  EXPECT_EQ(calls("ListSecrets", [&] { found = provider->existing(*env_, {"sterlinglaw", "tasknew"}); }), 1);
  EXPECT_EQ(last_total_calls_, 1);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, std::set<std::string>{"sterlinglaw"});

  const auto user_revisions = active_db_init_revisions();
  const std::size_t runs_before = aws_->proxy().run_task_requests().size();
  Result<std::string> detail = provider->ensure(context("tasknew", *env_));
  ASSERT_TRUE(detail) << detail.error().message;
  EXPECT_EQ(json::parse(*detail),
            json::parse(R"({"database":"tasknew_db","user":"tasknew_user","server":"sit-mysql","access":"task"})"));
  const auto runs = aws_->proxy().run_task_requests();
  ASSERT_EQ(runs.size(), runs_before + 1);
  const json run = runs.back();

  // Nothing secret in the request: the command names variables only.
  const json value = secret_value("sit-tasknew-db-credentials");
  const json master = secret_value("sit-rds-master-credentials");
  const std::string request = run.dump();
  EXPECT_EQ(request.find(value["password"].get<std::string>()), std::string::npos);
  EXPECT_EQ(request.find(master["password"].get<std::string>()), std::string::npos);
  const json overrides = run["overrides"]["containerOverrides"];
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0]["name"], "mysql-client");
  EXPECT_FALSE(overrides[0].contains("environment"));
  EXPECT_EQ(overrides[0]["command"][0], "sh");
  EXPECT_EQ(overrides[0]["command"][1], "-c");
  EXPECT_EQ(run["launchType"], "FARGATE");
  EXPECT_EQ(run["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"], "DISABLED");

  // The revision it ran: the user's image, the passwords as secrets, logs where the
  // user's guide reads them; deregistered once the task stopped.
  auto described = client().json(aws::kEcs, "DescribeTaskDefinition",
                                 {{"taskDefinition", run["taskDefinition"]}});
  ASSERT_TRUE(described) << described.error().message;
  const json definition = (*described)["taskDefinition"];
  EXPECT_EQ(definition["family"], "sit-generic-db-init");
  EXPECT_EQ(definition["status"], "INACTIVE");
  EXPECT_EQ(active_db_init_revisions(), user_revisions);
  const json container = definition["containerDefinitions"][0];
  EXPECT_EQ(container["image"], kUserImage);
  std::map<std::string, std::string> secrets_from;
  for (const auto& secret : container["secrets"]) secrets_from[secret["name"]] = secret["valueFrom"];
  const std::string master_arn = describe_secret("sit-rds-master-credentials")["ARN"];
  const std::string tenant_arn = describe_secret("sit-tasknew-db-credentials")["ARN"];
  EXPECT_EQ(secrets_from, (std::map<std::string, std::string>{
                              {"MYSQL_PWD", master_arn + ":password::"},
                              {"MASTER_USER", master_arn + ":username::"},
                              {"TENANT_DB_PASSWORD", tenant_arn + ":password::"}}));
  EXPECT_EQ(definition.dump().find(value["password"].get<std::string>()), std::string::npos);
  EXPECT_EQ(container["logConfiguration"]["options"]["awslogs-group"], "/ecs/sit");
  EXPECT_EQ(container["logConfiguration"]["options"]["awslogs-stream-prefix"], "db-init");
  // The execution role may read the master secret.
  const auto policy = role_policy("sit-ecs-secrets-access-wpfleet-db-init");
  ASSERT_TRUE(policy);
  EXPECT_NE(policy->find(master_arn), std::string::npos);

  // Marked: existing() and check() now count it.
  EXPECT_EQ(tags_of("sit-tasknew-db-credentials").count("wpfleet:database-ready"), 1u);
  found = provider->existing(*env_, {"sterlinglaw", "tasknew"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, (std::set<std::string>{"sterlinglaw", "tasknew"}));
  EXPECT_TRUE(provider->check(context("tasknew", *env_)));

  // The command, run the way ECS runs the task, makes what the tenant's login reaches.
  const CommandOutput ran = run_like_ecs(run);
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_NE(ran.out.find("wpfleet: database tasknew_db and user tasknew_user are ready"),
            std::string::npos);
  EXPECT_TRUE(mariadb_->login("tasknew_user", value["password"], "tasknew_db"));
  EXPECT_TRUE(database()->check(context("tasknew", *direct_env_)));
  // With a password that needs escaping, run again: converged.
  json odd = value;
  odd["password"] = "a'b\\c$d\"e`f ;--";
  put_secret_value("sit-tasknew-db-credentials", odd);
  ASSERT_TRUE(provider->ensure(context("tasknew", *env_)));
  const CommandOutput again = run_like_ecs(aws_->proxy().run_task_requests().back());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(mariadb_->login("tasknew_user", odd["password"], "tasknew_db"));

  // Removal: the drop script in a task of its own (no tenant secret needed), and the mark goes.
  ASSERT_TRUE(provider->remove(*env_, "tasknew"));
  const json drop = aws_->proxy().run_task_requests().back();
  const CommandOutput dropped = run_like_ecs(drop);
  EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_EQ(mariadb_->databases().count("tasknew_db"), 0u);
  EXPECT_EQ(tags_of("sit-tasknew-db-credentials").count("wpfleet:database-ready"), 0u);
  EXPECT_EQ(active_db_init_revisions(), user_revisions);
  ASSERT_TRUE(secrets()->remove(*env_, "tasknew"));
}

TEST_F(AwsDataProviders, TaskThatFailsIsAnErrorNamingItsLogStream) {
  auto provider = database();
  ASSERT_TRUE(secrets()->ensure(context("taskfail", *env_)));
  aws_->proxy().set_task_exit_code(1);
  aws_->proxy().set_task_log_lines({"ERROR 2005 (HY000): Unknown MySQL server host 'sit-mysql'"});
  Result<std::string> detail = provider->ensure(context("taskfail", *env_));
  ASSERT_FALSE(detail);
  const std::string& message = detail.error().message;
  EXPECT_NE(message.find("exited with code 1"), std::string::npos) << message;
  EXPECT_NE(message.find("log /ecs/sit, stream db-init/mysql-client/"), std::string::npos) << message;
  EXPECT_NE(message.find("Unknown MySQL server host 'sit-mysql'"), std::string::npos) << message;
  // No mark; the revision is gone all the same.
  EXPECT_EQ(tags_of("sit-taskfail-db-credentials").count("wpfleet:database-ready"), 0u);
  auto found = provider->existing(*env_, {"taskfail"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->empty());
  Status check = provider->check(context("taskfail", *env_));
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("run `wpfleet apply`"), std::string::npos);

  // The next apply succeeds.
  aws_->proxy().set_task_exit_code(0);
  EXPECT_TRUE(provider->ensure(context("taskfail", *env_)));
  EXPECT_TRUE(provider->check(context("taskfail", *env_)));
  ASSERT_TRUE(provider->remove(*env_, "taskfail"));
  ASSERT_TRUE(secrets()->remove(*env_, "taskfail"));
}

TEST_F(AwsDataProviders, ParallelTenantsEachRunTheirOwnRevision) {
  auto provider = database();
  const std::vector<std::string> ids = {"para1", "para2", "para3", "para4"};
  for (const auto& id : ids) ASSERT_TRUE(secrets()->ensure(context(id, *env_)));
  std::vector<TenantContext> contexts;
  for (const auto& id : ids) contexts.push_back(context(id, *env_));
  std::vector<std::string> failures(ids.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto done = provider->ensure(contexts[i]);
      if (!done) failures[i] = done.error().message;
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(failures[i], "") << ids[i];
  auto found = provider->existing(*env_, {ids.begin(), ids.end()});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->size(), ids.size());
  threads.clear();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      auto done = provider->remove(*env_, ids[i]);
      if (!done) failures[i] = done.error().message;
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(failures[i], "") << ids[i];
  for (const auto& id : ids) ASSERT_TRUE(secrets()->remove(*env_, id));
}

}  // namespace
}  // namespace wpfleet::testing
