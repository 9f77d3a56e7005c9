// A tenant's container logs in CloudWatch Logs: the streams "<prefix>/<container>/<task>"
// of the environment's log group, read as one log.
#pragma once

#include "backends/aws/providers.h"

namespace wpfleet::aws_backend {

// The logs of the tenant's web containers: "container" (everything Apache and PHP
// write) and "container-error" (the lines that report errors, which verify shows).
std::vector<LogSource> container_log_sources(const SharedPlatforms& platforms,
                                             const TenantContext& ctx);

}  // namespace wpfleet::aws_backend
