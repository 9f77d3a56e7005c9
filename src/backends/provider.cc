#include "backends/provider.h"

namespace wpfleet {

TenantContext make_tenant_context(const Tenant& tenant, const Environment& env) {
  TenantContext ctx{tenant, env, {env.host_for(tenant.id)}, ""};
  for (const auto& alias : tenant.aliases_in(env.name)) ctx.hosts.push_back(alias);
  const std::string port = env.listen.port == 80 ? "" : ":" + std::to_string(env.listen.port);
  ctx.home_url = "http://" + ctx.hosts.front() + port;
  return ctx;
}

}  // namespace wpfleet
