// The planner: desired state (from the fleet file) against observed state (wpfleet's
// records plus what the backends see really exists) -> the actions that converge them.
// Pure: no I/O, so it is unit-tested directly and fast for thousands of tenants.
#pragma once

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "backends/resource.h"

namespace wpfleet {

struct ResourceKey {
  std::string env;
  std::string tenant;
  ResourceKind kind;
  auto operator<=>(const ResourceKey&) const = default;
};

struct DesiredResource {
  ResourceKey key;
  std::string fingerprint;
};

struct ObservedState {
  std::map<ResourceKey, std::string> recorded;  // what wpfleet applied, with fingerprints
  std::set<ResourceKey> existing;               // what the backends see right now
};

enum class ActionType { Create, Adopt, Update, Delete };
std::string_view action_name(ActionType type);

struct Action {
  ActionType type;
  ResourceKey key;
  std::string reason;
};

struct PlanOptions {
  bool prune = false;  // delete tenants wpfleet manages that the fleet no longer lists
  // Tenants whose deletion was started and must be finished whatever `prune` says.
  std::set<std::pair<std::string, std::string>> deleting;
};

struct Plan {
  std::vector<Action> actions;       // creates/updates in apply order, then deletes
  // Managed (env, tenant) pairs no longer in the fleet, left alone without --prune.
  std::vector<std::pair<std::string, std::string>> orphans;
  bool empty() const { return actions.empty(); }
};

// `desired` must list, for every (env, tenant) it names, every kind the env's backend
// provides (a backend without a kind simply leaves it out).
Plan make_plan(const std::vector<DesiredResource>& desired, const ObservedState& observed,
               const PlanOptions& options);

}  // namespace wpfleet
