// What the aws backend's tests will stand on: the user's SIT platform built in moto
// (with signature checking on) through the AwsProxy, and what the proxy adds to moto:
// throttling, one-off tasks that finish with the chosen exit code and log lines or run
// on this machine in place of Fargate (run_task_here), and RunTask's checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aws/pagination.h"
#include "aws/s3.h"
#include "aws_task_runner.h"
#include "aws_test_env.h"
#include "harness.h"
#include "util/fs.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;

class AwsFakes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      aws_ = new AwsTestEnv();
      aws::Client through_proxy = client();
      sit_ = new SitFixture(make_user_sit(through_proxy));
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete sit_;
    delete aws_;
    sit_ = nullptr;
    aws_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(sit_, nullptr) << setup_error_;
    complaints_.emplace(aws_->proxy());
  }
  // The proxy's own calls to moto must all have worked for its answers to mean anything;
  // violations are what some of these tests provoke.
  void TearDown() override {
    if (complaints_) complaints_->fail_on_new(/*violations=*/false);
  }

  // A client of the test's IAM user whose every call goes through the proxy.
  static aws::Client client() { return aws_->client(); }

  // Starts one task of `family` on the SIT cluster; its ARN.
  static std::string run_task(const std::string& family, const json& overrides = nullptr) {
    json request = {{"cluster", "sit-cluster"},
                    {"taskDefinition", family},
                    {"launchType", "FARGATE"},
                    {"networkConfiguration",
                     {{"awsvpcConfiguration",
                       {{"subnets", sit_->subnets}, {"securityGroups", sit_->security_groups}}}}}};
    if (!overrides.is_null()) request["overrides"] = overrides;
    auto started = client().json(aws::kEcs, "RunTask", request);
    if (!started) throw std::runtime_error(started.error().message);
    return (*started)["tasks"][0]["taskArn"];
  }

  static json describe_task(const std::string& task_arn) {
    auto described = client().json(aws::kEcs, "DescribeTasks",
                                   {{"cluster", "sit-cluster"}, {"tasks", {task_arn}}});
    if (!described) throw std::runtime_error(described.error().message);
    return (*described)["tasks"][0];
  }

  static std::vector<std::string> log_lines(const std::string& stream) {
    auto events = client().json(
        aws::kLogs, "GetLogEvents",
        {{"logGroupName", "/ecs/sit"}, {"logStreamName", stream}, {"startFromHead", true}});
    if (!events) throw std::runtime_error(events.error().message);
    std::vector<std::string> lines;
    for (const auto& event : (*events)["events"]) lines.push_back(event["message"]);
    return lines;
  }

  std::optional<ProxyComplaints> complaints_;
  static inline AwsTestEnv* aws_ = nullptr;
  static inline SitFixture* sit_ = nullptr;
  static inline std::string setup_error_;
};

TEST_F(AwsFakes, ListenerRoutesEachTenantByHostAtItsPriority) {
  auto rules = client().query(aws::kElbV2, "DescribeRules", {{"ListenerArn", sit_->listener_arn}});
  ASSERT_TRUE(rules) << rules.error().message;
  std::map<int, std::string> hosts;  // by priority, the default rule left out
  for (const auto& rule : rules->select_nodes("//Rules/member")) {
    if (std::string(rule.node().child_value("IsDefault")) == "true") continue;
    hosts[std::stoi(rule.node().child_value("Priority"))] =
        rule.node()
            .select_node("Conditions/member/HostHeaderConfig/Values/member")
            .node()
            .child_value();
    EXPECT_EQ(std::string(rule.node().select_node("Actions/member/Type").node().child_value()),
              "forward");
  }
  std::map<int, std::string> expected;
  for (const auto& [tenant, priority] : sit_tenants()) {
    expected[priority] = tenant + ".wpsit.kimmyai.io";
  }
  EXPECT_EQ(hosts, expected);
  EXPECT_EQ(sit_->tenant_priorities, sit_tenants());
  EXPECT_EQ(aws_->proxy().requests_by_action()["CreateRule"], 5);
  EXPECT_EQ(aws_->proxy().requests_by_action()["POST /2015-02-01/access-points"], 5);
}

