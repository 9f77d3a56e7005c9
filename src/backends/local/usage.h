// What each tenant of a local environment used in a month, measured on this machine:
// requests and bytes sent (its public nginx access log, which also tells how long it has
// been idle), database bytes (information_schema), file bytes (its wp-content, walked by
// descriptor: the tree is the tenant's), and the memory its PHP workers hold right now.
// CPU time is not measured: the pool's workers come and go (pm = ondemand) and nothing
// records their CPU per tenant yet.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "cost/estimate.h"
#include "fleet/model.h"

namespace wpfleet::local {

struct TenantUsage {
  std::string tenant;
  double requests = 0;      // in the month, through the public server block
  double bytes_sent = 0;    // in the month, response bodies
  double database_bytes = 0;
  double file_bytes = 0;
  double memory_bytes = 0;  // resident memory of its live PHP workers, now
  // Days since its last request (within the idle window); nullopt: none in it.
  std::optional<int> days_since_request;
  // What its access log covers: its first and last lines (0 when it has none).
  std::int64_t log_first = 0;
  std::int64_t log_last = 0;
};

// Reads the month's usage of `tenants` in the local environment `env`.
Result<std::vector<TenantUsage>> read_usage(BackendContext& ctx, const Environment& env,
                                            const std::vector<std::string>& tenants,
                                            const cost::Month& month, std::int64_t now,
                                            int idle_days);

// "[30/Nov/2026:05:59:01 +0000]" of a combined-format line as unix seconds; -1 if it
// has none.
std::int64_t access_log_time(const std::string& line);

}  // namespace wpfleet::local
