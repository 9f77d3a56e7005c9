// A plan saved by `wpfleet plan --out FILE`, for `wpfleet apply FILE` to apply later,
// exactly: a reviewer approves the file, and apply must not do anything else. So the
// file carries what the plan was made from: the fleet file's hash, the scope, and the
// observed state (wpfleet's records with their fingerprints, and what the backends
// saw existing) with its hash. Apply observes again and refuses when either changed,
// naming each resource that differs. Pure: no I/O.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "util/result.h"

namespace wpfleet {

inline constexpr int kSavedPlanVersion = 1;

struct SavedPlan {
  std::string fleet_sha256;          // of the fleet file's bytes
  std::vector<std::string> envs;     // the scope the plan was made for (empty = all)
  std::vector<std::string> tenants;  // (empty = all)
  bool prune = false;
  ObservedState observed;
  Plan plan;
  std::string created_at;            // UTC, ISO 8601; for people, not checked
};

// SHA-256 of the observed state in a canonical form: one line per resource, sorted by
// environment, tenant and kind name, so the same state always gives the same hash
// whatever order the backends answered in.
std::string observed_sha256(const ObservedState& observed);

// The plan's actions and orphans as `plan --output json` shows them.
nlohmann::json plan_json(const Plan& plan);

std::string saved_plan_json(const SavedPlan& saved);
// Errors say what is wrong with the file (not JSON, another format or version, a field
// missing, an observed state that does not match its hash) and to make it again.
Result<SavedPlan> parse_saved_plan(const std::string& text);

// One resource whose observed state differs between when the plan was made and now.
struct ObservedChange {
  ResourceKey key;
  std::vector<std::string> what;  // "appeared", "disappeared", "recorded by wpfleet", ...
  std::string describe() const;   // "dev/alpha site: appeared, recorded by wpfleet"
};
std::vector<ObservedChange> observed_changes(const ObservedState& then, const ObservedState& now);

// Whether two plans do the same: the same actions (type, resource, reason) in the same
// order and the same orphans.
bool same_plan(const Plan& a, const Plan& b);

}  // namespace wpfleet
