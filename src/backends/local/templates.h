// The configuration files the local backend writes for a tenant, rendered from plain
// inputs (pure functions, so they are unit-tested without servers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fleet/model.h"

namespace wpfleet::local {

struct SiteFiles {
  std::string site_dir;        // <state>/sites/<env>/<tenant>
  std::string core_dir;        // shared WordPress core
  std::string mariadb_socket;
  std::string pool_socket;
};

struct SiteConfigInput {
  SiteFiles files;
  std::string tenant_id;
  std::string env_name;
  bool production = false;
  std::string home_url;
  std::string db_name;
  std::string db_user;
  std::string db_password;
  std::vector<std::string> salts;  // 8 values
};

// The tenant's wp-config (loaded by core's wp-config.php through WPFLEET_SITE_CONFIG).
std::string render_site_config(const SiteConfigInput& in);

struct PoolInput {
  SiteFiles files;
  std::string pool_name;
  std::optional<std::string> unix_user;   // set when tenants have their own users
  std::optional<std::string> web_group;   // the group nginx workers run as
  PhpLimits php;
};

std::string render_pool(const PoolInput& in);

struct NginxSiteInput {
  SiteFiles files;
  std::string pool_name;
  ListenAddress listen;
  std::vector<std::string> hosts;
  std::string log_dir;
  int upload_max_mb = 64;
};

std::string render_nginx_site(const NginxSiteInput& in);

// A PHP string literal for `value` (single-quoted, escaped).
std::string php_string(const std::string& value);

}  // namespace wpfleet::local
