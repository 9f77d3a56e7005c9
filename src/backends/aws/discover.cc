#include "backends/aws/discover.h"

#include <map>

#include "backends/aws/lookups.h"
#include "backends/aws/target_group.h"

namespace wpfleet::aws_backend {

namespace {

// The part of `name` between `prefix` and `suffix`, or "" when it does not fit.
std::string between(const std::string& name, const std::string& prefix, const std::string& suffix) {
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return "";
  }
  return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

// The tenant id a host name stands for under the domain pattern "{tenant}.wpsit.example".
std::string tenant_of_host(const std::string& host, const std::string& domain) {
  const auto at = domain.find("{tenant}");
  if (at == std::string::npos) return "";
  return between(host, domain.substr(0, at), domain.substr(at + 8));
}

// Tenants by what names them: their service, their secret (the user's naming
// convention), then their listener rule's hosts for those already found.
void add_by_name(const std::set<std::string>& names, const std::string& prefix,
                 const std::string& suffix, bool DiscoveredTenant::*what,
                 std::map<std::string, DiscoveredTenant>& found) {
  for (const auto& name : names) {
    const std::string id = between(name, prefix, suffix);
    if (!id.empty()) found[id].*what = true;
  }
}

void add_rules(const std::vector<ListenerRule>& rules, const Environment& env,
               std::map<std::string, DiscoveredTenant>& found) {
  for (const auto& rule : rules) {
    for (const auto& host : rule.hosts) {
      const std::string id = tenant_of_host(host, env.domain);
      if (id.empty() || !found.count(id)) continue;
      DiscoveredTenant& tenant = found[id];
      tenant.priority = rule.priority;
      for (const auto& other : rule.hosts) {
        if (other != host) tenant.aliases.push_back(other);
      }
      break;
    }
  }
}

}  // namespace

Result<std::vector<DiscoveredTenant>> discover_tenants(AwsPlatforms& platforms,
                                                       const Environment& env) {
  TRY_ASSIGN(Connected cloud, platforms.connect(env));
  TRY_ASSIGN(auto services, list_service_names(cloud.client, cloud.platform.cluster_arn));
  TRY_ASSIGN(auto secrets, list_environment_secrets(cloud.client, env.name));
  TRY_ASSIGN(auto rules, list_listener_rules(cloud.client, cloud.platform.listener_arn));
  std::set<std::string> secret_names;
  for (const auto& [name, tags] : secrets) secret_names.insert(name);
  std::map<std::string, DiscoveredTenant> found;
  add_by_name(services, env.name + "-", "-service", &DiscoveredTenant::service, found);
  add_by_name(secret_names, env.name + "-", "-db-credentials", &DiscoveredTenant::secret, found);
  add_rules(rules, env, found);
  std::vector<DiscoveredTenant> tenants;
  for (auto& [id, tenant] : found) {
    tenant.id = id;
    tenants.push_back(std::move(tenant));
  }
  return tenants;
}

}  // namespace wpfleet::aws_backend
