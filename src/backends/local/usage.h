// What each tenant of a local environment used in a month, measured on this machine:
// requests and bytes sent (its public nginx access log, which also tells how long it has
// been idle), database bytes (information_schema), file bytes (its wp-content, walked by
// descriptor: the tree is the tenant's), the time its pool spent on PHP requests (the
// durations in the pool's own access log: wall clock, so an upper bound of CPU time, as
// the pool's log format records no CPU), and the memory its PHP workers hold right now.
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
  double php_requests = 0;  // in the month, as its pool logged them
  double php_seconds = 0;   // their durations added up
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

// A line of the pool's access log ("2026-11-30T05:59:01+0000 GET /index.php 200
// 12.345ms"): its time (-1 if it has none) and its duration in seconds.
struct PoolLogLine {
  std::int64_t time = -1;
  double seconds = 0;
};
PoolLogLine parse_pool_log_line(const std::string& line);

}  // namespace wpfleet::local
