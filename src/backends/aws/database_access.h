// How wpfleet itself reaches an aws environment's database server on db_access =
// "direct" (the database provider and the content commands share it): the endpoint,
// the RDS master user's connection and the tenant's secret its database user takes
// its password from. Defined in database.cc.
#pragma once

#include <memory>

#include "aws/client.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"
#include "backends/aws/tenant_secret.h"
#include "util/mysql_client.h"

namespace wpfleet::aws_backend {

// The server as wpfleet reaches it on "direct": db_host/db_port, else the RDS endpoint.
MysqlEndpoint direct_endpoint(const Environment& env, const PlatformResources& platform);

// A connection as the RDS master user, with the credentials of master_secret.
Result<std::unique_ptr<MysqlClient>> connect_as_master(aws::Client& client, const Environment& env,
                                                       const PlatformResources& platform);

// The tenant's secret, which the database's user takes its password from; an error
// naming the fix when it is missing, has no password or names another database or user.
Result<TenantSecret> tenant_secret(aws::Client& client, const Environment& env,
                                   const TenantNames& names);

}  // namespace wpfleet::aws_backend
