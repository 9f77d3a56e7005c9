#include "fleet/model.h"

#include <algorithm>

namespace wpfleet {

namespace {

constexpr std::string_view kTenantPlaceholder = "{tenant}";

// An empty filter selects everything.
bool selected(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

}  // namespace

std::string Environment::host_for(const std::string& tenant_id) const {
  std::string host = domain;
  if (auto at = host.find(kTenantPlaceholder); at != std::string::npos) {
    host.replace(at, kTenantPlaceholder.size(), tenant_id);
  }
  return host;
}

AliasMode default_alias_mode(const std::string& alias, const std::string& canonical) {
  return alias == "www." + canonical ? AliasMode::Redirect : AliasMode::Served;
}

std::string Tenant::host_in(const Environment& env) const {
  auto own = domains.find(env.name);
  return own == domains.end() ? env.host_for(id) : own->second;
}

AliasMode Tenant::alias_mode(const Environment& env, const std::string& alias) const {
  if (auto stated = alias_modes.find(env.name); stated != alias_modes.end()) {
    if (auto mode = stated->second.find(alias); mode != stated->second.end()) return mode->second;
  }
  return default_alias_mode(alias, host_in(env));
}

const std::vector<std::string>& Tenant::aliases_in(const std::string& env) const {
  static const std::vector<std::string> kNone;
  auto found = aliases.find(env);
  return found == aliases.end() ? kNone : found->second;
}

const Environment* Fleet::find_environment(const std::string& name) const {
  auto found = environments.find(name);
  return found == environments.end() ? nullptr : &found->second;
}

const Tenant* Fleet::find_tenant(const std::string& id) const {
  auto found = std::find_if(tenants.begin(), tenants.end(),
                            [&](const Tenant& tenant) { return tenant.id == id; });
  return found == tenants.end() ? nullptr : &*found;
}

std::vector<Placement> placements(const Fleet& fleet, const std::vector<std::string>& only_envs,
                                  const std::vector<std::string>& only_tenants) {
  std::vector<Placement> result;
  for (const Tenant& tenant : fleet.tenants) {
    if (!selected(only_tenants, tenant.id)) continue;
    for (const std::string& env_name : tenant.environments) {
      const Environment* env = fleet.find_environment(env_name);
      if (env != nullptr && selected(only_envs, env_name)) result.push_back({&tenant, env});
    }
  }
  return result;
}

}  // namespace wpfleet
