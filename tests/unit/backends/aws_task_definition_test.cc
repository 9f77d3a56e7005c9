// The tenant's task definition: secrets only through `secrets`, the EFS mount, the log
// configuration, and what counts as a difference from an existing revision.
#include <gtest/gtest.h>

#include <set>

#include "backends/aws/task_definition.h"

namespace wpfleet::aws_backend {
namespace {

using nlohmann::json;

const std::string kSecretArn =
    "arn:aws:secretsmanager:eu-west-1:815856636111:secret:sit-goldencrust-db-credentials-AbCdEf";

TaskDefinitionInputs inputs() {
  TaskDefinitionInputs in;
  in.family = "sit-goldencrust";
  in.container = "wordpress";
  in.image = "wordpress:latest";
  in.cpu = 256;
  in.memory = 512;
  in.execution_role_arn = "arn:aws:iam::815856636111:role/sit-ecs-task-execution-role";
  in.secret_arn = kSecretArn;
  in.file_system_id = "fs-0abcdef1234567890";
  in.access_point_id = "fsap-0123456789abcdef0";
  in.log_group = "/ecs/sit";
  in.region = "eu-west-1";
  in.log_prefix = "goldencrust";
  in.home_url = "https://goldencrust.wpsit.kimmyai.io";
  in.tags = tenant_tags("sit", "goldencrust");
  return in;
}

const json& container_of(const json& definition) { return definition["containerDefinitions"][0]; }

// What DescribeTaskDefinition answers for `registered`: AWS's own additions on top.
json as_aws_describes(json registered) {
  registered.erase("tags");
  registered["taskDefinitionArn"] =
      "arn:aws:ecs:eu-west-1:815856636111:task-definition/sit-goldencrust:7";
  registered["revision"] = 7;
  registered["status"] = "ACTIVE";
  registered["compatibilities"] = {"EC2", "FARGATE"};
  registered["requiresAttributes"] = json::array({{{"name", "ecs.capability.efsAuth"}}});
  json& container = registered["containerDefinitions"][0];
  container["cpu"] = 0;
  container["volumesFrom"] = json::array();
  container["systemControls"] = json::array();
  container["portMappings"][0]["hostPort"] = 80;
  json& efs = registered["volumes"][0]["efsVolumeConfiguration"];
  efs["rootDirectory"] = "/";
  efs["authorizationConfig"]["iam"] = "DISABLED";
  // AWS gives the lists back in its own order.
  std::reverse(container["secrets"].begin(), container["secrets"].end());
  std::reverse(container["environment"].begin(), container["environment"].end());
  return registered;
}

TEST(AwsTaskDefinition, FargateWithTheSettingsAndRole) {
  const json definition = desired_task_definition(inputs());
  EXPECT_EQ(definition["family"], "sit-goldencrust");
  EXPECT_EQ(definition["requiresCompatibilities"], json::array({"FARGATE"}));
  EXPECT_EQ(definition["networkMode"], "awsvpc");
  EXPECT_EQ(definition["cpu"], "256");
  EXPECT_EQ(definition["memory"], "512");
  EXPECT_EQ(definition["executionRoleArn"], inputs().execution_role_arn);
  ASSERT_EQ(definition["containerDefinitions"].size(), 1u);
  const json& container = container_of(definition);
  EXPECT_EQ(container["name"], "wordpress");
  EXPECT_EQ(container["image"], "wordpress:latest");
  EXPECT_EQ(container["essential"], true);
  EXPECT_EQ(container["portMappings"], json::array({{{"containerPort", 80}, {"protocol", "tcp"}}}));
  EXPECT_FALSE(container.contains("command"));
  EXPECT_FALSE(container.contains("entryPoint"));
}

TEST(AwsTaskDefinition, SecretsComeOnlyThroughSecretsFromTheTenantsSecret) {
  const json definition = desired_task_definition(inputs());
  const json& container = container_of(definition);
  std::map<std::string, std::string> secrets;
  for (const auto& secret : container["secrets"]) secrets[secret["name"]] = secret["valueFrom"];
  const std::map<std::string, std::string> expected = {
      {"WORDPRESS_DB_HOST", kSecretArn + ":host::"},
      {"WORDPRESS_DB_USER", kSecretArn + ":username::"},
      {"WORDPRESS_DB_PASSWORD", kSecretArn + ":password::"},
      {"WORDPRESS_DB_NAME", kSecretArn + ":database::"},
      {"WORDPRESS_AUTH_KEY", kSecretArn + ":auth_key::"},
      {"WORDPRESS_SECURE_AUTH_KEY", kSecretArn + ":secure_auth_key::"},
      {"WORDPRESS_LOGGED_IN_KEY", kSecretArn + ":logged_in_key::"},
      {"WORDPRESS_NONCE_KEY", kSecretArn + ":nonce_key::"},
      {"WORDPRESS_AUTH_SALT", kSecretArn + ":auth_salt::"},
      {"WORDPRESS_SECURE_AUTH_SALT", kSecretArn + ":secure_auth_salt::"},
      {"WORDPRESS_LOGGED_IN_SALT", kSecretArn + ":logged_in_salt::"},
      {"WORDPRESS_NONCE_SALT", kSecretArn + ":nonce_salt::"},
      {"WPFLEET_ADMIN_PASSWORD", kSecretArn + ":admin_password::"}};
  EXPECT_EQ(secrets, expected);
  EXPECT_EQ(container["secrets"].size(), expected.size());  // no name twice

  // Plain values: only what is no secret, and none of the secret variables.
  std::set<std::string> plain;
  for (const auto& variable : container["environment"]) {
    plain.insert(variable["name"]);
    EXPECT_EQ(variable["value"].get<std::string>().find(kSecretArn), std::string::npos);
  }
  EXPECT_EQ(plain, (std::set<std::string>{"WORDPRESS_CONFIG_EXTRA", "WORDPRESS_TABLE_PREFIX"}));
  for (const auto& [name, from] : expected) EXPECT_FALSE(plain.count(name)) << name;
}

TEST(AwsTaskDefinition, HomeUrlIsWordPressesOwnAddress) {
  TaskDefinitionInputs in = inputs();
  in.home_url = "https://o'brien.example.com";  // quoted for PHP whatever it holds
  const json definition = desired_task_definition(in);
  const json& container = container_of(definition);
  std::string extra;
  for (const auto& variable : container["environment"]) {
    if (variable["name"] == "WORDPRESS_CONFIG_EXTRA") extra = variable["value"];
  }
  EXPECT_EQ(extra,
            "define('WP_HOME', 'https://o\\'brien.example.com');\n"
            "define('WP_SITEURL', 'https://o\\'brien.example.com');");
}

TEST(AwsTaskDefinition, TheAccessPointIsMountedAtWpContentWithEncryptionInTransit) {
  const json definition = desired_task_definition(inputs());
  EXPECT_EQ(container_of(definition)["mountPoints"],
            json::array({{{"sourceVolume", "wp-content"},
                          {"containerPath", "/var/www/html/wp-content"},
                          {"readOnly", false}}}));
  ASSERT_EQ(definition["volumes"].size(), 1u);
  const json& volume = definition["volumes"][0];
  EXPECT_EQ(volume["name"], "wp-content");
  const json& efs = volume["efsVolumeConfiguration"];
  EXPECT_EQ(efs["fileSystemId"], "fs-0abcdef1234567890");
  EXPECT_EQ(efs["transitEncryption"], "ENABLED");
  EXPECT_EQ(efs["authorizationConfig"]["accessPointId"], "fsap-0123456789abcdef0");
  // With an access point, the root directory is the access point's.
  EXPECT_FALSE(efs.contains("rootDirectory"));
}

TEST(AwsTaskDefinition, LogsGoToTheEnvironmentsGroupUnderTheTenantsPrefix) {
  const json definition = desired_task_definition(inputs());
  const json& container = container_of(definition);
  EXPECT_EQ(container["logConfiguration"], json({{"logDriver", "awslogs"},
                                                 {"options",
                                                  {{"awslogs-group", "/ecs/sit"},
                                                   {"awslogs-region", "eu-west-1"},
                                                   {"awslogs-stream-prefix", "goldencrust"}}}}));
}

TEST(AwsTaskDefinition, TaggedForWpfleet) {
  const json definition = desired_task_definition(inputs());
  EXPECT_EQ(definition["tags"], json::array({{{"key", "wpfleet:env"}, {"value", "sit"}},
                                             {{"key", "wpfleet:tenant"}, {"value", "goldencrust"}},
                                             {{"key", "managed-by"}, {"value", "wpfleet"}}}));
}

TEST(AwsTaskDefinition, WhatAwsAddsIsNoDifference) {
  const json desired = desired_task_definition(inputs());
  EXPECT_TRUE(task_definition_differences(desired, as_aws_describes(desired)).empty());
  // Numbers where AWS has strings (a hand-made definition) are the same values.
  json current = as_aws_describes(desired);
  current["cpu"] = 256;
  EXPECT_TRUE(task_definition_differences(desired, current).empty());
}

TEST(AwsTaskDefinition, EachFieldWpfleetSetsIsADifference) {
  const json desired = desired_task_definition(inputs());
  const auto differs = [&](const std::function<void(json&)>& change) {
    json current = as_aws_describes(desired);
    change(current);
    return task_definition_differences(desired, current);
  };
  using List = std::vector<std::string>;
  EXPECT_EQ(differs([](json& d) { d["containerDefinitions"][0]["image"] = "wordpress:6.4"; }),
            List{"image"});
  EXPECT_EQ(differs([](json& d) { d["memory"] = "1024"; }), List{"memory"});
  EXPECT_EQ(differs([](json& d) { d["executionRoleArn"] = "arn:aws:iam::1:role/other"; }),
            List{"executionRoleArn"});
  EXPECT_EQ(differs([](json& d) {
              d["volumes"][0]["efsVolumeConfiguration"]["authorizationConfig"]["accessPointId"] =
                  "fsap-other";
            }),
            List{"volumes"});
  EXPECT_EQ(differs([](json& d) { d["containerDefinitions"][0]["secrets"].erase(0); }),
            List{"secrets"});
  EXPECT_EQ(differs([](json& d) {
              d["containerDefinitions"][0]["environment"].push_back(
                  {{"name", "WORDPRESS_DB_PASSWORD"}, {"value", "plain"}});
            }),
            List{"environment"});
  EXPECT_EQ(differs([](json& d) {
              d["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-stream-prefix"] =
                  "other";
            }),
            List{"logConfiguration"});
  EXPECT_EQ(differs([](json& d) {
              d["containerDefinitions"][0]["command"] = {"sleep", "1"};
            }),
            List{"command"});
  EXPECT_EQ(differs([](json& d) {
              d["containerDefinitions"].push_back({{"name", "sidecar"}, {"image", "x"}});
            }),
            List{"containerDefinitions"});
  EXPECT_EQ(differs([](json& d) { d["containerDefinitions"][0]["name"] = "web"; }),
            List{"containerDefinitions"});
}

// The user's own definitions (made by their Terraform, as the SIT fixture has them) lack
// the salts, the admin password and the mount: registering a new revision converges them.
TEST(AwsTaskDefinition, TheUsersDefinitionDiffers) {
  const json users = {
      {"family", "sit-goldencrust"},
      {"status", "ACTIVE"},
      {"requiresCompatibilities", {"FARGATE"}},
      {"networkMode", "awsvpc"},
      {"cpu", "256"},
      {"memory", "512"},
      {"executionRoleArn", inputs().execution_role_arn},
      {"containerDefinitions",
       {{{"name", "wordpress"},
         {"image", "wordpress:latest"},
         {"essential", true},
         {"memory", 512},
         {"portMappings", {{{"containerPort", 80}, {"protocol", "tcp"}}}},
         {"secrets",
          {{{"name", "WORDPRESS_DB_PASSWORD"}, {"valueFrom", kSecretArn + ":password::"}}}},
         {"logConfiguration",
          {{"logDriver", "awslogs"},
           {"options",
            {{"awslogs-group", "/ecs/sit"},
             {"awslogs-region", "eu-west-1"},
             {"awslogs-stream-prefix", "goldencrust"}}}}}}}}};
  const auto differences = task_definition_differences(desired_task_definition(inputs()), users);
  const std::set<std::string> got(differences.begin(), differences.end());
  EXPECT_EQ(got, (std::set<std::string>{"volumes", "environment", "secrets", "mountPoints"}));
}

}  // namespace
}  // namespace wpfleet::aws_backend
