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
  std::string support_dir;     // wpfleet's sendmail and audit probe (StateLayout::php_support_dir)
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
  // What the must-use plugin (mu_plugin.php) needs so that WordPress's requests to the
  // tenant's own host names reach the platform's listener.
  std::vector<std::string> hosts;
  ListenAddress listen;
  std::string trusted_ca;          // the CA certificate of TLS environments, else empty
};

// The tenant's wp-config (loaded by core's wp-config.php through WPFLEET_SITE_CONFIG).
std::string render_site_config(const SiteConfigInput& in);

// wpfleet's must-use plugin, in SiteFiles::support_dir under this name: every tenant's
// wp-config loads it (a file in the tenant's own mu-plugins directory would be the
// tenant's to change or remove).
inline constexpr char kMuPluginFile[] = "mu-plugin.php";
const char* mu_plugin_php();

struct PoolInput {
  SiteFiles files;
  std::string pool_name;
  std::optional<std::string> unix_user;   // set when tenants have their own users
  std::optional<std::string> web_group;   // the group nginx workers run as
  PhpLimits php;
  bool production = false;                // mail leaves the machine only in production
};

std::string render_pool(const PoolInput& in);

// The functions no tenant PHP may call: everything that starts or signals a process,
// changes the environment a child would inherit (putenv + mail() = LD_PRELOAD), loads
// native code (dl, FFI) or makes links that the web server or root could be led along.
// Checked against the lists hardened shared hosts disable.
const std::vector<std::string>& disabled_php_functions();
// Those functions as php.ini's disable_functions lists them.
std::string disable_functions_value();

struct PhpSetting {
  std::string name;
  std::string value;
};

// What a pool file sets with php_admin_value/php_admin_flag, in order. php-cli runs of
// the tenant's PHP (installer, cron, hooks) pass exactly these with -d, so tenant code
// is confined the same way wherever it runs.
std::vector<PhpSetting> pool_php_settings(const std::string& pool_file_text);

// The core a pool file runs (render_pool writes it as this line); none in a pool written
// before environments chose their core, which ran Debian's.
inline constexpr char kPoolCoreSetting[] = "env[WPFLEET_CORE] = ";
std::optional<std::string> pool_core_dir(const std::string& pool_file_text);

// The sendmail program tenant PHP's mail() pipes into (sendmail_path): it keeps the
// message in the tenant's mail log (`wpfleet logs`), or in production hands it to the
// machine's MTA when one is installed.
std::string render_sendmail_program();

struct NginxSiteInput {
  SiteFiles files;
  std::string pool_name;
  std::string env_name;
  ListenAddress listen;
  std::vector<std::string> hosts;      // the canonical host first, then the aliases
  std::vector<std::string> redirected; // those of hosts that answer 301 to the canonical one
  std::string log_dir;
  int upload_max_mb = 64;
  bool production = false;
  EdgePolicy edge;
  std::string direct_socket;           // the environment's edge-bypassing listener
  std::string credentials_file;        // with edge.basic_auth_user: see render_credentials
  std::string certificate_file;        // with edge.tls
  std::string certificate_key_file;
  bool asleep = false;                 // `tenant sleep`: every request gets the asleep page
};

// The tenant's server blocks: the public one (with the environment's edge policy), one
// redirecting the redirected aliases to the canonical host, and the direct one.
std::string render_nginx_site(const NginxSiteInput& in);

// What goes at nginx's http level for an environment: the page cache zone and the
// addresses that skip the password, if any.
std::string render_nginx_environment(const std::string& env_name, const EdgePolicy& edge,
                                     const std::string& cache_dir);

// The basic auth gate's secret, included by every server block of the environment:
// nginx's secure_link compares the MD5 of the request's Authorization header with the
// hash of "Basic base64(user:password)" (the environment's map, from
// render_nginx_environment, first normalises the scheme's spelling). nginx holds only that hash, reads it once per
// reload (auth_basic_user_file is read on every request: a third of the throughput),
// and the password is 32 random characters, so the hash cannot be reversed.
std::string render_credentials(const std::string& env_name, const std::string& user,
                               const std::string& password);

}  // namespace wpfleet::local
