// What the aws tests against moto stand on, made once per test suite: moto's server with
// its signature and policy checks on, the AwsProxy in front of it, and the clients, the
// process environment and the fleet settings that reach them; and a test's share of the
// proxy's complaints.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "aws/client.h"
#include "aws/config.h"
#include "aws_fake.h"
#include "aws_sit_fixture.h"
#include "fleet/model.h"
#include "moto_server.h"

namespace wpfleet::testing {

inline constexpr const char* kMotoAccount = "123456789012";  // moto's account id

// Fast retries: the tests wait for attempts, not for AWS's real backoff.
inline constexpr aws::RetryPolicy kQuickRetry{5, std::chrono::milliseconds(1),
                                              std::chrono::milliseconds(20)};

class AwsTestEnv {
 public:
  // Starts moto, ECS services reporting their desired tasks running as on AWS once
  // deployed, and the proxy. Throws when moto cannot start.
  AwsTestEnv();
  AwsTestEnv(const AwsTestEnv&) = delete;
  AwsTestEnv& operator=(const AwsTestEnv&) = delete;

  MotoServer& moto() { return moto_; }
  AwsProxy& proxy() { return proxy_; }

  // The configuration of a client of the test's IAM user whose every call goes through
  // the proxy, and such a client.
  aws::ClientConfig client_config() const;
  aws::Client client(const aws::RetryPolicy& retry = kQuickRetry) const;

  // What wpfleet's process would find in its environment to reach the emulator: the
  // endpoint, the IAM user's keys, and no profile of this machine's user.
  aws::Environment process_env() const;

 private:
  MotoServer moto_;
  aws::Credentials credentials_;  // made by moto_, so declared after it
  AwsProxy proxy_;
};

// The process's variables set to `env`'s until destroyed, with no profile or session
// token of this machine's user left in: what a user sets to point wpfleet at an
// emulator (see the README), inherited by the wpfleet processes a test runs.
class AwsVariables {
 public:
  explicit AwsVariables(const aws::Environment& env);
  ~AwsVariables();
  AwsVariables(const AwsVariables&) = delete;
  AwsVariables& operator=(const AwsVariables&) = delete;

  void set(const std::string& name, const std::string& value);

 private:
  void unset(const std::string& name);
  void save(const std::string& name);
  std::map<std::string, std::optional<std::string>> saved_;
};

// An aws environment `name` on the platform make_user_sit(client, name, domain_suffix)
// built: the user's resource names ("<name>-cluster", ...), moto's account and region,
// the SIT's subnets and security group, tenants at "<tenant>.<domain_suffix>".
Environment sit_environment(const std::string& name, const std::string& domain_suffix,
                            const SitFixture& sit);

// The proxy's complaints from a point on: a test marks the point in SetUp and, in
// TearDown, fails on what its own calls caused.
class ProxyComplaints {
 public:
  explicit ProxyComplaints(const AwsProxy& proxy);

  // A test failure for each error of the proxy's own calls to moto since the point, and
  // for each violation (what AWS would have refused) unless `violations` is false.
  void fail_on_new(bool violations = true) const;

 private:
  const AwsProxy& proxy_;
  std::size_t violations_before_;
  std::size_t errors_before_;
};

}  // namespace wpfleet::testing
