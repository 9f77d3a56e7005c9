#include "engine/saved_plan.h"

#include <algorithm>
#include <tuple>

#include "util/crypto.h"

namespace wpfleet {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "wpfleet-plan";
constexpr const char* kRemake = "make it again with `wpfleet plan --out FILE`";

json key_json(const ResourceKey& key) {
  return {{"env", key.env}, {"tenant", key.tenant}, {"resource", kind_name(key.kind)}};
}

// Resources sorted by names, not by the enum's order, so the canonical form does not
// change if a kind is ever added in the middle of the enum.
bool by_names(const ResourceKey& a, const ResourceKey& b) {
  return std::tuple(a.env, a.tenant, kind_name(a.kind)) <
         std::tuple(b.env, b.tenant, kind_name(b.kind));
}

json observed_json(const ObservedState& observed) {
  std::vector<ResourceKey> recorded, existing(observed.existing.begin(), observed.existing.end());
  for (const auto& [key, fingerprint] : observed.recorded) recorded.push_back(key);
  std::sort(recorded.begin(), recorded.end(), by_names);
  std::sort(existing.begin(), existing.end(), by_names);
  json out = {{"recorded", json::array()}, {"existing", json::array()}};
  for (const auto& key : recorded) {
    json entry = key_json(key);
    entry["fingerprint"] = observed.recorded.at(key);
    out["recorded"].push_back(std::move(entry));
  }
  for (const auto& key : existing) out["existing"].push_back(key_json(key));
  return out;
}

Result<ResourceKey> key_from_json(const json& entry) {
  const std::string resource = entry.at("resource").get<std::string>();
  const auto kind = kind_from_name(resource);
  if (!kind) return make_error("unknown resource kind '" + resource + "'");
  return ResourceKey{entry.at("env").get<std::string>(), entry.at("tenant").get<std::string>(),
                     *kind};
}

Result<ActionType> action_from_name(const std::string& name) {
  for (ActionType type : {ActionType::Create, ActionType::Adopt, ActionType::Update, ActionType::Delete}) {
    if (action_name(type) == name) return type;
  }
  return make_error("unknown action '" + name + "'");
}

// The fields of a document already known to be a saved plan of our version; nlohmann's
// exceptions (a field missing or of the wrong type) are turned into an Error here.
Result<SavedPlan> read_fields(const json& doc) {
  SavedPlan saved;
  try {
    saved.fleet_sha256 = doc.at("fleet_sha256").get<std::string>();
    saved.created_at = doc.value("created_at", "");
    const json& scope = doc.at("scope");
    saved.envs = scope.at("envs").get<std::vector<std::string>>();
    saved.tenants = scope.at("tenants").get<std::vector<std::string>>();
    saved.prune = scope.at("prune").get<bool>();
    for (const json& entry : doc.at("observed").at("recorded")) {
      TRY_ASSIGN(ResourceKey key, key_from_json(entry));
      saved.observed.recorded[key] = entry.at("fingerprint").get<std::string>();
    }
    for (const json& entry : doc.at("observed").at("existing")) {
      TRY_ASSIGN(ResourceKey key, key_from_json(entry));
      saved.observed.existing.insert(key);
    }
    for (const json& entry : doc.at("changes")) {
      TRY_ASSIGN(ActionType type, action_from_name(entry.at("action").get<std::string>()));
      TRY_ASSIGN(ResourceKey key, key_from_json(entry));
      saved.plan.actions.push_back({type, std::move(key), entry.at("reason").get<std::string>()});
    }
    for (const json& entry : doc.at("orphans")) {
      saved.plan.orphans.emplace_back(entry.at("env").get<std::string>(),
                                      entry.at("tenant").get<std::string>());
    }
    if (doc.at("observed_sha256").get<std::string>() != observed_sha256(saved.observed)) {
      return make_error(
          "its observed state does not match its observed_sha256 (it was edited after "
          "`wpfleet plan --out` wrote it)");
    }
  } catch (const json::exception& e) {
    return make_error(std::string("a field is missing or wrong (") + e.what() + ")");
  }
  return saved;
}
}  // namespace

std::string observed_sha256(const ObservedState& observed) {
  // Each line is a JSON array: names can hold no character that would make two
  // different states print alike.
  std::vector<std::string> lines;
  for (const auto& [key, fingerprint] : observed.recorded) {
    lines.push_back(json::array({"recorded", key.env, key.tenant, kind_name(key.kind), fingerprint}).dump());
  }
  for (const auto& key : observed.existing) {
    lines.push_back(json::array({"existing", key.env, key.tenant, kind_name(key.kind)}).dump());
  }
  std::sort(lines.begin(), lines.end());
  std::string canonical = "wpfleet observed state 1\n";
  for (const auto& line : lines) canonical += line + "\n";
  return sha256_hex(canonical);
}

