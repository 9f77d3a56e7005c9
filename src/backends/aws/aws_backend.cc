#include "backends/aws/aws_backend.h"

#include "backends/aws/providers.h"
#include "backends/aws/tenant_data.h"

namespace wpfleet::aws_backend {

Providers make_aws_providers(BackendContext& ctx) {
  auto platforms = std::make_shared<AwsPlatforms>(aws::Environment::current());
  Providers providers;
  providers.push_back(make_identity_provider(platforms));
  providers.push_back(make_secrets_provider(platforms));
  providers.push_back(make_database_provider(platforms));
  providers.push_back(make_storage_provider(platforms));
  providers.push_back(make_runtime_provider(platforms, &ctx.store));
  providers.push_back(make_route_provider(platforms));
  providers.push_back(make_site_provider(platforms));
  return providers;
}

std::unique_ptr<TenantData> make_aws_tenant_data(BackendContext& /*ctx*/) {
  return std::make_unique<AwsTenantData>(std::make_shared<AwsPlatforms>(aws::Environment::current()));
}

}  // namespace wpfleet::aws_backend
