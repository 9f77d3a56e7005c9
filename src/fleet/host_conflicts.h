// The fleet-wide rule that every host name leads to one site.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fleet/model.h"
#include "fleet/toml_reader.h"

namespace wpfleet {

// Where a tenant's values sit in the file, for the checks that compare tenants.
struct TenantSource {
  Position start;  // its [[tenants]] entry
  Position id;
  bool id_valid = false;
  // alias_positions[env][i] is where tenant.aliases[env][i] was written.
  std::map<std::string, std::vector<Position>> alias_positions;
  std::map<std::string, Position> domain_positions;  // of tenant.domains, by environment

  // Where the tenant's host name in `env` comes from: its own domain, else its id.
  const Position& domain_at(const std::string& env) const {
    auto found = domain_positions.find(env);
    return found == domain_positions.end() ? id : found->second;
  }
};

// nginx tells the sites on one listen address apart by host name alone, so within a
// listen address each host name must lead to one tenant in one environment. Tenants with
// an invalid id and environments whose host names are unknown are skipped: they already
// have problems of their own.
void check_host_conflicts(const Fleet& fleet, const std::vector<TenantSource>& sources,
                          const std::set<std::string>& environments_without_hosts,
                          Problems& problems);

}  // namespace wpfleet
