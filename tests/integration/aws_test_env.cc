#include "aws_test_env.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <map>

namespace wpfleet::testing {

AwsTestEnv::AwsTestEnv()
    : moto_(std::map<std::string, std::string>{{"MOTO_ECS_SERVICE_RUNNING", "1"}}),
      credentials_(moto_.enable_auth()),
      proxy_(moto_.endpoint(), credentials_) {}

aws::ClientConfig AwsTestEnv::client_config() const {
  aws::ClientConfig config = moto_.client_config(credentials_);
  config.endpoint_url = proxy_.endpoint();
  return config;
}

aws::Client AwsTestEnv::client(const aws::RetryPolicy& retry) const {
  return aws::Client(client_config(), retry);
}

aws::Environment AwsTestEnv::process_env() const {
  aws::Environment env;
  env.vars = {{"AWS_ENDPOINT_URL", proxy_.endpoint()},
              {"AWS_ACCESS_KEY_ID", credentials_.access_key_id},
              {"AWS_SECRET_ACCESS_KEY", credentials_.secret_access_key},
              {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"},
              {"AWS_CONFIG_FILE", "/nonexistent/config"}};
  return env;
}

AwsVariables::AwsVariables(const aws::Environment& env) {
  for (const auto& [name, value] : env.vars) set(name, value);
  unset("AWS_PROFILE");
  unset("AWS_SESSION_TOKEN");
}

AwsVariables::~AwsVariables() {
  for (const auto& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

void AwsVariables::set(const std::string& name, const std::string& value) {
  save(name);
  ::setenv(name.c_str(), value.c_str(), 1);
}

void AwsVariables::unset(const std::string& name) {
  save(name);
  ::unsetenv(name.c_str());
}

void AwsVariables::save(const std::string& name) {
  if (saved_.count(name)) return;
  const char* value = ::getenv(name.c_str());
  saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
}

Environment sit_environment(const std::string& name, const std::string& domain_suffix,
                            const SitFixture& sit) {
  Environment env;
  env.name = name;
  env.backend = "aws";
  env.domain = "{tenant}." + domain_suffix;
  AwsSettings aws;
  aws.region = "us-east-1";
  aws.account_id = kMotoAccount;
  aws.subnets = sit.subnets;
  aws.security_groups = sit.security_groups;
  aws.cluster = name + "-cluster";
  aws.alb = name + "-alb";
  aws.rds_instance = name + "-mysql";
  aws.master_secret = name + "-rds-master-credentials";
  aws.efs = name + "-efs";
  aws.execution_role = name + "-ecs-task-execution-role";
  aws.log_group = "/ecs/" + name;
  aws.db_init_task_definition = name + "-generic-db-init";
  aws.transfer_bucket = name + "-wpfleet-transfer";
  env.aws = aws;
  return env;
}

ProxyComplaints::ProxyComplaints(const AwsProxy& proxy)
    : proxy_(proxy),
      violations_before_(proxy.violations().size()),
      errors_before_(proxy.errors().size()) {}

void ProxyComplaints::fail_on_new(bool violations) const {
  if (violations) {
    const auto all = proxy_.violations();
    for (auto i = violations_before_; i < all.size(); ++i) ADD_FAILURE() << all[i];
  }
  const auto errors = proxy_.errors();
  for (auto i = errors_before_; i < errors.size(); ++i) ADD_FAILURE() << errors[i];
}

}  // namespace wpfleet::testing
