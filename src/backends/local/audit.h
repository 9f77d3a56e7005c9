// `wpfleet audit` on `local`: whether each tenant is really confined. For every tenant
// it (1) runs the PHP probe through the tenant's own pool, (2) tries the same reads as
// the tenant's Unix user outside PHP (what code that escaped PHP would have), and
// (3) checks from outside the modes, owners, grants and settings the isolation rests on.
// The model it checks is ARCHITECTURE.md's "Isolation".
#pragma once

#include <string>
#include <vector>

#include "backends/registry.h"

namespace wpfleet::local {

struct AuditCheck {
  std::string name;    // e.g. "php:functions", "unix:foreign-files", "grants"
  bool ok = false;
  std::string detail;  // what was found; for a failure, what is wrong and how to fix it
};

struct TenantAudit {
  std::string env;
  std::string tenant;
  std::vector<AuditCheck> checks;
  bool ok() const;
};

// The platform's own files (state, key, logs, cache), checked once.
std::vector<AuditCheck> audit_platform(const BackendContext& ctx);

// `audited` are the tenants to probe; `everyone` all tenants of the state directory,
// whose files and databases each audited tenant must not reach.
std::vector<TenantAudit> audit_tenants(BackendContext& ctx,
                                       const std::vector<TenantContext>& audited,
                                       const std::vector<TenantContext>& everyone);

}  // namespace wpfleet::local
