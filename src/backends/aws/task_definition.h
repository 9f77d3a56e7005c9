// The tenant's task definition as wpfleet wants it (pure, so that its rules are unit
// tested): Fargate, the image, DB settings, salts and the admin password only through
// `secrets` (never plain environment values: DescribeTaskDefinition shows those to
// anyone allowed to read it), the EFS access point at wp-content, awslogs to the
// environment's log group. And whether an existing revision already is that, comparing
// only the fields wpfleet sets, not the defaults AWS adds.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backends/aws/names.h"

namespace wpfleet::aws_backend {

struct TaskDefinitionInputs {
  std::string family;     // {env}-{tenant}
  std::string container;  // wordpress
  std::string image;
  int cpu = 256;
  int memory = 512;
  std::string execution_role_arn;
  std::string secret_arn;  // the tenant's secret, read through `secrets`
  std::string file_system_id;
  std::string access_point_id;
  std::string log_group;
  std::string region;
  std::string log_prefix;  // the awslogs stream prefix: the tenant id
  std::string home_url;    // WP_HOME and WP_SITEURL
  Tags tags;
};

// Where the access point is mounted in the wordpress image.
inline constexpr const char* kWpContentPath = "/var/www/html/wp-content";
inline constexpr const char* kWpContentVolume = "wp-content";
// The environment variable the site installer reads the admin password from.
inline constexpr const char* kAdminPasswordVariable = "WPFLEET_ADMIN_PASSWORD";

// The RegisterTaskDefinition input.
nlohmann::json desired_task_definition(const TaskDefinitionInputs& inputs);

// What of `desired` (as above) `current` (DescribeTaskDefinition's "taskDefinition")
// lacks or has otherwise, by field ("image", "secrets", "volumes", ...); empty when
// `current` already is the desired definition.
std::vector<std::string> task_definition_differences(const nlohmann::json& desired,
                                                     const nlohmann::json& current);

}  // namespace wpfleet::aws_backend