TEST_F(AwsFakes, EveryTenantHasARunningServiceBehindItsTargetGroup) {
  aws::Client ecs = client();
  auto listed = ecs.json(aws::kEcs, "ListServices", {{"cluster", "sit-cluster"}});
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ((*listed)["serviceArns"].size(), 5u);
  auto described = ecs.json(aws::kEcs, "DescribeServices",
                            {{"cluster", "sit-cluster"}, {"services", (*listed)["serviceArns"]}});
  ASSERT_TRUE(described) << described.error().message;
  for (const auto& service : (*described)["services"]) {
    EXPECT_EQ(service["runningCount"], 1) << service["serviceName"];
    EXPECT_EQ(service["launchType"], "FARGATE");
    ASSERT_EQ(service["loadBalancers"].size(), 1u);
    EXPECT_EQ(service["loadBalancers"][0]["containerPort"], 80);
  }
}

TEST_F(AwsFakes, SecretsAreListed) {
  aws::Client secrets = client();
  auto pages = aws::all_json_pages(secrets, aws::kSecretsManager, "ListSecrets", json::object());
  ASSERT_TRUE(pages) << pages.error().message;
  std::vector<std::string> names;
  for (const auto& page : *pages) {
    for (const auto& secret : page["SecretList"]) names.push_back(secret["Name"]);
  }
  std::vector<std::string> expected = {"sit-rds-master-credentials"};
  for (const auto& [tenant, priority] : sit_tenants()) {
    expected.push_back("sit-" + tenant + "-db-credentials");
  }
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);

  auto value = secrets.json(aws::kSecretsManager, "GetSecretValue",
                            {{"SecretId", "sit-tenant1-db-credentials"}});
  ASSERT_TRUE(value) << value.error().message;
  const json credentials = json::parse((*value)["SecretString"].get<std::string>());
  EXPECT_EQ(credentials["username"], "tenant1_user");
  EXPECT_EQ(credentials["database"], "tenant1_db");
  EXPECT_EQ(credentials["host"], sit_->rds_endpoint);
  EXPECT_EQ(credentials["port"], 3306);
}

TEST_F(AwsFakes, ThrottledCallsAreRetriedUntilTheyPass) {
  const int before = aws_->proxy().requests();
  aws_->proxy().throttle(3);
  auto listed = client().json(aws::kEcs, "ListClusters", json::object());
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(aws_->proxy().requests(), before + 4);
}

