// What an aws environment's tenants cost in a month: Cost Explorer's billed figures
// grouped by the `wpfleet:tenant` tag (filtered to the environment's `wpfleet:env` tag),
// and what an estimate needs from the resources themselves: each service's task size
// and desired count, the RDS instance class, the EFS file system's size, each target
// group's requests (CloudWatch's AWS/ApplicationELB RequestCount, by day), and the
// environment's CloudFront distribution's requests and bytes sent (AWS/CloudFront).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/aws/platform.h"
#include "cost/estimate.h"
#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet::aws_backend {

// The tag keys Cost Explorer groups and filters by.
inline constexpr const char* kTenantTagKey = "wpfleet:tenant";
inline constexpr const char* kEnvTagKey = "wpfleet:env";

// The CLI call that activates them, for messages.
std::string activate_tags_command();

struct BilledMonth {
  // Cost Explorer's UnblendedCost by tenant, in USD; a tenant without a group has none.
  std::map<std::string, double> by_tenant;
  double untagged = 0;     // tagged with the environment but no tenant
  bool estimated = false;  // AWS's own flag: the month is not closed yet
};

struct AwsUsage {
  std::vector<cost::TenantResources> tenants;  // in the order asked
  cost::SharedResources shared;
  // Days since a tenant's target group last had a request (within the idle window);
  // nullopt: none in the whole window.
  std::map<std::string, std::optional<int>> days_since_request;
  // Cost Explorer's figures; nullopt when its tags are not active or it has no data.
  std::optional<BilledMonth> billed;
  std::vector<std::string> notes;  // what could not be read, and what to do
};

using Progress = std::function<void(const std::string&)>;

// Reads the month's usage of `tenants` in `env`. `now` bounds the request window (the
// current month is read up to now); `idle_days` is how far back requests are looked
// for. Failures of Cost Explorer become notes (the estimate still stands); failures to
// reach the environment are errors.
Result<AwsUsage> read_usage(AwsPlatforms& platforms, const Environment& env,
                            const std::vector<std::string>& tenants, const cost::Month& month,
                            std::int64_t now, int idle_days, const Progress& progress);

// Activates the tags in Cost Explorer (UpdateCostAllocationTagsStatus).
Status activate_cost_allocation_tags(aws::Client& client);

}  // namespace wpfleet::aws_backend
