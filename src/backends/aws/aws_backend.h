// The `aws` backend: the user's ECS Fargate, RDS, EFS, ALB and Secrets Manager platform,
// in the account and region each environment's [environments.<name>.aws] names.
#pragma once

#include "backends/registry.h"

namespace wpfleet::aws_backend {

Providers make_aws_providers(BackendContext& ctx);
std::unique_ptr<TenantData> make_aws_tenant_data(BackendContext& ctx);

}  // namespace wpfleet::aws_backend
