// `wpfleet discover`: the tenants an aws environment already runs under the user's
// naming convention ({env}-{tenant}-service, {env}-{tenant}-db-credentials, a listener
// rule for {tenant}'s host), so that a fleet made by hand or by Terraform moves into the
// fleet file without re-creating anything.
#pragma once

#include <string>
#include <vector>

#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

struct DiscoveredTenant {
  std::string id;
  bool service = false;  // {env}-{id}-service exists in the cluster
  bool secret = false;   // {env}-{id}-db-credentials exists
  int priority = 0;      // of its listener rule; 0 = none
  std::vector<std::string> aliases;  // the rule's other host names
};

// Every tenant found in `env`, by id. A bounded number of calls: one listing each of
// services, secrets and rules.
Result<std::vector<DiscoveredTenant>> discover_tenants(AwsPlatforms& platforms,
                                                       const Environment& env);

}  // namespace wpfleet::aws_backend
