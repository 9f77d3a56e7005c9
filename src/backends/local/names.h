// How the local backend names a tenant's things. Environments share one MariaDB server
// and one Unix user database, so names carry the environment too (on AWS each
// environment has its own RDS instance and the user's plain `{tenant}_db` is used).
#pragma once

#include <string>

#include "backends/wordpress_install.h"  // kAdminUser, which every backend installs
#include "platform/layout.h"

namespace wpfleet::local {

// Tenant ids may contain '-', which SQL names would need quoting for; ids never
// contain '_', so mapping '-' to '_' keeps names unique.
std::string database_name(const std::string& env, const std::string& tenant);  // dev_goldencrust_db
std::string database_user(const std::string& env, const std::string& tenant);  // dev_goldencrust_user

// Unix user names are limited to 32 characters and must be unique per state directory,
// environment and tenant (two state dirs on one machine must not share users), so they
// are a hash: wpf_<12 hex>. The GECOS field says whose it is.
std::string unix_user(const StateLayout& layout, const std::string& env,
                      const std::string& tenant);

// The php-fpm pool, its socket and the nginx site file share one name: <env>--<tenant>.
std::string pool_name(const std::string& env, const std::string& tenant);

inline const char* kTablePrefix = "wp_";

}  // namespace wpfleet::local
