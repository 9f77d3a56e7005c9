// What every aws provider shares about an environment: a client signed with the
// environment's credentials (its account checked once), and the platform resources the
// user's Terraform made (cluster, load balancer, database server, file system, role),
// looked up once and named in every error when missing.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/client.h"
#include "aws/config.h"
#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet::aws_backend {

struct PlatformResources {
  std::string account;
  std::string cluster_arn;
  std::string load_balancer_arn;
  std::string load_balancer_dns;
  std::string listener_arn;
  std::string vpc_id;
  std::string file_system_id;
  std::string rds_address;
  int rds_port = 3306;
  std::string execution_role_arn;
  std::string master_secret_arn;
};

// An environment's client and its platform resources, which most provider calls need
// together.
struct Connected {
  aws::Client& client;
  const PlatformResources& platform;
};

class AwsPlatforms {
 public:
  // `process_env` is where credentials and endpoint overrides come from (the process's
  // own environment outside tests).
  explicit AwsPlatforms(aws::Environment process_env) : process_env_(std::move(process_env)) {}

  // The environment's client, connected on first use (profile, role_arn through STS)
  // and refused when its credentials belong to another account than account_id.
  Result<aws::Client*> client(const Environment& env);

  // The environment's platform resources, looked up on first use.
  Result<const PlatformResources*> platform(const Environment& env);

  // Both of the above.
  Result<Connected> connect(const Environment& env);

 private:
  struct Connection {
    std::unique_ptr<aws::Client> client;
    std::unique_ptr<PlatformResources> platform;
    // Held while the platform is looked up, so that the tenants' threads of one command
    // wait for the first lookup instead of each making their own (a dozen calls each).
    std::mutex lookup;
  };
  Result<Connection*> connection(const Environment& env);

  aws::Environment process_env_;
  std::mutex mutex_;
  std::map<std::string, Connection> connections_;  // by environment name
};

// The environment's aws settings; an error when the environment is not on aws.
Result<const AwsSettings*> aws_settings(const Environment& env);

// "environment 'sit' (account 815856636111, eu-west-1)": how errors place a resource.
std::string where(const Environment& env);

}  // namespace wpfleet::aws_backend
