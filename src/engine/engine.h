// The engine: observe what exists, plan against the fleet file, apply the plan.
//
// Apply works kind by kind (identity, secrets, database, ... site); within a kind all
// tenants run in parallel, then the kind's providers commit once (one nginx reload for
// a hundred new sites). Tenants are independent: one failing does not stop the others.
// Each tenant's work is journalled; an apply that finds unfinished entries (a crash,
// kill -9) first cleans up what cannot be resumed, then converges as usual.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "engine/plan.h"
#include "engine/session.h"
#include "fleet/model.h"

namespace wpfleet {

using ProgressFn = std::function<void(const std::string& line)>;

struct Scope {
  std::vector<std::string> envs;     // empty = all
  std::vector<std::string> tenants;  // empty = all
  bool prune = false;
};

struct TenantOutcome {
  std::string env;
  std::string tenant;
  int changes = 0;
  std::string error;  // empty = succeeded
};

struct ApplyReport {
  std::vector<TenantOutcome> tenants;
  bool ok() const;
};

struct TenantHealth {
  std::string env;
  std::string tenant;
  std::string url;
  bool applied = false;
  std::string problem;  // empty = healthy
  // Set for a tenant `wpfleet tenant sleep` took offline: said instead of its health.
  std::string asleep;
};

class Engine {
 public:
  Engine(const Fleet& fleet, Session& session);

  // Error for an environment or tenant id the fleet (or the state) does not know.
  Status validate_scope(const Scope& scope) const;

  // Finishes what an interrupted apply or delete left behind (see the header comment);
  // returns the placements whose deletion must be completed.
  Result<std::set<std::pair<std::string, std::string>>> recover(const ProgressFn& progress);

  // `observed`, when given, receives the observed state the plan was made from (what a
  // saved plan carries, see saved_plan.h).
  Result<Plan> plan(const Scope& scope,
                    const std::set<std::pair<std::string, std::string>>& deleting = {},
                    ObservedState* observed = nullptr);
  ApplyReport apply(const Plan& plan, int parallelism, const ProgressFn& progress);

  // Deletes everything of one tenant in one environment (what `apply --prune` does for
  // a tenant removed from the file).
  ApplyReport delete_tenant(const std::string& env, const std::string& tenant,
                            const ProgressFn& progress);

  std::vector<TenantHealth> health(const Scope& scope, int parallelism);

  // Creates or converges one tenant in one environment: apply narrowed to it.
  Status converge_tenant(const std::string& env, const std::string& tenant,
                         const ProgressFn& progress);
  // Runs one resource's ensure() again although its inputs did not change: after a
  // tenant's content was replaced, the site's fleet-owned options and the storage's
  // links must be put back.
  Status refresh(const std::string& env, const std::string& tenant, ResourceKind kind);
  // How to move the environment's tenants' content (made on first use).
  Result<TenantData*> tenant_data(const std::string& env);
  Result<TenantContext> context(const std::string& env, const std::string& tenant) const;

  // The providers of an environment's backend, for what talks to them directly (verify,
  // logs). Safe to call from worker threads.
  Result<Providers*> providers(const std::string& env) { return providers_for(env); }

  // Replaces an environment-wide secret with a new random value and lets every provider
  // that holds a copy or hash of it catch up (basic auth: the password file nginx reads
  // per request, so no request fails). Only secrets wpfleet can rotate are accepted.
  Status rotate_environment_secret(const std::string& env, const std::string& name);

 private:
  Result<ResourceProvider*> provider_for(const std::string& env, ResourceKind kind);
  Result<Providers*> providers_for(const std::string& env);
  Result<ObservedState> observe(const std::vector<Placement>& placements, const Scope& scope);

  const Fleet& fleet_;
  Session& session_;
  BackendContext backend_context_;
  std::mutex providers_mutex_;                  // providers_ is filled from worker threads
  std::map<std::string, Providers> providers_;  // by backend name, made on first use
  std::map<std::string, std::unique_ptr<TenantData>> tenant_data_;  // by backend name
};

// The (env, tenant) pairs that are applied: a tenant counts once its last resource, the
// site, was.
Result<std::set<std::pair<std::string, std::string>>> applied_tenants(StateStore& store);

// Runs job(i) for i in [0, count) on up to `parallelism` threads.
void run_parallel(std::size_t count, int parallelism, const std::function<void(std::size_t)>& job);

}  // namespace wpfleet
