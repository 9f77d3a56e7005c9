// The aws backend's providers, one per resource kind, all sharing one AwsPlatforms
// (clients and platform lookups by environment).
#pragma once

#include <memory>

#include "backends/aws/platform.h"
#include "backends/provider.h"
#include "state/store.h"

namespace wpfleet::aws_backend {

using SharedPlatforms = std::shared_ptr<AwsPlatforms>;

// identity: the inline policy {env}-ecs-secrets-access-{tenant} on the execution role.
std::unique_ptr<ResourceProvider> make_identity_provider(SharedPlatforms platforms);
// secrets: the secret {env}-{tenant}-db-credentials.
std::unique_ptr<ResourceProvider> make_secrets_provider(SharedPlatforms platforms);
// database: {tenant}_db and {tenant}_user on the RDS instance (task or direct).
std::unique_ptr<ResourceProvider> make_database_provider(SharedPlatforms platforms);
// storage: the EFS access point /{tenant}.
std::unique_ptr<ResourceProvider> make_storage_provider(SharedPlatforms platforms);
// runtime: the task definition {env}-{tenant} and the service {env}-{tenant}-service,
// scaled to 0 while `store` says the tenant is asleep (no store: never asleep).
std::unique_ptr<ResourceProvider> make_runtime_provider(SharedPlatforms platforms,
                                                        StateStore* store = nullptr);
// route: the target group {env}-{tenant}-tg and its listener rule.
std::unique_ptr<ResourceProvider> make_route_provider(SharedPlatforms platforms);
// site: WordPress installed by a one-off task.
std::unique_ptr<ResourceProvider> make_site_provider(SharedPlatforms platforms);

}  // namespace wpfleet::aws_backend
