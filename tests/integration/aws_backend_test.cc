// The aws backend end to end: the real wpfleet binary against moto's server (signature
// checking on) behind the AwsProxy, with the user's SIT as their Terraform and scripts
// left it (five untagged tenants at priorities 140..180). plan adopts it all, apply
// converges without duplicating anything, a new tenant gets the next priority, delete
// removes one tenant's resources, discover finds the tenants, and bad input stops
// before anything is made.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "aws/pagination.h"
#include "aws/s3.h"
#include "aws_fake.h"
#include "aws_sit_fixture.h"
#include "aws_test_env.h"
#include "harness.h"
#include "moto_server.h"
#include "util/crypto.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

constexpr const char* kAccount = "123456789012";  // moto's

class AwsBackend : public ::testing::Test {
 protected:
  void SetUp() override {
    moto_ = std::make_unique<MotoServer>(
        std::map<std::string, std::string>{{"MOTO_ECS_SERVICE_RUNNING", "1"}});
    credentials_ = moto_->enable_auth();
    proxy_ = std::make_unique<AwsProxy>(moto_->endpoint(), credentials_);
    aws::Client setup = client();
    sit_ = make_user_sit(setup);
    aws::Environment reach;
    reach.vars = {{"AWS_ENDPOINT_URL", proxy_->endpoint()},
                  {"AWS_ACCESS_KEY_ID", credentials_.access_key_id},
                  {"AWS_SECRET_ACCESS_KEY", credentials_.secret_access_key},
                  {"AWS_SHARED_CREDENTIALS_FILE", (dir_.path() / "no-credentials").string()},
                  {"AWS_CONFIG_FILE", (dir_.path() / "no-config").string()}};
    variables_ = std::make_unique<AwsVariables>(reach);
  }

  void TearDown() override {
    if (!proxy_) return;
    for (const auto& violation : proxy_->violations()) ADD_FAILURE() << violation;
    for (const auto& error : proxy_->errors()) ADD_FAILURE() << error;
  }

  aws::Client client() const {
    aws::ClientConfig config = moto_->client_config(credentials_);
    config.endpoint_url = proxy_->endpoint();
    return aws::Client(config);
  }

  std::filesystem::path fleet() const { return dir_.path() / "fleet.toml"; }

  // The user's SIT as a fleet file: `tenants` in environment sit; `aws_extra` lines are
  // added to [environments.sit.aws].
  void write_fleet(const std::vector<std::string>& tenants, const std::string& aws_extra = "",
                   const std::string& account = kAccount) {
    std::string subnets, groups;
    for (const auto& s : sit_.subnets) subnets += (subnets.empty() ? "\"" : ", \"") + s + "\"";
    for (const auto& g : sit_.security_groups) groups += (groups.empty() ? "\"" : ", \"") + g + "\"";
    std::string text = "[environments.sit]\nbackend = \"aws\"\ndomain = \"{tenant}.wpsit.kimmyai.io\"\n"
                       "\n[environments.sit.aws]\nregion = \"us-east-1\"\naccount_id = \"" +
                       account + "\"\nsubnets = [" + subnets + "]\nsecurity_groups = [" + groups +
                       "]\n" + aws_extra + "\n";
    for (const auto& tenant : tenants) {
      text += "[[tenants]]\nid = \"" + tenant + "\"\ntitle = \"" + tenant +
              "\"\nadmin_email = \"owner@" + tenant + ".example\"\nenvironments = [\"sit\"]\n\n";
    }
    std::ofstream(fleet()) << text;
  }

  static std::vector<std::string> sit_ids() {
    std::vector<std::string> ids;
    for (const auto& [tenant, priority] : sit_tenants()) ids.push_back(tenant);
    return ids;
  }

  CliResult wpfleet(std::vector<std::string> args) const {
    args.insert(args.begin(), {"-f", fleet().string()});
    return run_wpfleet(args);
  }

  json plan_changes() const {
    CliResult planned = wpfleet({"plan", "--output", "json"});
    EXPECT_TRUE(planned.exit_code == 0 || planned.exit_code == 2) << planned.err;  // 2: changes
    json out = json::parse(planned.out, nullptr, false);
    return out.is_object() ? out["changes"] : json::array();
  }

  // priority -> the first host of each non-default rule of the listener.
  std::map<int, std::string> rules() const {
    aws::Client c = client();
    auto answer = c.query(aws::kElbV2, "DescribeRules", {{"ListenerArn", sit_.listener_arn}});
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    std::map<int, std::string> out;
    if (!answer) return out;
    for (const auto& rule : answer->select_nodes("//Rules/member")) {
      const std::string priority = rule.node().child_value("Priority");
      if (priority == "default") continue;
      out[std::stoi(priority)] =
          rule.node().select_node(".//Values/member").node().child_value();
    }
    return out;
  }

  std::set<std::string> service_names() const {
    aws::Client c = client();
    auto answer = c.json(aws::kEcs, "ListServices", {{"cluster", "sit-cluster"}, {"maxResults", 100}});
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    std::set<std::string> out;
    if (!answer) return out;
    for (const auto& arn : (*answer)["serviceArns"]) {
      const std::string text = arn.get<std::string>();
      out.insert(text.substr(text.rfind('/') + 1));
    }
    return out;
  }

  // Secret name -> scheduled for deletion.
  std::map<std::string, bool> secrets() const {
    aws::Client c = client();
    auto pages = aws::all_json_pages(c, aws::kSecretsManager, "ListSecrets",
                                     {{"IncludePlannedDeletion", true}});
    EXPECT_TRUE(pages.ok()) << pages.error().message;
    std::map<std::string, bool> out;
    if (!pages) return out;
    for (const auto& page : *pages) {
      for (const auto& s : page["SecretList"]) out[s["Name"]] = !s.value("DeletedDate", json()).is_null();
    }
    return out;
  }

  std::set<std::string> target_groups() const {
    aws::Client c = client();
    auto answer = c.query(aws::kElbV2, "DescribeTargetGroups", {});
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    std::set<std::string> out;
    if (!answer) return out;
    for (const auto& tg : answer->select_nodes("//TargetGroups/member/TargetGroupName")) {
      out.insert(tg.node().child_value());
    }
    return out;
  }

  std::set<std::string> access_point_paths() {
    moto_->check_signatures(false);  // moto cannot check a REST GET's signature
    aws::Client c = client();
    auto answer = c.rest_json(aws::kEfs, "DescribeAccessPoints", "GET", "/2015-02-01/access-points",
                              {{"FileSystemId", sit_.efs_id}});
    moto_->check_signatures(true);
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    std::set<std::string> out;
    if (!answer) return out;
    for (const auto& ap : (*answer)["AccessPoints"]) out.insert(ap["RootDirectory"]["Path"]);
    return out;
  }

