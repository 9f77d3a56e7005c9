// A tenant's container logs in CloudWatch Logs: the streams "<prefix>/<container>/<task>"
// of the environment's log group, read as one log.
#pragma once

#include "backends/aws/providers.h"

namespace wpfleet::aws_backend {

// The log source of the tenant's web containers ("container-error": PHP and Apache write
// their errors there, so verify shows its last lines).
LogSource container_log_source(const SharedPlatforms& platforms, const TenantContext& ctx);

}  // namespace wpfleet::aws_backend
