#include "backends/aws/aws_backend.h"

#include <mutex>

#include "backends/aws/providers.h"
#include "backends/aws/tenant_data.h"

namespace wpfleet::aws_backend {

namespace {

// The providers and the content commands of a process share one AwsPlatforms while
// either lives, so that a command looks each environment's platform up once.
SharedPlatforms shared_platforms() {
  static std::mutex mutex;
  static std::weak_ptr<AwsPlatforms> shared;
  std::lock_guard lock(mutex);
  if (SharedPlatforms alive = shared.lock()) return alive;
  auto made = std::make_shared<AwsPlatforms>(aws::Environment::current());
  shared = made;
  return made;
}

}  // namespace

Providers make_aws_providers(BackendContext& ctx) {
  SharedPlatforms platforms = shared_platforms();
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
  return std::make_unique<AwsTenantData>(shared_platforms());
}

}  // namespace wpfleet::aws_backend
