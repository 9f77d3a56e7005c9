// moto's server, an AWS API emulator, on a free loopback port for the tests of the AWS
// client and backend: started by the constructor, stopped by the destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "aws/client.h"
#include "harness.h"

namespace wpfleet::testing {

class MotoServer {
 public:
  // Throws when moto cannot start (run scripts/install-deps). `env` is added to moto's
  // environment, for its switches such as MOTO_ECS_SERVICE_RUNNING.
  explicit MotoServer(const std::map<std::string, std::string>& env = {});
  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string endpoint() const;  // http://127.0.0.1:PORT

  // Turns moto's signature and policy checks on, after using its last unchecked calls
  // to make an IAM user allowed everything; returns that user's access key.
  aws::Credentials enable_auth();

  // Turns the checks off and on again around calls moto cannot verify: it miscomputes
  // the signature of every REST GET (boto3's too).
  void check_signatures(bool on);

  // A client for `credentials` with every service at this server, region us-east-1.
  aws::ClientConfig client_config(const aws::Credentials& credentials) const;

 private:
  // Checks every call after the next `unchecked_calls` ("inf": none).
  void reset_auth(const std::string& unchecked_calls);

  TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace wpfleet::testing