// Benchmarks call in parallel and count the calls.
TEST_F(AwsFakes, ConcurrentCallsAreAllForwardedAndCounted) {
  const int before = aws_->proxy().requests_by_action()["ListClusters"];
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 16; ++i) {
    callers.emplace_back([&answered] {
      if (client().json(aws::kEcs, "ListClusters", json::object())) ++answered;
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(answered, 16);
  EXPECT_EQ(aws_->proxy().requests_by_action()["ListClusters"], before + 16);
}

TEST_F(AwsFakes, OneOffTaskStopsWithTheChosenExitCodeAndWritesItsLogLines) {
  aws_->proxy().set_task_exit_code(3);
  aws_->proxy().set_task_log_lines({"creating tenant1_db", "access denied"});
  const std::string task_arn = run_task("sit-generic-db-init");
  aws_->proxy().set_task_exit_code(0);
  aws_->proxy().set_task_log_lines({"ok"});
  EXPECT_EQ(aws_->proxy().run_task_requests().back()["taskDefinition"], "sit-generic-db-init");

  aws::Client aws = client();
  auto described =
      aws.json(aws::kEcs, "DescribeTasks", {{"cluster", "sit-cluster"}, {"tasks", {task_arn}}});
  ASSERT_TRUE(described) << described.error().message;
  const json& task = (*described)["tasks"][0];
  EXPECT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["desiredStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["containers"][0]["lastStatus"], "STOPPED");
  EXPECT_EQ(task["containers"][0]["exitCode"], 3);

  const std::string task_id = task_arn.substr(task_arn.rfind('/') + 1);
  auto events = aws.json(aws::kLogs, "GetLogEvents",
                         {{"logGroupName", "/ecs/sit"},
                          {"logStreamName", "db-init/mysql-client/" + task_id},
                          {"startFromHead", true}});
  ASSERT_TRUE(events) << events.error().message;
  std::vector<std::string> lines;
  for (const auto& event : (*events)["events"]) lines.push_back(event["message"]);
  EXPECT_EQ(lines, (std::vector<std::string>{"creating tenant1_db", "access denied"}));
}

// Fargate's stand-in: a transfer-like task (environment, a secret by JSON key, the
// database host, two EFS volumes, one through an access point) runs here through the
// proxy: RunTask answers while it runs, it sees its resolved settings with the database
// and EFS mapped to local stand-ins, uploads through the proxy with a presigned URL, and
// its exit code and output reach DescribeTasks and its log stream.
TEST_F(AwsFakes, TaskRunsHereWithItsSecretDatabaseAndEfsMapped) {
  aws::Client aws = client();
  auto secret = aws.json(aws::kSecretsManager, "GetSecretValue",
                         {{"SecretId", "sit-tenant1-db-credentials"}});
  ASSERT_TRUE(secret) << secret.error().message;
  const std::string secret_arn = (*secret)["ARN"];
  const std::string password =
      json::parse((*secret)["SecretString"].get<std::string>())["password"];
  auto points = aws.rest_json(aws::kEfs, "DescribeAccessPoints", "GET",
                              "/2015-02-01/access-points", {{"FileSystemId", sit_->efs_id}});
  ASSERT_TRUE(points) << points.error().message;
  std::string tenant1_point;
  for (const auto& point : (*points)["AccessPoints"]) {
    if (point["RootDirectory"]["Path"] == "/tenant1") tenant1_point = point["AccessPointId"];
  }
  ASSERT_FALSE(tenant1_point.empty());

  json container = {
      {"name", "transfer"},
      {"image", "mysql:8.0"},
      {"essential", true},
      {"memory", 512},
      {"command", {"false"}},  // the RunTask's override replaces it
      {"environment",
       {{{"name", "DB_HOST"}, {"value", sit_->rds_endpoint}},
        {{"name", "DB_PORT"}, {"value", "3306"}},
        {{"name", "EFS_ROOT"}, {"value", "/mnt/efs"}},
        {{"name", "SITE"}, {"value", "/var/www/html"}}}},
      {"secrets", {{{"name", "TENANT_DB_PASSWORD"}, {"valueFrom", secret_arn + ":password::"}}}},
      {"mountPoints",
       {{{"sourceVolume", "efs-root"}, {"containerPath", "/mnt/efs"}},
        {{"sourceVolume", "site"}, {"containerPath", "/var/www/html"}}}},
      {"logConfiguration",
       {{"logDriver", "awslogs"},
        {"options",
         {{"awslogs-group", "/ecs/sit"},
          {"awslogs-region", "us-east-1"},
          {"awslogs-stream-prefix", "transfer"}}}}}};
  auto registered = aws.json(
      aws::kEcs, "RegisterTaskDefinition",
      {{"family", "sit-transfer-test"},
       {"requiresCompatibilities", {"FARGATE"}},
       {"networkMode", "awsvpc"},
       {"cpu", "256"},
       {"memory", "512"},
       {"volumes",
        {{{"name", "efs-root"},
          {"efsVolumeConfiguration", {{"fileSystemId", sit_->efs_id}, {"rootDirectory", "/"}}}},
         {{"name", "site"},
          {"efsVolumeConfiguration",
           {{"fileSystemId", sit_->efs_id},
            {"transitEncryption", "ENABLED"},
            {"authorizationConfig", {{"accessPointId", tenant1_point}, {"iam", "ENABLED"}}}}}}}},
       {"containerDefinitions", json::array({container})}});
  ASSERT_TRUE(registered) << registered.error().message;

  aws::S3 s3(aws);
  ASSERT_TRUE(s3.create_bucket("sit-runner-transfer").ok());
  auto out_url = s3.presigned_url("PUT", "sit-runner-transfer", "out", std::chrono::minutes(5));
  ASSERT_TRUE(out_url.ok()) << out_url.error().message;

  TempDir efs;
  ASSERT_TRUE(make_dirs(efs.path() / "tenant1").ok());
  ASSERT_TRUE(write_file_atomic(efs.path() / "tenant1" / "index.php", "<?php\n").ok());
  const TaskHostMap hosts{{{sit_->rds_endpoint, {"127.0.0.1", 3399}}},
                          {{sit_->efs_id, efs.path()}}};
  aws_->proxy().set_task_runner([&hosts](const TaskRun& run) { return run_task_here(run, hosts); });
  struct NoRunner {
    ~NoRunner() { aws_->proxy().set_task_runner(nullptr); }
  } no_runner;

  // Waits for the test's go, writes what it sees, uploads it, then fails with 3.
  const std::string script =
      "while [ ! -e \"$EFS_ROOT/go\" ]; do sleep 0.05; done\n"
      "out=$(mktemp)\n"
      "{ echo \"secret=$TENANT_DB_PASSWORD\"; echo \"db=$DB_HOST:$DB_PORT\";\n"
      "  echo \"efs=$EFS_ROOT\"; echo \"site=$SITE\"; ls \"$SITE\"; } > \"$out\"\n"
      "cat \"$out\"\n"
      "curl -sS --fail -T \"$out\" \"$1\" && echo uploaded\n"
      "rm -f \"$out\"\n"
      "echo 'to stderr' >&2\n"
      "exit 3\n";
  const std::string task_arn = run_task(
      "sit-transfer-test",
      {{"containerOverrides",
        {{{"name", "transfer"}, {"command", {"sh", "-c", script, "transfer-test", *out_url}}}}}});

  json task = describe_task(task_arn);
  EXPECT_EQ(task["lastStatus"], "RUNNING");
  EXPECT_EQ(task["desiredStatus"], "RUNNING");
  EXPECT_FALSE(task["containers"][0].contains("exitCode"));

  ASSERT_TRUE(write_file_atomic(efs.path() / "go", "").ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (task["lastStatus"] != "STOPPED" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    task = describe_task(task_arn);
  }
  ASSERT_EQ(task["lastStatus"], "STOPPED");
  EXPECT_EQ(task["stopCode"], "EssentialContainerExited");
  EXPECT_EQ(task["containers"][0]["exitCode"], 3);

  const std::vector<std::string> seen = {
      "secret=" + password, "db=127.0.0.1:3399", "efs=" + efs.path().string(),
      "site=" + (efs.path() / "tenant1").string(), "index.php"};
  std::vector<std::string> expected = seen;
  expected.insert(expected.end(), {"uploaded", "to stderr"});
  const std::string task_id = task_arn.substr(task_arn.rfind('/') + 1);
  EXPECT_EQ(log_lines("transfer/transfer/" + task_id), expected);

  std::string uploaded;
  ASSERT_TRUE(s3.read("sit-runner-transfer", "out", [&](std::string_view part) -> Status {
                  uploaded.append(part);
                  return {};
                }).ok());
  std::string seen_text;
  for (const auto& line : seen) seen_text += line + "\n";
  EXPECT_EQ(uploaded, seen_text);
}

// An EFS volume with no local stand-in is never run against this machine's own path.
TEST_F(AwsFakes, TaskWithAnUnmappedFileSystemIsNotRunHere) {
  TaskRun run;
  run.command = {"sh", "-c", "touch \"$EFS_ROOT/touched\""};
  run.environment = {{"EFS_ROOT", "/mnt/efs"}};
  run.efs_mounts["/mnt/efs"] = {"fs-unknown", "/", ""};
  const TaskOutcome outcome = run_task_here(run, {});
  EXPECT_EQ(outcome.exit_code, 1);
  ASSERT_EQ(outcome.log_lines.size(), 1u);
  EXPECT_NE(outcome.log_lines[0].find("fs-unknown"), std::string::npos) << outcome.log_lines[0];
}

TEST_F(AwsFakes, EnvironmentOverrideIsAViolation) {
  const auto before = aws_->proxy().violations().size();
  run_task("sit-generic-db-init",
           json::parse(R"({"containerOverrides":[{"name":"mysql-client",)"
                       R"("environment":[{"name":"MYSQL_PWD","value":"hunter2"}]}]})"));
  const auto violations = aws_->proxy().violations();
  ASSERT_EQ(violations.size(), before + 1);
  EXPECT_NE(violations.back().find("MYSQL_PWD"), std::string::npos) << violations.back();
  EXPECT_EQ(violations.back().find("hunter2"), std::string::npos) << violations.back();
}

TEST_F(AwsFakes, SecretThatDoesNotExistIsAViolation) {
  const auto before = aws_->proxy().violations().size();
  run_task("sit-goldencrust");  // its secret exists
  EXPECT_EQ(aws_->proxy().violations().size(), before);

  const std::string missing =
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:sit-nobody-AbCdEf";
  auto registered = client().json(
      aws::kEcs, "RegisterTaskDefinition",
      {{"family", "sit-nobody"},
       {"requiresCompatibilities", {"FARGATE"}},
       {"networkMode", "awsvpc"},
       {"cpu", "256"},
       {"memory", "512"},
       {"containerDefinitions",
        {{{"name", "wordpress"},
          {"image", "wordpress:latest"},
          {"memory", 512},  // moto's RunTask needs it
          {"secrets",
           {{{"name", "WORDPRESS_DB_PASSWORD"}, {"valueFrom", missing + ":password::"}}}}}}}});
  ASSERT_TRUE(registered) << registered.error().message;
  run_task("sit-nobody");
  const auto violations = aws_->proxy().violations();
  ASSERT_EQ(violations.size(), before + 1);
  EXPECT_NE(violations.back().find(missing), std::string::npos) << violations.back();
}

// moto cannot check a REST GET's signature, so the proxy does, as AWS would.
TEST_F(AwsFakes, RestGetsAreSignatureChecked) {
  const std::string path = "/2015-02-01/access-points";
  const aws::QueryParams query{{"FileSystemId", sit_->efs_id}};
  auto good = client().rest_json(aws::kEfs, "DescribeAccessPoints", "GET", path, query);
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_EQ((*good)["AccessPoints"].size(), 5u);

  aws::ClientConfig config = aws_->client_config();
  config.credentials.secret_access_key = "wrong";
  auto bad = aws::Client(config, kQuickRetry)
                 .rest_json(aws::kEfs, "DescribeAccessPoints", "GET", path, query);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().http_status, 403);
  EXPECT_EQ(bad.error().code, "SignatureDoesNotMatch");
  // The next checked call is checked again: the one unchecked request was used up.
  auto after = client().json(aws::kSecretsManager, "ListSecrets", json::object());
  EXPECT_TRUE(after.ok());
}

// What moto lacks entirely is faked in the proxy, behind the same signature check.
TEST_F(AwsFakes, FakedActionsAnswerOnlySignedRequests) {
  aws_->proxy().add_fake({[](const AwsProxy::Request& request) {
                            return request.amz_target == "AWSInsightsIndexService.ListCostAllocationTags";
                          },
                          [](const AwsProxy::Request&) {
                            return AwsProxy::Answer{200, {}, R"({"CostAllocationTags":[]})"};
                          }});
  auto good = client().json(aws::kCostExplorer, "ListCostAllocationTags", json::object());
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_TRUE((*good)["CostAllocationTags"].empty());

  aws::ClientConfig config = aws_->client_config();
  config.credentials.secret_access_key = "wrong";
  auto bad = aws::Client(config, kQuickRetry)
                 .json(aws::kCostExplorer, "ListCostAllocationTags", json::object());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "SignatureDoesNotMatch");
}

}  // namespace
}  // namespace wpfleet::testing
