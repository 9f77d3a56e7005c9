#include "fleet/host_conflicts.h"

#include <fmt/format.h>

#include <utility>

namespace wpfleet {

namespace {

// One host name on one listen address, taken by a tenant in an environment.
struct HostClaim {
  std::size_t tenant;  // index into Fleet::tenants
  std::string environment;
  bool is_alias;
};

class ConflictFinder {
 public:
  ConflictFinder(const Fleet& fleet, const std::vector<TenantSource>& sources, Problems& problems)
      : fleet_(fleet), sources_(sources), problems_(problems) {}

  void claim(const std::string& listen, const std::string& host, const HostClaim& claim,
             const Position& at) {
    auto [first, inserted] = claims_.try_emplace({listen, host}, claim);
    if (!inserted) problems_.add(at, describe(host, listen, first->second, claim));
  }

 private:
  std::string describe(const std::string& host, const std::string& listen, const HostClaim& first,
                       const HostClaim& second) const {
    const std::string& first_id = fleet_.tenants[first.tenant].id;
    std::size_t first_line = sources_[first.tenant].start.line;
    if (first.tenant != second.tenant) {
      return fmt::format(
          "host '{}' is claimed by tenant '{}' (line {}) and tenant '{}' (line "
          "{}); give one of them a different alias or domain",
          host, first_id, first_line, fleet_.tenants[second.tenant].id,
          sources_[second.tenant].start.line);
    }
    if (first.environment == second.environment) {
      return fmt::format(
          "host '{}' is claimed twice by tenant '{}' (line {}) in '{}'; remove "
          "the duplicate alias",
          host, first_id, first_line, first.environment);
    }
    std::string fix = second.is_alias ? fmt::format(
                                            "list the alias under one environment only, e.g. "
                                            "aliases = {{ {} = [\"{}\"] }}",
                                            first.environment, host)
                                      : std::string("give the environments different domains");
    return fmt::format(
        "host '{}' is claimed by tenant '{}' (line {}) in both '{}' and '{}', "
        "which share listen address {}; {}",
        host, first_id, first_line, first.environment, second.environment, listen, fix);
  }

  const Fleet& fleet_;
  const std::vector<TenantSource>& sources_;
  Problems& problems_;
  std::map<std::pair<std::string, std::string>, HostClaim> claims_;  // by (listen, host)
};

}  // namespace

void check_host_conflicts(const Fleet& fleet, const std::vector<TenantSource>& sources,
                          const std::set<std::string>& environments_without_hosts,
                          Problems& problems) {
  ConflictFinder finder(fleet, sources, problems);
  for (std::size_t index = 0; index < fleet.tenants.size(); ++index) {
    const Tenant& tenant = fleet.tenants[index];
    const TenantSource& source = sources[index];
    if (!source.id_valid) continue;
    for (const std::string& env_name : tenant.environments) {
      const Environment* env = fleet.find_environment(env_name);
      if (env == nullptr || environments_without_hosts.contains(env_name)) continue;
      std::string listen = env->listen.to_string();
      finder.claim(listen, tenant.host_in(*env), {index, env_name, false},
                   source.domain_at(env_name));
      const std::vector<std::string>& aliases = tenant.aliases_in(env_name);
      for (std::size_t i = 0; i < aliases.size(); ++i) {
        finder.claim(listen, aliases[i], {index, env_name, true},
                     source.alias_positions.at(env_name)[i]);
      }
    }
  }
}

}  // namespace wpfleet
