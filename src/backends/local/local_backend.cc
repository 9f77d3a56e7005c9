#include "backends/local/local_backend.h"

#include <unistd.h>

#include "backends/local/database.h"
#include "backends/local/identity.h"
#include "backends/local/route.h"
#include "backends/local/runtime.h"
#include "backends/local/secrets.h"
#include "backends/local/site.h"
#include "backends/local/storage.h"

namespace wpfleet::local {

bool isolated_users() { return geteuid() == 0; }

Providers make_local_providers(BackendContext& ctx) {
  Providers providers;
  auto reloads = std::make_shared<Reloads>(ctx.layout);
  if (isolated_users()) providers.push_back(std::make_unique<IdentityProvider>(ctx));
  providers.push_back(std::make_unique<SecretsProvider>(ctx));
  providers.push_back(std::make_unique<DatabaseProvider>(ctx));
  providers.push_back(std::make_unique<StorageProvider>(ctx));
  providers.push_back(std::make_unique<RuntimeProvider>(ctx, reloads));
  providers.push_back(std::make_unique<RouteProvider>(ctx, reloads));
  providers.push_back(std::make_unique<SiteProvider>(ctx, reloads));
  return providers;
}

}  // namespace wpfleet::local
