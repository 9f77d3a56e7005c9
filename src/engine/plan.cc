#include "engine/plan.h"

#include <algorithm>

namespace wpfleet {

std::string_view action_name(ActionType type) {
  switch (type) {
    case ActionType::Create: return "create";
    case ActionType::Adopt: return "adopt";
    case ActionType::Update: return "update";
    case ActionType::Delete: return "delete";
  }
  return "?";
}

namespace {
using Placement = std::pair<std::string, std::string>;

int apply_rank(ResourceKind kind) {
  return static_cast<int>(std::find(kApplyOrder.begin(), kApplyOrder.end(), kind) -
                          kApplyOrder.begin());
}

std::optional<Action> converge(const DesiredResource& want, const ObservedState& observed) {
  const auto recorded = observed.recorded.find(want.key);
  const bool exists = observed.existing.count(want.key) > 0;
  const bool managed = recorded != observed.recorded.end();
  if (!exists) {
    return Action{ActionType::Create, want.key,
                  managed ? "was applied before but is missing or was changed outside wpfleet: "
                            "restore"
                          : "new"};
  }
  if (!managed) return Action{ActionType::Adopt, want.key, "exists already: adopt"};
  if (recorded->second != want.fingerprint) {
    return Action{ActionType::Update, want.key, "configuration changed"};
  }
  return std::nullopt;
}

// A resource that had to be created from scratch invalidates what was built from it
// (a recreated secret means a new DB password, so the DB user and the config must be
// converged again), so every later kind of that tenant is converged too.
void cascade_recreations(std::vector<Action>& actions, const std::vector<DesiredResource>& desired) {
  std::map<Placement, int> first_create;  // placement -> rank of its earliest Create
  for (const auto& action : actions) {
    if (action.type != ActionType::Create) continue;
    Placement placement{action.key.env, action.key.tenant};
    const int rank = apply_rank(action.key.kind);
    auto [it, inserted] = first_create.emplace(placement, rank);
    if (!inserted) it->second = std::min(it->second, rank);
  }
  std::set<ResourceKey> planned;
  for (const auto& action : actions) planned.insert(action.key);
  for (const auto& want : desired) {
    auto it = first_create.find({want.key.env, want.key.tenant});
    if (it == first_create.end() || apply_rank(want.key.kind) <= it->second) continue;
    if (planned.count(want.key)) continue;
    actions.push_back(Action{ActionType::Update, want.key,
                             std::string("rebuilt after ") +
                                 std::string(kind_name(kApplyOrder[it->second])) +
                                 " is recreated"});
  }
}

std::vector<Action> deletions(const Placement& placement, const ObservedState& observed) {
  std::vector<Action> out;
  for (const auto& [key, fingerprint] : observed.recorded) {
    if (key.env == placement.first && key.tenant == placement.second) {
      out.push_back(Action{ActionType::Delete, key, "not in the fleet file"});
    }
  }
  return out;
}
}  // namespace

Plan make_plan(const std::vector<DesiredResource>& desired, const ObservedState& observed,
               const PlanOptions& options) {
  Plan plan;
  std::set<Placement> wanted;
  for (const auto& want : desired) wanted.insert({want.key.env, want.key.tenant});

  for (const auto& want : desired) {
    if (options.deleting.count({want.key.env, want.key.tenant})) continue;
    if (auto action = converge(want, observed)) plan.actions.push_back(std::move(*action));
  }
  cascade_recreations(plan.actions, desired);

  std::set<Placement> managed;
  for (const auto& [key, fingerprint] : observed.recorded) managed.insert({key.env, key.tenant});
  std::vector<Action> deletes;
  for (const auto& placement : managed) {
    const bool finishing = options.deleting.count(placement) > 0;
    if (wanted.count(placement) && !finishing) continue;
    if (!options.prune && !finishing) {
      plan.orphans.push_back(placement);
      continue;
    }
    auto more = deletions(placement, observed);
    deletes.insert(deletes.end(), more.begin(), more.end());
  }

  // Creates/updates run in apply order; deletes in reverse.
  std::stable_sort(plan.actions.begin(), plan.actions.end(), [](const Action& a, const Action& b) {
    return std::tie(a.key.env, a.key.tenant) < std::tie(b.key.env, b.key.tenant) ||
           (std::tie(a.key.env, a.key.tenant) == std::tie(b.key.env, b.key.tenant) &&
            apply_rank(a.key.kind) < apply_rank(b.key.kind));
  });
  std::stable_sort(deletes.begin(), deletes.end(), [](const Action& a, const Action& b) {
    return apply_rank(a.key.kind) > apply_rank(b.key.kind);
  });
  plan.actions.insert(plan.actions.end(), deletes.begin(), deletes.end());
  return plan;
}

}  // namespace wpfleet
