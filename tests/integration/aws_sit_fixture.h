// The user's SIT platform as their Terraform and shell scripts left it, built in moto:
// the shared pieces (VPC, ECS cluster, execution role, log group, RDS, EFS, ALB with its
// listener, the db-init task definition) and five tenants, each with its secret, IAM
// policy, EFS access point, target group, listener rule, task definition and ECS
// service. Nothing is tagged (but the EFS file system's Name), as theirs is not: the
// aws backend must find and adopt these resources by name. Where moto needs more than
// AWS (containers' own memory limits, DNS host names in the VPC, no spaces in query
// parameters) the .cc says so.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/client.h"

namespace wpfleet::testing {

struct SitFixture {
  std::string vpc_id;
  std::vector<std::string> subnets;          // two, in us-east-1a and us-east-1b
  std::vector<std::string> security_groups;  // <env>-ecs-tasks-sg
  std::string listener_arn;                  // the ALB's HTTP listener on port 80
  std::string distribution_id;               // CloudFront, *.<domain suffix> -> the ALB
  std::string hosted_zone_id;                // Route 53, <domain suffix>
  std::string rds_endpoint;                  // the address of <env>-mysql
  std::string efs_id;
  std::map<std::string, int> tenant_priorities;  // tenant -> its listener rule's priority
};

// The tenants of the user's SIT platform and their listener rule priorities.
const std::map<std::string, int>& sit_tenants();

// Builds the platform through `client` (whose endpoint is moto or a proxy in front of
// it): names start with `env` ("sit-cluster"), tenant hosts end with `domain_suffix`;
// `tenants` (tenant -> listener rule priority) are the tenants made on it (empty: the
// shared platform alone, a new environment). Throws std::runtime_error with the failed
// call's message.
SitFixture make_user_sit(aws::Client& client, const std::string& env = "sit",
                         const std::string& domain_suffix = "wpsit.kimmyai.io",
                         const std::map<std::string, int>& tenants = sit_tenants());

}  // namespace wpfleet::testing