  std::set<std::string> role_policies() const {
    aws::Client c = client();
    auto answer = c.query(aws::kIam, "ListRolePolicies", {{"RoleName", "sit-ecs-task-execution-role"}});
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    std::set<std::string> out;
    if (!answer) return out;
    for (const auto& name : answer->select_nodes("//PolicyNames/member")) {
      out.insert(name.node().child_value());
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<MotoServer> moto_;
  aws::Credentials credentials_;
  std::unique_ptr<AwsProxy> proxy_;
  SitFixture sit_;
  std::unique_ptr<AwsVariables> variables_;
};

std::map<std::string, int> count_actions(const json& changes) {
  std::map<std::string, int> counts;
  for (const auto& change : changes) ++counts[change["action"].get<std::string>()];
  return counts;
}

TEST_F(AwsBackend, PlanAdoptsTheUsersSitAndCreatesNothing) {
  write_fleet(sit_ids());
  const json changes = plan_changes();
  const auto counts = count_actions(changes);
  EXPECT_EQ(counts.count("create"), 0u) << changes.dump(1);
  EXPECT_EQ(counts.count("delete"), 0u);
  EXPECT_EQ(counts.at("adopt"), 35) << changes.dump(1);  // 5 tenants x 7 kinds
}

TEST_F(AwsBackend, ApplyAdoptsThenChangesNothingAndDuplicatesNothing) {
  write_fleet(sit_ids());
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(plan_changes().empty());
  CliResult again = wpfleet({"apply", "--output", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;

  // Exactly the user's resources, at their priorities: nothing was made twice.
  std::map<int, std::string> expected_rules;
  for (const auto& [tenant, priority] : sit_tenants()) {
    expected_rules[priority] = tenant + ".wpsit.kimmyai.io";
  }
  EXPECT_EQ(rules(), expected_rules);
  EXPECT_EQ(service_names().size(), 5u);
  EXPECT_EQ(target_groups().size(), 5u);
  EXPECT_EQ(access_point_paths().size(), 5u);
  const auto all_secrets = secrets();
  for (const auto& tenant : sit_ids()) {
    EXPECT_TRUE(all_secrets.count("sit-" + tenant + "-db-credentials")) << tenant;
  }
}

TEST_F(AwsBackend, ANewTenantTakesTheNextPriorityAndEveryResource) {
  write_fleet({"goldencrust", "tenant1", "tenant2", "sunsetbistro", "sterlinglaw", "ironpeak"});
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(rules()[190], "ironpeak.wpsit.kimmyai.io");
  EXPECT_EQ(rules()[140], "goldencrust.wpsit.kimmyai.io");
  EXPECT_TRUE(service_names().count("sit-ironpeak-service"));
  EXPECT_TRUE(target_groups().count("sit-ironpeak-tg"));
  EXPECT_TRUE(access_point_paths().count("/ironpeak"));
  EXPECT_TRUE(role_policies().count("sit-ecs-secrets-access-ironpeak"));
  EXPECT_FALSE(secrets().at("sit-ironpeak-db-credentials"));
  // Its database and its site were made by one-off tasks, told no secret in overrides
  // (the proxy records any environment override as a violation).
  EXPECT_GE(proxy_->run_task_requests().size(), 2u);
  EXPECT_TRUE(plan_changes().empty());
}

// tenant show's password hint works on aws: the value comes from the tenant's secret.
TEST_F(AwsBackend, SecretGetReadsTheTenantsSecretsFromSecretsManager) {
  write_fleet({"goldencrust", "ironpeak"});
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  CliResult shown = wpfleet({"tenant", "show", "ironpeak", "-e", "sit"});
  EXPECT_NE(shown.out.find("wpfleet secret get ironpeak -e sit admin-password"), std::string::npos)
      << shown.out;
  aws::Client c = client();
  auto stored = c.json(aws::kSecretsManager, "GetSecretValue",
                       {{"SecretId", "sit-ironpeak-db-credentials"}});
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  const json fields = json::parse((*stored)["SecretString"].get<std::string>());
  CliResult admin = wpfleet({"secret", "get", "ironpeak", "-e", "sit", "admin-password"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_EQ(admin.out, fields["admin_password"].get<std::string>() + "\n");
  CliResult db = wpfleet({"secret", "get", "ironpeak", "-e", "sit", "db-password"});
  EXPECT_EQ(db.out, fields["password"].get<std::string>() + "\n");
  CliResult unknown = wpfleet({"secret", "get", "ironpeak", "-e", "sit", "wp-salts"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("admin-password and db-password"), std::string::npos) << unknown.err;
}

TEST_F(AwsBackend, DeleteRemovesExactlyOneTenant) {
  write_fleet({"goldencrust", "tenant1", "tenant2", "sunsetbistro", "sterlinglaw", "ironpeak"});
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  CliResult deleted = wpfleet({"tenant", "delete", "ironpeak", "-e", "sit", "--yes"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out << deleted.err;

  EXPECT_EQ(rules().size(), 5u);
  EXPECT_FALSE(rules().count(190));
  EXPECT_EQ(service_names().size(), 5u);
  EXPECT_FALSE(target_groups().count("sit-ironpeak-tg"));
  EXPECT_FALSE(access_point_paths().count("/ironpeak"));
  EXPECT_FALSE(role_policies().count("sit-ecs-secrets-access-ironpeak"));
  // Scheduled for deletion with AWS's recovery window, not deleted outright.
  const auto all_secrets = secrets();
  ASSERT_TRUE(all_secrets.count("sit-ironpeak-db-credentials"));
  EXPECT_TRUE(all_secrets.at("sit-ironpeak-db-credentials"));
  EXPECT_FALSE(all_secrets.at("sit-goldencrust-db-credentials"));
  EXPECT_EQ(access_point_paths().size(), 5u);
}

TEST_F(AwsBackend, DiscoverListsTheTenantsTheFleetFileLacks) {
  write_fleet({"goldencrust"});
  CliResult found = wpfleet({"discover", "-e", "sit", "--output", "json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  const json out = json::parse(found.out);
  std::map<std::string, int> priorities;
  for (const auto& tenant : out["tenants"]) priorities[tenant["id"]] = tenant["priority"];
  EXPECT_EQ(priorities, sit_tenants());
  const std::string entries = out["toml"];
  EXPECT_EQ(entries.find("id = \"goldencrust\""), std::string::npos);
  EXPECT_NE(entries.find("id = \"sterlinglaw\""), std::string::npos);

  // Pasting the entries in makes the plan adopt them and create nothing.
  std::ofstream(fleet(), std::ios::app) << "\n" << entries;
  const auto counts = count_actions(plan_changes());
  EXPECT_EQ(counts.count("create"), 0u);
  EXPECT_EQ(counts.at("adopt"), 35);
}

TEST_F(AwsBackend, CredentialsOfAnotherAccountAreRefusedBeforeAnything) {
  write_fleet({"goldencrust", "ironpeak"}, "", "815856636111");
  const int before = proxy_->requests();
  CliResult applied = wpfleet({"apply"});
  EXPECT_NE(applied.exit_code, 0);
  EXPECT_NE(applied.err.find("belong to account 123456789012"), std::string::npos) << applied.err;
  EXPECT_NE(applied.err.find("account_id = \"815856636111\""), std::string::npos);
  EXPECT_LE(proxy_->requests() - before, 3);  // the identity check, nothing more
  EXPECT_FALSE(service_names().count("sit-ironpeak-service"));
}

TEST_F(AwsBackend, MissingPlatformPiecesAreNamedWithTheSettingToFix) {
  write_fleet({"ironpeak"}, "cluster = \"sit-wordpress\"\n");
  CliResult planned = wpfleet({"plan"});
  EXPECT_NE(planned.exit_code, 0);
  EXPECT_NE(planned.err.find("the ECS cluster 'sit-wordpress' does not exist"), std::string::npos)
      << planned.err;
  EXPECT_NE(planned.err.find("cluster = \"...\" in [environments.sit.aws]"), std::string::npos);

  write_fleet({"ironpeak"}, "alb = \"sit-balancer\"\n");
  planned = wpfleet({"plan"});
  EXPECT_NE(planned.err.find("the load balancer 'sit-balancer' does not exist"), std::string::npos)
      << planned.err;

  write_fleet({"ironpeak"}, "execution_role = \"sit-task-role\"\n");
  planned = wpfleet({"plan"});
  EXPECT_NE(planned.err.find("the ECS task execution role 'sit-task-role' does not exist"),
            std::string::npos)
      << planned.err;
}

TEST_F(AwsBackend, AnUnknownSubnetIsNamed) {
  std::vector<std::string> subnets = sit_.subnets;
  sit_.subnets = {"subnet-0123456789abcdef0"};
  write_fleet({"ironpeak"});
  sit_.subnets = subnets;
  CliResult planned = wpfleet({"plan"});
  EXPECT_NE(planned.exit_code, 0);
  EXPECT_NE(planned.err.find("subnet-0123456789abcdef0"), std::string::npos) << planned.err;
  EXPECT_NE(planned.err.find("correct subnets in [environments.sit.aws]"), std::string::npos);
}

TEST_F(AwsBackend, BadCredentialsSayWhereTheyCameFrom) {
  variables_->set("AWS_SECRET_ACCESS_KEY", "not-the-secret");
  write_fleet({"ironpeak"});
  CliResult planned = wpfleet({"plan"});
  EXPECT_NE(planned.exit_code, 0);
  EXPECT_NE(planned.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << planned.err;
  EXPECT_EQ(planned.err.find("not-the-secret"), std::string::npos);
}

TEST_F(AwsBackend, ThrottlingIsRetried) {
  write_fleet(sit_ids());
  const int before = proxy_->requests();
  proxy_->throttle(4);
  const auto counts = count_actions(plan_changes());
  EXPECT_EQ(counts.at("adopt"), 35);
  // The four throttled answers were asked again: a plan of SIT takes 18 calls.
  EXPECT_GE(proxy_->requests() - before, 18 + 4);
}

TEST_F(AwsBackend, AFailingDatabaseTaskNamesItsLogAndTheNextApplyFinishes) {
  write_fleet({"goldencrust", "ironpeak"});
  proxy_->set_task_exit_code(1);
  proxy_->set_task_log_lines({"ERROR 1045 (28000): Access denied for user 'admin'@'10.2.1.7'"});
  CliResult failed = wpfleet({"apply"});
  EXPECT_NE(failed.exit_code, 0);
  const std::string said = failed.out + failed.err;
  EXPECT_NE(said.find("exited with code 1"), std::string::npos) << said;
  EXPECT_NE(said.find("db-init/mysql-client/"), std::string::npos) << said;
  EXPECT_NE(said.find("Access denied for user"), std::string::npos) << said;
  EXPECT_NE(said.find("then run `wpfleet apply"), std::string::npos) << said;

  CliResult verified = wpfleet({"verify", "ironpeak", "-e", "sit"});
  EXPECT_NE(verified.exit_code, 0);

  proxy_->set_task_exit_code(0);
  CliResult finished = wpfleet({"apply"});
  EXPECT_EQ(finished.exit_code, 0) << finished.out << finished.err;
  EXPECT_TRUE(plan_changes().empty());
}

TEST_F(AwsBackend, PlanCostsABoundedNumberOfCalls) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const int before = proxy_->requests();
  EXPECT_TRUE(plan_changes().empty());
  // 30, and one read of the environment's edge, whatever the number of tenants: 10 calls
  // here (secret, distribution list and configuration, noindex policy, certificate, zone,
  // A and AAAA records, listener), which the route's existing() makes to find an edge
  // changed by hand (edge.h).
  EXPECT_LE(proxy_->requests() - before, 30 + 10);
}

// What the tenant's containers wrote, as the awslogs driver would: in the environment's
// log group, stream "<tenant>/wordpress/<task id>".
void write_container_log(aws::Client& client, const std::string& tenant,
                         const std::vector<std::string>& lines,
                         const std::string& task_id = "0123456789abcdef") {
  const std::string stream = tenant + "/wordpress/" + task_id;
  ASSERT_TRUE(client.json(aws::kLogs, "CreateLogStream",
                          {{"logGroupName", "/ecs/sit"}, {"logStreamName", stream}}));
  json events = json::array();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    events.push_back({{"timestamp", now + static_cast<long>(i)}, {"message", lines[i]}});
  }
  auto put = client.json(aws::kLogs, "PutLogEvents",
                         {{"logGroupName", "/ecs/sit"}, {"logStreamName", stream}, {"logEvents", events}});
  ASSERT_TRUE(put.ok()) << put.error().message;
}

json checks_by_name(const json& report) {
  json out = json::object();
  for (const auto& check : report["tenants"][0]["checks"]) out[check["name"].get<std::string>()] = check;
  return out;
}

TEST_F(AwsBackend, VerifyNamesEachCheckAndShowsTheContainersErrors) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  aws::Client c = client();
  write_container_log(c, "goldencrust",
                      {"10.2.1.9 - - \"GET / HTTP/1.1\" 200 5120",
                       "PHP Fatal error:  Uncaught Error: Call to undefined function gc_menu()"});

  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 1) << verified.err;
  const json report = json::parse(verified.out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << verified.out << verified.err;
  const json checks = checks_by_name(report);
  for (const char* passing : {"runtime", "database", "storage", "secrets", "site"}) {
    EXPECT_TRUE(checks[passing]["ok"].get<bool>()) << passing << ": " << checks[passing].dump();
  }
  // moto registers no task in any target group: the check says so, not "healthy".
  EXPECT_FALSE(checks["target"]["ok"].get<bool>());
  EXPECT_NE(checks["target"]["detail"].get<std::string>().find("no registered"), std::string::npos)
      << checks["target"].dump();
  // The public name goes through DNS and CloudFront, which this machine cannot reach.
  EXPECT_FALSE(checks["edge"]["ok"].get<bool>());
  EXPECT_NE(checks["edge"]["detail"].get<std::string>().find("https://goldencrust.wpsit.kimmyai.io/"),
            std::string::npos);
  EXPECT_NE(checks["edge"]["fix"].get<std::string>().find("CloudFront"), std::string::npos);
  const std::string errors = report["tenants"][0]["recent_errors"].dump();
  EXPECT_NE(errors.find("Call to undefined function gc_menu()"), std::string::npos) << errors;

  CliResult logs = wpfleet({"logs", "goldencrust", "-e", "sit", "--output", "json"});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("GET / HTTP/1.1"), std::string::npos) << logs.out;
}

TEST_F(AwsBackend, LogsFollowPrintsWhatTheContainersWriteNext) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string(), "logs", "sunsetbistro", "-e", "sit", "--follow"};
  const auto log = dir_.path() / "follow.log";
  auto follow = spawn_child(spec, log.string());
  ASSERT_TRUE(follow.ok());
  auto output = [&] {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  // Its first lines say the log is empty so far: it is following from now on.
  ASSERT_TRUE(eventually(20, [&] { return output().find("[container]") != std::string::npos; }))
      << output();
  aws::Client c = client();
  write_container_log(c, "sunsetbistro", {"PHP Warning:  a new task's first line"}, "feedface");
  EXPECT_TRUE(eventually(20, [&] {
    return output().find("a new task's first line") != std::string::npos;
  })) << output();
  ::kill(*follow, SIGTERM);
  int status = 0;
  ::waitpid(*follow, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// A service deleted behind wpfleet's back (by hand, or by someone's Terraform): verify
// names it, and apply makes it again, with everything after it.
TEST_F(AwsBackend, AServiceDeletedByHandIsNamedAndMadeAgain) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  aws::Client c = client();
  ASSERT_TRUE(c.json(aws::kEcs, "DeleteService",
                     {{"cluster", "sit-cluster"}, {"service", "sit-tenant1-service"}, {"force", true}}));
  CliResult verified = wpfleet({"verify", "tenant1", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 1);
  const json checks = checks_by_name(json::parse(verified.out, nullptr, false));
  EXPECT_FALSE(checks["runtime"]["ok"].get<bool>());
  EXPECT_NE(checks["runtime"]["detail"].get<std::string>().find("sit-tenant1-service"),
            std::string::npos)
      << checks["runtime"].dump();
  EXPECT_NE(checks["runtime"]["fix"].get<std::string>().find("wpfleet apply"), std::string::npos);

  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(service_names().count("sit-tenant1-service"));
  EXPECT_EQ(rules()[150], "tenant1.wpsit.kimmyai.io");
  EXPECT_TRUE(plan_changes().empty());
}

// The transfer bucket comes with the first tenant's storage; a user's bucket of that name
// is adopted with its own lifecycle rule and tag kept beside wpfleet's.
TEST_F(AwsBackend, ApplyMakesTheTransferBucketVersionedWithALifecycleKeepingTheUsersRules) {
  aws::Client c = client();
  aws::S3 s3(c);
  ASSERT_TRUE(s3.create_bucket("sit-wpfleet-transfer").ok());
  ASSERT_TRUE(s3.set_lifecycle("sit-wpfleet-transfer", {"their-logs", "logs/", 7}).ok());
  ASSERT_TRUE(s3.set_bucket_tags("sit-wpfleet-transfer", {{"owner", "ops"}}).ok());
  write_fleet(sit_ids());
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

  auto versioned = s3.versioning_enabled("sit-wpfleet-transfer");
  ASSERT_TRUE(versioned.ok()) << versioned.error().message;
  EXPECT_TRUE(*versioned);
  auto ours = s3.lifecycle("sit-wpfleet-transfer", "wpfleet-transfers");
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  EXPECT_EQ(*ours, std::optional<aws::BucketLifecycle>(aws::BucketLifecycle{"wpfleet-transfers", "wpfleet/", 30}));
  auto theirs = s3.lifecycle("sit-wpfleet-transfer", "their-logs");
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->has_value());
  auto tags = s3.bucket_tags("sit-wpfleet-transfer");
  ASSERT_TRUE(tags.ok()) << tags.error().message;
  EXPECT_EQ(*tags, (aws::BucketTags{{"owner", "ops"}, {"wpfleet:env", "sit"}, {"managed-by", "wpfleet"}}));
  EXPECT_TRUE(plan_changes().empty());
}

// Versioning suspended by hand: verify names the bucket and what changed, plan shows the
// tenants' storage to restore, and apply puts the bucket right.
TEST_F(AwsBackend, ATransferBucketChangedByHandIsNamedAndPutRight) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  aws::Client c = client();
  ASSERT_TRUE(c.rest_xml(aws::kS3, "PutBucketVersioning", "PUT", aws::s3_path("sit-wpfleet-transfer"),
                         {{"versioning", ""}}, {},
                         "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                         "<Status>Suspended</Status></VersioningConfiguration>"));
  CliResult verified = wpfleet({"verify", "tenant1", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 1);
  const json checks = checks_by_name(json::parse(verified.out, nullptr, false));
  EXPECT_FALSE(checks["storage"]["ok"].get<bool>()) << checks.dump();
  const std::string detail = checks["storage"]["detail"].get<std::string>();
  EXPECT_NE(detail.find("sit-wpfleet-transfer"), std::string::npos) << detail;
  EXPECT_NE(detail.find("versioning is off"), std::string::npos) << detail;

  const auto counts = count_actions(plan_changes());
  EXPECT_EQ(counts.at("create"), 5);  // each tenant's storage, restored
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  aws::S3 s3(c);
  auto versioned = s3.versioning_enabled("sit-wpfleet-transfer");
  ASSERT_TRUE(versioned.ok());
  EXPECT_TRUE(*versioned);
  EXPECT_TRUE(plan_changes().empty());
  CliResult again = wpfleet({"verify", "tenant1", "-e", "sit", "--output", "json"});
  EXPECT_TRUE(checks_by_name(json::parse(again.out, nullptr, false))["storage"]["ok"].get<bool>())
      << again.out;
}

TEST_F(AwsBackend, AKilledApplyIsUnfinishedUntilTheNextApplyFinishesIt) {
  write_fleet({"goldencrust", "ironpeak"});
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string(), "apply"};
  const auto log = dir_.path() / "apply.log";
  auto apply = spawn_child(spec, log.string());
  ASSERT_TRUE(apply.ok());
  // Killed while ironpeak's first one-off task (its database) runs.
  ASSERT_TRUE(eventually(60, [&] { return !proxy_->run_task_requests().empty(); }));
  ::kill(*apply, SIGKILL);
  int status = 0;
  ::waitpid(*apply, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  CliResult verified = wpfleet({"verify", "ironpeak", "-e", "sit", "--output", "json"});
  EXPECT_NE(verified.exit_code, 0);
  const json checks = checks_by_name(json::parse(verified.out, nullptr, false));
  ASSERT_TRUE(checks.contains("unfinished")) << verified.out;
  EXPECT_NE(checks["unfinished"]["detail"].get<std::string>().find("database:create"),
            std::string::npos)
      << checks["unfinished"].dump();

  CliResult again = wpfleet({"apply"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("resuming"), std::string::npos) << again.err;
  EXPECT_TRUE(plan_changes().empty());
  EXPECT_EQ(rules()[190], "ironpeak.wpsit.kimmyai.io");
  EXPECT_EQ(service_names().count("sit-ironpeak-service"), 1u);
}


// --- the edge: basic auth at CloudFront and the origin header (issue 8) -------------------

// The fleet file of write_fleet with basic auth (and `allow`) in environment sit.
void add_basic_auth(const std::filesystem::path& fleet) {
  std::ifstream in(fleet);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string domain = "domain = \"{tenant}.wpsit.kimmyai.io\"\n";
  text.replace(text.find(domain), domain.size(),
               domain + "basic_auth = { user = \"bbws-sit\" }\nallow = [\"203.0.113.0/24\", \"2001:db8::/32\"]\n");
  std::ofstream(fleet) << text;
}

class AwsEdge : public AwsBackend {
 protected:
  std::string secret(const std::string& name) const {
    aws::Client c = client();
    auto got = c.json(aws::kSecretsManager, "GetSecretValue", {{"SecretId", name}});
    EXPECT_TRUE(got.ok()) << name << ": " << (got ? "" : got.error().message);
    return got ? (*got)["SecretString"].get<std::string>() : "";
  }
  std::string origin_value() const {
    return json::parse(secret("sit-wpfleet-origin-secret"))["value"].get<std::string>();
  }
  std::string live_code() const {
    aws::Client c = client();
    auto got = c.rest_xml(aws::kCloudFront, "GetFunction", "GET",
                          "/2020-05-31/function/sit-wpfleet-basic-auth", {{"Stage", "LIVE"}});
    EXPECT_TRUE(got.ok()) << (got ? "" : got.error().message);
    return got ? got->body : "";
  }
  aws::RestXmlReply distribution_config() const {
    aws::Client c = client();
    auto got = c.rest_xml(aws::kCloudFront, "GetDistributionConfig", "GET",
                          "/2020-05-31/distribution/" + sit_.distribution_id + "/config");
    EXPECT_TRUE(got.ok()) << (got ? "" : got.error().message);
    return got ? std::move(*got) : aws::RestXmlReply{};
  }
  std::string sent_origin_header() const {
    const auto config = distribution_config();
    for (const auto& h : config.xml.select_nodes("//Origin/CustomHeaders/Items/OriginCustomHeader")) {
      if (std::string(h.node().child_value("HeaderName")) == "X-Origin-Verify") {
        return h.node().child_value("HeaderValue");
      }
    }
    return "";
  }
  // priority -> the values of each rule's X-Origin-Verify condition.
  std::map<int, std::vector<std::string>> rule_origin_values() const {
    aws::Client c = client();
    auto answer = c.query(aws::kElbV2, "DescribeRules", {{"ListenerArn", sit_.listener_arn}});
    EXPECT_TRUE(answer.ok());
    std::map<int, std::vector<std::string>> out;
    if (!answer) return out;
    for (const auto& rule : answer->select_nodes("//Rules/member")) {
      const std::string priority = rule.node().child_value("Priority");
      if (priority == "default") continue;
      auto& values = out[std::stoi(priority)];
      for (const auto& condition : rule.node().select_nodes("Conditions/member")) {
        if (std::string(condition.node().child_value("Field")) != "http-header") continue;
        for (const auto& v : condition.node().select_nodes("HttpHeaderConfig/Values/member")) {
          values.push_back(v.node().child_value());
        }
      }
    }
    return out;
  }
  // The id of wpfleet's noindex policy, checking what it adds.
  std::string noindex_policy() const {
    aws::Client c = client();
    auto got = c.rest_xml(aws::kCloudFront, "ListResponseHeadersPolicies", "GET",
                          "/2020-05-31/response-headers-policy", {{"Type", "custom"}});
    EXPECT_TRUE(got.ok()) << (got ? "" : got.error().message);
    if (!got) return "";
    for (const auto& p : got->xml.select_nodes("//ResponseHeadersPolicy")) {
      const pugi::xml_node config = p.node().child("ResponseHeadersPolicyConfig");
      if (std::string(config.child_value("Name")) != "sit-wpfleet-noindex") continue;
      const pugi::xml_node header =
          config.select_node("CustomHeadersConfig/Items/ResponseHeadersPolicyCustomHeader").node();
      EXPECT_EQ(std::string(header.child_value("Header")), "X-Robots-Tag");
      EXPECT_EQ(std::string(header.child_value("Value")), "noindex, nofollow");
      return p.node().child_value("Id");
    }
    ADD_FAILURE() << "no policy sit-wpfleet-noindex";
    return "";
  }
  // verify's edge check of goldencrust.
  json edge_check() const {
    CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
    return checks_by_name(json::parse(verified.out, nullptr, false))["edge"];
  }
  // The edge's API half passes: what fails is the public name, which needs DNS and
  // CloudFront this machine cannot reach.
  void expect_only_the_public_url_fails() const {
    const json edge = edge_check();
    EXPECT_NE(edge["detail"].get<std::string>().find("no answer from https://"), std::string::npos)
        << edge.dump();
  }
  std::string default_headers_policy() const {
    return distribution_config().xml.select_node("//DefaultCacheBehavior/ResponseHeadersPolicyId")
        .node()
        .child_value();
  }
  // The alias target of the zone's record *.wpsit.kimmyai.io of `type`; "" when none.
  std::string alias_target(const std::string& type) const {
    aws::Client c = client();
    auto got = c.rest_xml(aws::kRoute53, "ListResourceRecordSets", "GET",
                          "/2013-04-01/hostedzone/" + sit_.hosted_zone_id + "/rrset",
                          {{"name", "*.wpsit.kimmyai.io"}, {"type", type}, {"maxitems", "1"}});
    EXPECT_TRUE(got.ok()) << (got ? "" : got.error().message);
    if (!got) return "";
    const auto set = got->xml.select_node("//ResourceRecordSet").node();
    if (std::string(set.child_value("Type")) != type) return "";
    return set.child("AliasTarget").child_value("DNSName");
  }
  // Someone points the zone's *.wpsit.kimmyai.io record of `type` at another distribution.
  void point_wildcard_elsewhere(const std::string& type) const {
    aws::Client c = client();
    ASSERT_TRUE(c.rest_xml(aws::kRoute53, "ChangeResourceRecordSets", "POST",
                           "/2013-04-01/hostedzone/" + sit_.hosted_zone_id + "/rrset/", {}, {},
                           "<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">"
                           "<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet>"
                           "<Name>*.wpsit.kimmyai.io</Name><Type>" + type + "</Type><AliasTarget><HostedZoneId>"
                           "Z2FDTNDATAQYW2</HostedZoneId><DNSName>dold.cloudfront.net</DNSName><EvaluateTargetHealth>"
                           "false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change></Changes>"
                           "</ChangeBatch></ChangeResourceRecordSetsRequest>"));
  }
  std::string distribution_domain() const {
    aws::Client c = client();
    auto got = c.rest_xml(aws::kCloudFront, "GetDistribution", "GET",
                          "/2020-05-31/distribution/" + sit_.distribution_id);
    EXPECT_TRUE(got.ok());
    return got ? got->xml.select_node("//Distribution/DomainName").node().child_value() : "";
  }
  void put_distribution_config(const aws::RestXmlReply& config) const {
    std::ostringstream body;
    config.xml.save(body, "", pugi::format_raw | pugi::format_no_declaration);
    aws::Client c = client();
    auto updated = c.rest_xml(aws::kCloudFront, "UpdateDistribution", "PUT",
                              "/2020-05-31/distribution/" + sit_.distribution_id + "/config", {},
                              {{"Content-Type", "application/xml"}, {"If-Match", config.headers.at("etag")}},
                              body.str());
    ASSERT_TRUE(updated.ok()) << updated.error().message;
  }
  std::string listener_default_status() const {
    aws::Client c = client();
    auto answer = c.query(aws::kElbV2, "DescribeListeners", {{"ListenerArns.member.1", sit_.listener_arn}});
    EXPECT_TRUE(answer.ok());
    return answer ? answer->select_node("//DefaultActions/member/FixedResponseConfig/StatusCode")
                        .node()
                        .child_value()
                  : "";
  }
};

TEST_F(AwsEdge, ApplyPublishesBasicAuthAndLocksTheOriginAgainstAFakeCloudFrontFunctionsApi) {
  write_fleet(sit_ids());
  add_basic_auth(fleet());
  const int rules_made = proxy_->requests_by_action()["CreateRule"];  // the user's
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

  // The password is in Secrets Manager, and the published function holds its hash only.
  const std::string password = secret("sit-basic-auth-password");
  EXPECT_EQ(password.size(), 32u);
  const std::string code = live_code();
  EXPECT_NE(code.find(sha256_hex("bbws-sit:" + password)), std::string::npos) << code;
  EXPECT_EQ(code.find(password), std::string::npos);
  EXPECT_NE(code.find("[[203,0,113,0],24]"), std::string::npos);
  // Associated with the distribution's viewer requests; CloudFront sends the origin header.
  const auto config = distribution_config();
  EXPECT_EQ(std::string(config.xml.select_node("//DefaultCacheBehavior/FunctionAssociations/Items/"
                                               "FunctionAssociation/FunctionARN")
                            .node()
                            .child_value()),
            "arn:aws:cloudfront::123456789012:function/sit-wpfleet-basic-auth");
  // Outside production, every response carries X-Robots-Tag (a response headers policy).
  EXPECT_EQ(std::string(config.xml.select_node("//DefaultCacheBehavior/ResponseHeadersPolicyId")
                            .node()
                            .child_value()),
            noindex_policy());
  const std::string origin = origin_value();
  EXPECT_EQ(origin.size(), 48u);
  EXPECT_EQ(sent_origin_header(), origin);
  // Every user's rule requires it, at its own priority (changed in place, not re-created);
  // what no rule takes is refused.
  std::map<int, std::vector<std::string>> expected;
  for (const auto& [tenant, priority] : sit_tenants()) expected[priority] = {origin};
  EXPECT_EQ(rule_origin_values(), expected);
  EXPECT_EQ(rules()[140], "goldencrust.wpsit.kimmyai.io");
  EXPECT_EQ(listener_default_status(), "403");
  EXPECT_EQ(proxy_->requests_by_action()["CreateRule"], rules_made);

  // verify's API half passes (the public name needs DNS this machine lacks).
  expect_only_the_public_url_fails();

  // Nothing changes on a second apply, and a new tenant's rule requires the header too.
  write_fleet({"goldencrust", "tenant1", "tenant2", "sunsetbistro", "sterlinglaw", "ironpeak"});
  add_basic_auth(fleet());
  const auto before = proxy_->requests_by_action();
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const auto after = proxy_->requests_by_action();
  for (const char* change : {"PUT /2020-05-31/distribution/" , "POST /2020-05-31/function"}) {
    int changes = 0;
    for (const auto& [action, n] : after) {
      if (action.rfind(change, 0) == 0) changes += n - (before.count(action) ? before.at(action) : 0);
    }
    EXPECT_EQ(changes, 0) << change;
  }
  EXPECT_EQ(rule_origin_values()[190], std::vector<std::string>{origin});
}

TEST_F(AwsEdge, SecretRotateRepublishesTheFunctionAndMovesTheOriginHeaderWithoutAGap) {
  write_fleet(sit_ids());
  add_basic_auth(fleet());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const std::string old_password = secret("sit-basic-auth-password");
  CliResult rotated = wpfleet({"secret", "rotate", "-e", "sit", "basic-auth-password"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string password = secret("sit-basic-auth-password");
  EXPECT_NE(password, old_password);
  EXPECT_NE(live_code().find(sha256_hex("bbws-sit:" + password)), std::string::npos);
  CliResult shown = wpfleet({"secret", "get", "-e", "sit", "basic-auth-password"});
  EXPECT_EQ(shown.out, password + "\n") << shown.err;

  const std::string old_origin = origin_value();
  rotated = wpfleet({"secret", "rotate", "-e", "sit", "origin-secret"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string origin = origin_value();
  EXPECT_NE(origin, old_origin);
  EXPECT_FALSE(json::parse(secret("sit-wpfleet-origin-secret")).contains("previous"));
  EXPECT_EQ(sent_origin_header(), origin);
  for (const auto& [priority, values] : rule_origin_values()) {
    EXPECT_EQ(values, std::vector<std::string>{origin}) << priority;
  }
  // The rules accepted both values while CloudFront moved to the new one: two ModifyRule
  // per rule.
  EXPECT_GE(proxy_->requests_by_action()["ModifyRule"], 5 + 2 * 5);
  CliResult unknown = wpfleet({"secret", "rotate", "-e", "sit", "db-password"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("basic-auth-password and origin-secret"), std::string::npos) << unknown.err;
}

TEST_F(AwsEdge, VerifyNamesADistributionThatSendsAnotherOriginHeader) {
  write_fleet(sit_ids());
  add_basic_auth(fleet());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  // Someone changes the header in the console.
  auto config = distribution_config();
  config.xml.select_node("//OriginCustomHeader/HeaderValue").node().text() = "typed-by-hand";
  std::ostringstream body;
  config.xml.save(body, "", pugi::format_raw | pugi::format_no_declaration);
  aws::Client c = client();
  auto stale = c.rest_xml(aws::kCloudFront, "UpdateDistribution", "PUT",
                          "/2020-05-31/distribution/" + sit_.distribution_id + "/config", {},
                          {{"Content-Type", "application/xml"}, {"If-Match", "E0stale"}}, body.str());
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "PreconditionFailed");
  auto updated = c.rest_xml(aws::kCloudFront, "UpdateDistribution", "PUT",
                            "/2020-05-31/distribution/" + sit_.distribution_id + "/config", {},
                            {{"Content-Type", "application/xml"}, {"If-Match", config.headers.at("etag")}},
                            body.str());
  ASSERT_TRUE(updated.ok()) << updated.error().message;

  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 1);
  const json checks = checks_by_name(json::parse(verified.out, nullptr, false));
  EXPECT_NE(checks["edge"]["detail"].get<std::string>().find("does not send X-Origin-Verify"),
            std::string::npos)
      << checks["edge"].dump();
  EXPECT_NE(checks["edge"]["fix"].get<std::string>().find("wpfleet apply"), std::string::npos);
  // A rotation puts it back too.
  ASSERT_EQ(wpfleet({"secret", "rotate", "-e", "sit", "origin-secret"}).exit_code, 0);
  EXPECT_EQ(sent_origin_header(), origin_value());
  expect_only_the_public_url_fails();
}

// The environment's half of the edge check (its secret, distribution, certificate, zone
// and listener) is asked once per verify, whatever the number of tenants (Route 53 allows
// five calls a second); each tenant's rule is checked on its own.
TEST_F(AwsEdge, VerifyChecksTheEnvironmentsEdgeOnceForAllItsTenants) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const auto before = proxy_->requests_by_action();
  CliResult verified = wpfleet({"verify", "-e", "sit", "--output", "json"});
  const json report = json::parse(verified.out, nullptr, false);
  ASSERT_EQ(report["tenants"].size(), sit_ids().size()) << verified.out << verified.err;
  for (const auto& tenant : report["tenants"]) {
    for (const auto& check : tenant["checks"]) {
      if (check["name"] == "edge") {
        EXPECT_NE(check["detail"].get<std::string>().find("no answer from https://"), std::string::npos)
            << check.dump();
      }
    }
  }
  auto after = proxy_->requests_by_action();
  const auto calls = [&](const std::string& action) { return after[action] - before.at(action); };
  EXPECT_EQ(calls("GET /2020-05-31/distribution"), 1);  // ListDistributions
  EXPECT_EQ(calls("GET /2020-05-31/distribution/" + sit_.distribution_id), 0);
  EXPECT_EQ(calls("GET /2013-04-01/hostedzonesbyname"), 1);
  EXPECT_LE(calls("DescribeCertificate"), 1);
  EXPECT_EQ(calls("GET /2013-04-01/hostedzone/" + sit_.hosted_zone_id + "/rrset"), 2);  // A, AAAA
  // The platform too is looked up once, the tenants' threads waiting for the first.
  EXPECT_EQ(calls("DescribeClusters"), 1);
  EXPECT_EQ(calls("DescribeDBInstances"), 1);
}

// The wildcard name goes to the distribution in the environment's hosted zone; a record
// changed by hand is named, and the fix verify names puts it back.
TEST_F(AwsEdge, ApplyPointsTheWildcardAtTheDistributionAndVerifyNamesARecordChangedByHand) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const std::string domain = distribution_domain();
  ASSERT_FALSE(domain.empty());
  EXPECT_EQ(alias_target("A"), domain);
  EXPECT_EQ(alias_target("AAAA"), domain);
  expect_only_the_public_url_fails();

  point_wildcard_elsewhere("A");
  const json edge = edge_check();
  EXPECT_NE(edge["detail"].get<std::string>().find("the A record *.wpsit.kimmyai.io in the zone "
                                                   "wpsit.kimmyai.io points to dold.cloudfront.net"),
            std::string::npos)
      << edge.dump();
  ASSERT_EQ(wpfleet({"secret", "rotate", "-e", "sit", "origin-secret"}).exit_code, 0);
  EXPECT_EQ(alias_target("A"), domain);
  expect_only_the_public_url_fails();
}

// A distribution without a certificate for the wildcard gets one: requested in us-east-1
// with DNS validation, its validation record written in the zone, issued, and put on the
// distribution.
TEST_F(AwsEdge, ADistributionWithoutACertificateGetsAWildcardOneValidatedThroughTheZone) {
  auto config = distribution_config();
  const std::string users = config.xml.select_node("//ViewerCertificate/ACMCertificateArn").node().child_value();
  pugi::xml_node viewer = config.xml.select_node("//ViewerCertificate").node();
  while (viewer.first_child()) viewer.remove_child(viewer.first_child());
  viewer.append_child("CloudFrontDefaultCertificate").text() = "true";
  put_distribution_config(config);
  aws::Client c = client();
  ASSERT_TRUE(c.json(aws::kAcmUsEast1, "DeleteCertificate", {{"CertificateArn", users}}));

  write_fleet(sit_ids());
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.err.find("requested the certificate"), std::string::npos) << applied.err;
  const std::string arn =
      distribution_config().xml.select_node("//ViewerCertificate/ACMCertificateArn").node().child_value();
  ASSERT_FALSE(arn.empty());
  auto described = c.json(aws::kAcmUsEast1, "DescribeCertificate", {{"CertificateArn", arn}});
  ASSERT_TRUE(described.ok()) << described.error().message;
  const json& certificate = (*described)["Certificate"];
  EXPECT_EQ(certificate["DomainName"], "*.wpsit.kimmyai.io");
  EXPECT_EQ(certificate["Status"], "ISSUED");
  // The record ACM asked for is in the zone, as ACM would need to see it.
  const json record = certificate["DomainValidationOptions"][0]["ResourceRecord"];
  auto listed = c.rest_xml(aws::kRoute53, "ListResourceRecordSets", "GET",
                           "/2013-04-01/hostedzone/" + sit_.hosted_zone_id + "/rrset",
                           {{"name", record["Name"].get<std::string>()}, {"type", "CNAME"}, {"maxitems", "1"}});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  EXPECT_EQ(std::string(listed->xml.select_node("//ResourceRecord/Value").node().child_value()),
            record["Value"].get<std::string>());
  expect_only_the_public_url_fails();
}

// WordPress's static files are cached at the edge by a policy keyed on the Host (one
// distribution serves every tenant) and the query string (?ver=), behind the same basic
// auth and noindex as the rest; pages stay on the user's default behaviour. A behaviour
// removed by hand is named by verify.
TEST_F(AwsEdge, StaticFilesAreCachedPerHostBehindBasicAuthAndPagesAreNot) {
  write_fleet(sit_ids());
  add_basic_auth(fleet());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const auto config = distribution_config();
  std::map<std::string, pugi::xml_node> by_path;
  for (const auto& b : config.xml.select_nodes("//CacheBehaviors/Items/CacheBehavior")) {
    by_path[b.node().child_value("PathPattern")] = b.node();
  }
  std::set<std::string> policies;
  for (const char* path : {"/wp-content/uploads/*", "/wp-includes/*", "/wp-content/themes/*.css",
                           "/wp-content/themes/*.js", "/wp-content/plugins/*.css", "/wp-content/plugins/*.js"}) {
    ASSERT_TRUE(by_path.count(path)) << path;
    const pugi::xml_node b = by_path[path];
    policies.insert(b.child_value("CachePolicyId"));
    EXPECT_EQ(std::string(b.select_node("FunctionAssociations/Items/FunctionAssociation/FunctionARN")
                              .node()
                              .child_value()),
              "arn:aws:cloudfront::123456789012:function/sit-wpfleet-basic-auth")
        << path;
    EXPECT_EQ(std::string(b.child_value("ResponseHeadersPolicyId")), noindex_policy()) << path;
    EXPECT_EQ(b.select_nodes("AllowedMethods/Items/Method").size(), 2u) << path;
  }
  ASSERT_EQ(policies.size(), 1u);
  EXPECT_TRUE(config.xml.select_node("//DefaultCacheBehavior/CachePolicyId").node().empty() ||
              std::string(config.xml.select_node("//DefaultCacheBehavior/CachePolicyId").node().child_value()).empty());
  aws::Client c = client();
  auto listed = c.rest_xml(aws::kCloudFront, "ListCachePolicies", "GET", "/2020-05-31/cache-policy",
                           {{"Type", "custom"}});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  const auto policy = listed->xml.select_node("//CachePolicySummary/CachePolicy").node();
  EXPECT_EQ(std::string(policy.child_value("Id")), *policies.begin());
  const auto key = policy.select_node("CachePolicyConfig/ParametersInCacheKeyAndForwardedToOrigin").node();
  EXPECT_EQ(std::string(key.select_node("HeadersConfig/Headers/Items/Name").node().child_value()), "Host");
  EXPECT_EQ(std::string(key.select_node("QueryStringsConfig/QueryStringBehavior").node().child_value()), "all");
  EXPECT_EQ(std::string(key.select_node("CookiesConfig/CookieBehavior").node().child_value()), "none");

  // A second apply finds them and changes nothing.
  const int updates = proxy_->requests_by_action()["PUT /2020-05-31/distribution/" + sit_.distribution_id + "/config"];
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  EXPECT_EQ(proxy_->requests_by_action()["PUT /2020-05-31/distribution/" + sit_.distribution_id + "/config"], updates);

  // Someone deletes one in the console.
  auto edited = distribution_config();
  pugi::xml_node uploads = edited.xml.select_node("//CacheBehavior[PathPattern='/wp-content/uploads/*']").node();
  pugi::xml_node list = uploads.parent().parent();
  uploads.parent().remove_child(uploads);
  list.child("Quantity").text() = static_cast<int>(list.select_nodes("Items/CacheBehavior").size());
  put_distribution_config(edited);
  const json edge = edge_check();
  EXPECT_NE(edge["detail"].get<std::string>().find("no cache behaviour for /wp-content/uploads/*"),
            std::string::npos)
      << edge.dump();
  ASSERT_EQ(wpfleet({"secret", "rotate", "-e", "sit", "origin-secret"}).exit_code, 0);
  expect_only_the_public_url_fails();
}

// kill -9 during `secret rotate -e sit origin-secret`, after the new value was written:
// verify names the unfinished rotation, and the next rotation finishes it first (the rules
// accept the new value before CloudFront sends it), then rotates.
TEST_F(AwsEdge, AnInterruptedOriginRotationIsNamedAndFinishedByTheNext) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const std::string old_origin = origin_value();
  const std::string interrupted = "Interrupted0Rotation0Value0Of0Fortyeight0Chars00";
  aws::Client c = client();
  ASSERT_TRUE(c.json(aws::kSecretsManager, "PutSecretValue",
                     {{"SecretId", "sit-wpfleet-origin-secret"},
                      {"SecretString", json{{"header", "X-Origin-Verify"},
                                            {"value", interrupted},
                                            {"previous", old_origin}}
                                           .dump()}}));
  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
  EXPECT_EQ(verified.exit_code, 1);
  const json checks = checks_by_name(json::parse(verified.out, nullptr, false));
  EXPECT_NE(checks["edge"]["detail"].get<std::string>().find("a rotation of origin-secret did not finish"),
            std::string::npos)
      << checks["edge"].dump();
  EXPECT_NE(checks["edge"]["fix"].get<std::string>().find("wpfleet secret rotate -e sit origin-secret"),
            std::string::npos);

  const int modified_before = proxy_->requests_by_action()["ModifyRule"];
  CliResult rotated = wpfleet({"secret", "rotate", "-e", "sit", "origin-secret"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string origin = origin_value();
  EXPECT_NE(origin, interrupted);
  EXPECT_NE(origin, old_origin);
  EXPECT_EQ(sent_origin_header(), origin);
  for (const auto& [priority, values] : rule_origin_values()) {
    EXPECT_EQ(values, std::vector<std::string>{origin}) << priority;
  }
  // Two rotations' worth: both values, the finished one; both values, the new one.
  EXPECT_EQ(proxy_->requests_by_action()["ModifyRule"] - modified_before, 4 * 5);
  expect_only_the_public_url_fails();
}

TEST_F(AwsEdge, ProductionIsIndexedAndEveryOtherEnvironmentIsNot) {
  write_fleet(sit_ids());
  ASSERT_EQ(wpfleet({"apply"}).exit_code, 0);
  const std::string policy = noindex_policy();
  EXPECT_EQ(default_headers_policy(), policy);
  // The same environment made production: the policy comes off (every route updates, the
  // first takes the edge along).
  std::ifstream in(fleet());
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string backend = "backend = \"aws\"\n";
  text.replace(text.find(backend), backend.size(), backend + "production = true\n");
  std::ofstream(fleet()) << text;
  CliResult applied = wpfleet({"apply", "--approve", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(default_headers_policy(), "");
  expect_only_the_public_url_fails();
}

TEST_F(AwsEdge, TheFakeCloudFrontFunctionsApiChecksIfMatchShapeAndSize) {
  aws::Client c = client();
  auto request = [](const char* root, const std::string& name, const std::string& code) {
    return std::string("<") + root + " xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\">" +
           (name.empty() ? "" : "<Name>" + name + "</Name>") +
           "<FunctionConfig><Comment>t</Comment><Runtime>cloudfront-js-2.0</Runtime></FunctionConfig>"
           "<FunctionCode>" + base64(code) + "</FunctionCode></" + root + ">";
  };
  auto made = c.rest_xml(aws::kCloudFront, "CreateFunction", "POST", "/2020-05-31/function", {}, {},
                         request("CreateFunctionRequest", "probe", "function handler(e) { return e.request; }"));
  ASSERT_TRUE(made.ok()) << made.error().message;
  const std::string etag = made->headers.at("etag");
  auto stale = c.rest_xml(aws::kCloudFront, "UpdateFunction", "PUT", "/2020-05-31/function/probe", {},
                          {{"If-Match", "not-" + etag}}, request("UpdateFunctionRequest", "", "x"));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "PreconditionFailed");
  auto big = c.rest_xml(aws::kCloudFront, "UpdateFunction", "PUT", "/2020-05-31/function/probe", {},
                        {{"If-Match", etag}}, request("UpdateFunctionRequest", "", std::string(10241, 'x')));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "FunctionSizeLimitExceeded");
  auto shapeless = c.rest_xml(aws::kCloudFront, "CreateFunction", "POST", "/2020-05-31/function", {}, {},
                              "<CreateFunctionRequest><Name>x</Name></CreateFunctionRequest>");
  ASSERT_FALSE(shapeless);
  EXPECT_EQ(shapeless.error().code, "MalformedXML");
  auto unpublished = c.rest_xml(aws::kCloudFront, "GetFunction", "GET", "/2020-05-31/function/probe",
                                {{"Stage", "LIVE"}});
  ASSERT_FALSE(unpublished);
  EXPECT_EQ(unpublished.error().code, "NoSuchFunctionExists");
}

// --- the edge changed by hand: plan shows it, apply puts it back (issue 8) ----------------

class AwsEdgeDrift : public AwsEdge {
 protected:
  // sit behind basic auth, applied: nothing left to do.
  void SetUp() override {
    AwsEdge::SetUp();
    write_fleet(sit_ids());
    add_basic_auth(fleet());
    CliResult applied = wpfleet({"apply"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    ASSERT_TRUE(plan_changes().empty());
  }

  static std::set<std::string> every_tenant() {
    const auto ids = sit_ids();
    return {ids.begin(), ids.end()};
  }

  // verify names what changed and advises apply; plan names it too (stderr) and lists the
  // route of each of `tenants`; apply puts the edge back, after which plan has nothing to
  // do and verify's API half passes.
  void expect_plan_shows_and_apply_restores(const std::string& drift,
                                            const std::set<std::string>& tenants) const {
    const json edge = edge_check();
    EXPECT_NE(edge["detail"].get<std::string>().find(drift), std::string::npos) << edge.dump();
    EXPECT_NE(edge["fix"].get<std::string>().find("wpfleet apply"), std::string::npos) << edge.dump();
    CliResult planned = wpfleet({"plan", "--output", "json"});
    EXPECT_EQ(planned.exit_code, 2) << planned.out << planned.err;
    EXPECT_NE(planned.err.find(drift), std::string::npos) << planned.err;
    std::set<std::string> routes;
    const json out = json::parse(planned.out, nullptr, false);
    ASSERT_TRUE(out.is_object()) << planned.out;
    for (const auto& change : out["changes"]) {
      if (change["resource"] == "route") routes.insert(change["tenant"].get<std::string>());
    }
    EXPECT_EQ(routes, tenants);
    CliResult applied = wpfleet({"apply"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    EXPECT_TRUE(plan_changes().empty());
    expect_only_the_public_url_fails();
  }

  // Someone deletes the node at `xpath` from the distribution's configuration in the
  // console (a list it was an item of keeps a right Quantity).
  void remove_from_distribution(const std::string& xpath) const {
    auto config = distribution_config();
    pugi::xml_node node = config.xml.select_node(xpath.c_str()).node();
    ASSERT_TRUE(node) << xpath;
    pugi::xml_node parent = node.parent();
    parent.remove_child(node);
    if (std::string(parent.name()) == "Items") {
      parent.parent().child("Quantity").text() = static_cast<int>(std::distance(parent.begin(), parent.end()));
    }
    put_distribution_config(config);
  }

  // Someone publishes other code under wpfleet's function name in the console.
  void publish_by_hand(const std::string& code) const {
    aws::Client c = client();
    const std::string path = "/2020-05-31/function/sit-wpfleet-basic-auth";
    auto development = c.rest_xml(aws::kCloudFront, "DescribeFunction", "GET", path + "/describe",
                                  {{"Stage", "DEVELOPMENT"}});
    ASSERT_TRUE(development.ok()) << development.error().message;
    auto updated = c.rest_xml(
        aws::kCloudFront, "UpdateFunction", "PUT", path, {},
        {{"If-Match", development->headers.at("etag")}},
        "<UpdateFunctionRequest xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><FunctionConfig>"
        "<Comment>by hand</Comment><Runtime>cloudfront-js-2.0</Runtime></FunctionConfig><FunctionCode>" +
            base64(code) + "</FunctionCode></UpdateFunctionRequest>");
    ASSERT_TRUE(updated.ok()) << updated.error().message;
    auto published = c.rest_xml(aws::kCloudFront, "PublishFunction", "POST", path + "/publish", {},
                                 {{"If-Match", updated->headers.at("etag")}});
    ASSERT_TRUE(published.ok()) << published.error().message;
  }
};

TEST_F(AwsEdgeDrift, AFunctionPublishedByHandIsShownByPlanAndRepublishedByApply) {
  const std::string code = live_code();
  publish_by_hand("function handler(event) { return event.request; }");
  ASSERT_NE(live_code(), code);
  expect_plan_shows_and_apply_restores(
      "the published CloudFront Function sit-wpfleet-basic-auth does not check the password",
      every_tenant());
  EXPECT_EQ(live_code(), code);
}

TEST_F(AwsEdgeDrift, AFunctionAssociationRemovedByHandIsShownByPlanAndPutBackByApply) {
  remove_from_distribution("//DefaultCacheBehavior/FunctionAssociations");
  expect_plan_shows_and_apply_restores(
      "the basic auth function sit-wpfleet-basic-auth does not run on the default cache behaviour",
      every_tenant());
  EXPECT_EQ(std::string(distribution_config()
                            .xml.select_node("//DefaultCacheBehavior/FunctionAssociations/Items/"
                                             "FunctionAssociation/FunctionARN")
                            .node()
                            .child_value()),
            "arn:aws:cloudfront::123456789012:function/sit-wpfleet-basic-auth");
}

TEST_F(AwsEdgeDrift, TheNoindexPolicyTakenOffByHandIsShownByPlanAndPutBackByApply) {
  const std::string policy = noindex_policy();
  ASSERT_EQ(default_headers_policy(), policy);
  remove_from_distribution("//DefaultCacheBehavior/ResponseHeadersPolicyId");
  ASSERT_EQ(default_headers_policy(), "");
  expect_plan_shows_and_apply_restores("the default cache behaviour answers without X-Robots-Tag",
                                       every_tenant());
  EXPECT_EQ(default_headers_policy(), policy);
}

TEST_F(AwsEdgeDrift, AStaticCacheBehaviourDeletedByHandIsShownByPlanAndPutBackByApply) {
  remove_from_distribution("//CacheBehavior[PathPattern='/wp-content/uploads/*']");
  expect_plan_shows_and_apply_restores("has no cache behaviour for /wp-content/uploads/*", every_tenant());
  EXPECT_TRUE(distribution_config().xml.select_node("//CacheBehavior[PathPattern='/wp-content/uploads/*']"));
}

TEST_F(AwsEdgeDrift, AnOriginHeaderChangedOnTheDistributionIsShownByPlanAndPutBackByApply) {
  auto config = distribution_config();
  config.xml.select_node("//OriginCustomHeader/HeaderValue").node().text() = "typed-by-hand";
  put_distribution_config(config);
  expect_plan_shows_and_apply_restores("does not send X-Origin-Verify with the value in sit-wpfleet-origin-secret",
                                       every_tenant());
  EXPECT_EQ(sent_origin_header(), origin_value());
}

// A rule is the tenant's own: only its route is planned.
TEST_F(AwsEdgeDrift, ARuleThatNoLongerRequiresTheOriginHeaderIsShownByPlanAndPutBackByApply) {
  aws::Client c = client();
  auto answer = c.query(aws::kElbV2, "DescribeRules", {{"ListenerArn", sit_.listener_arn}});
  ASSERT_TRUE(answer.ok());
  std::string arn;
  for (const auto& rule : answer->select_nodes("//Rules/member")) {
    if (std::string(rule.node().child_value("Priority")) == "140") arn = rule.node().child_value("RuleArn");
  }
  ASSERT_FALSE(arn.empty());
  ASSERT_TRUE(c.query(aws::kElbV2, "ModifyRule",
                      {{"RuleArn", arn},
                       {"Conditions.member.1.Field", "host-header"},
                       {"Conditions.member.1.HostHeaderConfig.Values.member.1", "goldencrust.wpsit.kimmyai.io"}}));
  ASSERT_TRUE(rule_origin_values()[140].empty());
  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "sit", "--output", "json"});
  EXPECT_NE(checks_by_name(json::parse(verified.out, nullptr, false))["edge"]["detail"].get<std::string>().find(
                "does not require X-Origin-Verify"),
            std::string::npos)
      << verified.out;
  CliResult planned = wpfleet({"plan", "--output", "json"});
  EXPECT_EQ(planned.exit_code, 2) << planned.err;
  EXPECT_NE(planned.err.find("the listener rule of goldencrust (priority 140) does not require X-Origin-Verify"),
            std::string::npos)
      << planned.err;
  std::set<std::string> routes;
  const json out = json::parse(planned.out, nullptr, false);
  for (const auto& change : out["changes"]) {
    if (change["resource"] == "route") routes.insert(change["tenant"].get<std::string>());
  }
  EXPECT_EQ(routes, std::set<std::string>{"goldencrust"}) << planned.out;
  CliResult applied = wpfleet({"apply"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(rule_origin_values()[140], std::vector<std::string>{origin_value()});
  EXPECT_TRUE(plan_changes().empty());
  expect_only_the_public_url_fails();
}

TEST_F(AwsEdgeDrift, AnAliasRecordPointedElsewhereByHandIsShownByPlanAndPutBackByApply) {
  const std::string domain = distribution_domain();
  point_wildcard_elsewhere("AAAA");
  expect_plan_shows_and_apply_restores("the AAAA record *.wpsit.kimmyai.io in the zone wpsit.kimmyai.io points to "
                                       "dold.cloudfront.net",
                                       every_tenant());
  EXPECT_EQ(alias_target("AAAA"), domain);
}

TEST_F(AwsEdgeDrift, ACertificateTakenOffTheDistributionByHandIsShownByPlanAndPutBackByApply) {
  auto config = distribution_config();
  const std::string arn = config.xml.select_node("//ViewerCertificate/ACMCertificateArn").node().child_value();
  ASSERT_FALSE(arn.empty());
  pugi::xml_node viewer = config.xml.select_node("//ViewerCertificate").node();
  while (viewer.first_child()) viewer.remove_child(viewer.first_child());
  viewer.append_child("CloudFrontDefaultCertificate").text() = "true";
  put_distribution_config(config);
  expect_plan_shows_and_apply_restores("the distribution has no ACM certificate for *.wpsit.kimmyai.io",
                                       every_tenant());
  EXPECT_EQ(std::string(distribution_config().xml.select_node("//ViewerCertificate/ACMCertificateArn").node().child_value()),
            arn);
}

TEST_F(AwsEdgeDrift, AListenerThatNoLongerDeniesByDefaultIsShownByPlanAndPutBackByApply) {
  aws::Client c = client();
  ASSERT_TRUE(c.query(aws::kElbV2, "ModifyListener",
                      {{"ListenerArn", sit_.listener_arn},
                       {"DefaultActions.member.1.Type", "fixed-response"},
                       {"DefaultActions.member.1.FixedResponseConfig.StatusCode", "200"},
                       {"DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain"}}));
  ASSERT_EQ(listener_default_status(), "200");
  expect_plan_shows_and_apply_restores("does not answer 403 to requests no tenant's rule takes", every_tenant());
  EXPECT_EQ(listener_default_status(), "403");
}

// With nothing changed, plan and apply read the environment's edge once (not once per
// tenant) and change nothing.
TEST_F(AwsEdgeDrift, WithNothingChangedPlanAndApplyReadTheEdgeOnceAndWriteNothing) {
  for (const char* command : {"plan", "apply"}) {
    const auto before = proxy_->requests_by_action();
    CliResult ran = wpfleet({command});
    EXPECT_EQ(ran.exit_code, 0) << command << ": " << ran.out << ran.err;
    EXPECT_EQ(ran.err.find("changed outside wpfleet"), std::string::npos) << ran.err;
    auto after = proxy_->requests_by_action();
    std::map<std::string, int> made;
    for (const auto& [action, n] : after) {
      const int was = before.count(action) ? before.at(action) : 0;
      if (n > was) made[action] = n - was;
    }
    const auto calls = [&](const std::string& action) { return made.count(action) ? made.at(action) : 0; };
    EXPECT_EQ(calls("GET /2020-05-31/distribution"), 1) << command;  // ListDistributions
    EXPECT_EQ(calls("GET /2020-05-31/distribution/" + sit_.distribution_id + "/config"), 1) << command;
    EXPECT_EQ(calls("GET /2020-05-31/function/sit-wpfleet-basic-auth"), 1) << command;  // LIVE
    EXPECT_EQ(calls("GetSecretValue"), 2) << command;  // the origin's value, the password
    EXPECT_EQ(calls("DescribeListeners"), 2) << command;  // the platform's lookup, the 403
    EXPECT_EQ(calls("GET /2013-04-01/hostedzonesbyname"), 1) << command;
    EXPECT_LE(calls("DescribeCertificate"), 1) << command;
    EXPECT_EQ(calls("DescribeRules"), 1) << command;
    for (const auto& [action, n] : made) {
      EXPECT_TRUE(action.rfind("GET ", 0) == 0 || action.rfind("Describe", 0) == 0 ||
                  action.rfind("List", 0) == 0 || action.rfind("Get", 0) == 0)
          << command << " wrote: " << action << " x" << n;
    }
  }
}

}  // namespace
}  // namespace wpfleet::testing