json plan_json(const Plan& plan) {
  json changes = json::array();
  for (const auto& a : plan.actions) {
    json change = key_json(a.key);
    change["action"] = action_name(a.type);
    change["reason"] = a.reason;
    changes.push_back(std::move(change));
  }
  json orphans = json::array();
  for (const auto& [env, tenant] : plan.orphans) orphans.push_back({{"env", env}, {"tenant", tenant}});
  return {{"changes", changes}, {"orphans", orphans}};
}

std::string saved_plan_json(const SavedPlan& saved) {
  json doc = plan_json(saved.plan);
  doc["format"] = kFormat;
  doc["version"] = kSavedPlanVersion;
  doc["wpfleet_version"] = WPFLEET_VERSION;
  doc["created_at"] = saved.created_at;
  doc["fleet_sha256"] = saved.fleet_sha256;
  doc["scope"] = {{"envs", saved.envs}, {"tenants", saved.tenants}, {"prune", saved.prune}};
  doc["observed"] = observed_json(saved.observed);
  doc["observed_sha256"] = observed_sha256(saved.observed);
  return doc.dump(2) + "\n";
}

Result<SavedPlan> parse_saved_plan(const std::string& text) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return make_error("it is not JSON, so not a plan `wpfleet plan --out` wrote: " +
                      std::string(kRemake));
  }
  if (!doc.is_object() || doc.value("format", json()) != kFormat) {
    return make_error("it is JSON but not a saved plan (no \"format\": \"" + std::string(kFormat) +
                      "\"): give the file `wpfleet plan --out` wrote");
  }
  const json version = doc.value("version", json());
  if (version != kSavedPlanVersion) {
    return make_error("it is a saved plan of version " + version.dump() + ", this wpfleet (" +
                      WPFLEET_VERSION + ") applies version " + std::to_string(kSavedPlanVersion) +
                      ": " + kRemake + " with this wpfleet");
  }
  auto saved = read_fields(doc);
  if (!saved) return make_error(saved.error().message + ": " + kRemake);
  return saved;
}

std::string ObservedChange::describe() const {
  std::string line = key.env + "/" + key.tenant + " " + std::string(kind_name(key.kind)) + ": ";
  for (std::size_t i = 0; i < what.size(); ++i) line += (i ? ", " : "") + what[i];
  return line;
}

std::vector<ObservedChange> observed_changes(const ObservedState& then, const ObservedState& now) {
  std::set<ResourceKey> keys(then.existing.begin(), then.existing.end());
  keys.insert(now.existing.begin(), now.existing.end());
  for (const auto& [key, fingerprint] : then.recorded) keys.insert(key);
  for (const auto& [key, fingerprint] : now.recorded) keys.insert(key);

  std::vector<ObservedChange> out;
  for (const auto& key : keys) {
    ObservedChange change{key, {}};
    const bool existed = then.existing.count(key) > 0, exists = now.existing.count(key) > 0;
    if (!existed && exists) change.what.push_back("appeared");
    if (existed && !exists) change.what.push_back("disappeared");
    const auto before = then.recorded.find(key), after = now.recorded.find(key);
    const bool was_recorded = before != then.recorded.end(), is_recorded = after != now.recorded.end();
    if (!was_recorded && is_recorded) change.what.push_back("recorded by wpfleet (applied since)");
    if (was_recorded && !is_recorded) change.what.push_back("no longer recorded by wpfleet (deleted since)");
    if (was_recorded && is_recorded && before->second != after->second) {
      change.what.push_back("fingerprint changed (applied since with other settings)");
    }
    if (!change.what.empty()) out.push_back(std::move(change));
  }
  std::sort(out.begin(), out.end(),
            [](const ObservedChange& a, const ObservedChange& b) { return by_names(a.key, b.key); });
  return out;
}

bool same_plan(const Plan& a, const Plan& b) {
  const auto same_action = [](const Action& x, const Action& y) {
    return x.type == y.type && x.key == y.key && x.reason == y.reason;
  };
  return a.orphans == b.orphans &&
         std::equal(a.actions.begin(), a.actions.end(), b.actions.begin(), b.actions.end(), same_action);
}

}  // namespace wpfleet
