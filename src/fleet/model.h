// The desired state: what the fleet file says should exist. Plain data, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wpfleet {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct PhpLimits {
  int max_children = 5;          // pm.max_children of each tenant's pool
  int memory_limit_mb = 256;     // php memory_limit
  int upload_max_mb = 64;        // upload_max_filesize / post_max_size
  int idle_timeout_s = 10;       // pm.process_idle_timeout: idle workers exit after this
};

// What stands in front of an environment's sites: the user's CloudFront + Lambda@Edge
// basic auth, caching and TLS, done by the edge (nginx on `local`).
struct EdgePolicy {
  std::optional<std::string> basic_auth_user;  // set = a password is required
  std::vector<std::string> allow;              // CIDRs that skip the password
  int page_cache_s = 0;                        // anonymous full-page micro-cache; 0 = off
  bool tls = false;                            // HTTPS with a wpfleet-made certificate
};

// Run after content arrives in an environment by promotion, e.g. to scrub customer
// data in staging. Written `sql: UPDATE ...` or `php: ...` in the fleet file.
struct Hook {
  enum class Language { Sql, Php } language;
  std::string code;
};

struct Environment {
  std::string name;              // "dev", "sit", "prod"
  std::string backend = "local";
  std::string domain;            // pattern with "{tenant}", e.g. "{tenant}.wpdev.localhost"
  ListenAddress listen;
  PhpLimits php;
  bool production = false;
  EdgePolicy edge;
  std::vector<Hook> after_promote;
  int snapshot_retention = 10;  // snapshots kept per tenant; older ones are deleted

  // The tenant's primary host name in this environment.
  std::string host_for(const std::string& tenant_id) const;
};

struct Tenant {
  std::string id;                        // a DNS label, unique in the fleet
  std::string title;                     // WordPress site title
  std::string admin_email;
  std::vector<std::string> environments; // names of environments it runs in
  // Extra host names per environment name. In the file, `aliases = ["a", "b"]` applies
  // to every environment of the tenant; `aliases = { prod = ["a"] }` to the named ones.
  std::map<std::string, std::vector<std::string>> aliases;

  const std::vector<std::string>& aliases_in(const std::string& env) const;
};

struct Fleet {
  std::string source_path;                        // the fleet file it was read from
  std::map<std::string, Environment> environments; // by name
  std::vector<Tenant> tenants;                    // in file order

  const Environment* find_environment(const std::string& name) const;
  const Tenant* find_tenant(const std::string& id) const;
};

// One tenant in one environment: the unit that plan and apply work on.
struct Placement {
  const Tenant* tenant;
  const Environment* environment;
};

// Every (tenant, environment) pair the fleet asks for, in file order, optionally
// narrowed to some environments and tenant ids (empty = all).
std::vector<Placement> placements(const Fleet& fleet,
                                  const std::vector<std::string>& only_envs = {},
                                  const std::vector<std::string>& only_tenants = {});

}  // namespace wpfleet
