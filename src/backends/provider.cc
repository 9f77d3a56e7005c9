#include "backends/provider.h"

namespace wpfleet {

TenantContext make_tenant_context(const Tenant& tenant, const Environment& env) {
  TenantContext ctx{tenant, env, {tenant.host_in(env)}, ""};
  for (const auto& alias : tenant.aliases_in(env.name)) ctx.hosts.push_back(alias);
  // On aws, visitors come through CloudFront, which speaks HTTPS on the default port.
  if (env.aws) {
    ctx.home_url = "https://" + ctx.hosts.front();
    return ctx;
  }
  const std::uint16_t default_port = env.edge.tls ? 443 : 80;
  const std::string port =
      env.listen.port == default_port ? "" : ":" + std::to_string(env.listen.port);
  ctx.home_url = (env.edge.tls ? "https://" : "http://") + ctx.hosts.front() + port;
  return ctx;
}

}  // namespace wpfleet
