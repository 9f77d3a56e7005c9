// `wpfleet verify`: whether each tenant works, check by check, and what to do when it
// does not. It is the user's verify_deployment.sh (service running, target health, the
// public URL through CloudFront with its basic auth, secrets, recent logs) done through
// the providers of any backend plus HTTP, so it needs no knowledge of `local`.
//
// Also a tenant's logs: verify shows their recent errors and `wpfleet logs` prints them.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "backends/provider.h"
#include "engine/engine.h"
#include "engine/session.h"
#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet {

struct CheckOutcome {
  std::string name;  // runtime, target, edge, database, storage, secrets, site; applied;
                     // unfinished (an apply or operation a crash interrupted)
  bool ok = false;
  std::string detail;  // what was seen
  std::string fix;     // what to do next; empty when ok
};

struct LogExcerpt {
  std::string source;  // e.g. "php-error"
  std::string path;
  std::vector<std::string> lines;
};

struct TenantVerification {
  std::string env;
  std::string tenant;
  std::string url;
  std::vector<CheckOutcome> checks;
  // Checks that did not pass but do not fail the tenant, each with its fix: "admin", when
  // the stored admin password no longer logs in (the client changed it in WordPress).
  std::vector<CheckOutcome> warnings;
  // The last lines of the tenant's error logs. Information only: a tenant whose logs
  // hold errors still passes when its checks do.
  std::vector<LogExcerpt> recent_errors;

  bool ok() const;
};

struct VerifyOptions {
  Scope scope;
  int parallelism = 8;
  std::size_t error_lines = 20;
  // Whether to check that the stored admin password logs in (a WordPress PHP run per
  // tenant, which the watcher's every minute leaves out).
  bool admin_password = true;
};

// Verifies every placement of the fleet in `options.scope`, tenants in parallel, in
// fleet file order. A tenant not applied yet gets one failing check, "applied"; work on
// a tenant left unfinished (the journal's, a content operation's, or a secret rotation
// left pending) fails "unfinished".
Result<std::vector<TenantVerification>> verify_tenants(const Fleet& fleet, Session& session,
                                                       Engine& engine,
                                                       const VerifyOptions& options);

// An apply, delete or content operation on a tenant that has not finished: one a crash
// interrupted leaves the tenant half-made until the next command finishes or undoes it
// (unless a command holding the state lock is doing it right now).
struct Unfinished {
  std::string env;
  std::string tenant;
  std::string what;  // "operation op-... (promote from dev) at step 'swapping'"
};
Result<std::vector<Unfinished>> unfinished_work(StateStore& store);

// A provider's check message says "what is wrong: what to do". Verify shows the two
// apart; the advice is the last part after a ": " (outside parentheses and backquotes)
// that names a `wpfleet` command. Without one, all of it is the problem.
struct Diagnosis {
  std::string problem;
  std::string advice;  // empty when the message gives none
};
Diagnosis split_advice(const std::string& message);

// Whether the edge lets a client at `address` in without the password: it is in one of
// the environment's `allow` ranges. Addresses and ranges are IPv4 or IPv6 ("[::1]" too).
bool skips_password(const EdgePolicy& edge, const std::string& address);

// Every log the backend keeps for the tenant, in provider (apply) order.
Result<std::vector<LogSource>> tenant_log_sources(Engine& engine, const TenantContext& ctx);

// The last `count` lines of a log, oldest first: its reader's, or its file's.
Result<std::vector<std::string>> last_log_lines(const LogSource& source, std::size_t count);

// The last `count` lines of a log file, oldest first, read from its end so that a large
// log costs no more than a small one. A log that does not exist yet has no lines.
Result<std::vector<std::string>> last_log_lines(const std::filesystem::path& path,
                                                std::size_t count);

}  // namespace wpfleet
