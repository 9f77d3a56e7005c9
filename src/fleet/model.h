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
  // Where a client on this machine connects to reach the listener: an address (as
  // libcurl's connect-to wants one), so a wildcard or "localhost" is reached at loopback.
  std::string connect_host() const {
    return host == "0.0.0.0" || host == "localhost" ? "127.0.0.1" : host;
  }
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

// Where and how an environment on the `aws` backend lives: the account, region and
// network it uses, and the names of the platform resources the user's Terraform made.
// Name patterns are stored with "{env}" already replaced by the environment's name.
struct AwsSettings {
  enum class DbAccess {
    Task,    // a one-off Fargate task runs the SQL (RDS in private subnets)
    Direct,  // wpfleet connects itself (inside the VPC or through a tunnel)
  };

  std::string region;
  std::string account_id;               // the credentials must belong to this account
  std::optional<std::string> profile;   // of ~/.aws/config|credentials
  std::optional<std::string> role_arn;  // assumed with STS for this environment
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::string cluster;
  std::string alb;
  int listener_port = 80;
  std::string rds_instance;
  std::string master_secret;
  std::string efs;
  std::string execution_role;
  std::string log_group;
  std::string image = "wordpress:latest";
  int cpu = 256;     // Fargate CPU units
  int memory = 512;  // MiB
  DbAccess db_access = DbAccess::Task;
  std::optional<std::string> db_host;  // direct: overrides the RDS endpoint
  std::optional<int> db_port;
  std::string db_init_task_definition;
  // Where content moving in and out waits; S3's names are global, so a name another
  // account took needs another pattern here.
  std::string transfer_bucket;
  enum class FilesAccess {
    Task,    // one-off Fargate tasks with the EFS mounted, through the transfer bucket
    Direct,  // the environment's EFS is mounted on the machine running wpfleet
  };
  FilesAccess files_access = FilesAccess::Task;
  std::optional<std::string> efs_mount;  // direct: where the EFS root is mounted
};

// Backups of every tenant of an environment, on a schedule the supervisor keeps:
// `backup = { every = "24h", keep = 14, to = "/var/backups/wpfleet" }`.
struct BackupPolicy {
  int every_s = 86400;
  int keep = 14;     // verified backups kept per tenant; older ones are deleted
  std::string to;    // an absolute directory, or "s3://bucket/prefix"
  // S3: the bucket's region, when not the aws environment's own or the standard
  // sources' (AWS_REGION, the profile's).
  std::optional<std::string> region;
};

// The WordPress core of Debian's wordpress package, copied once into the state directory:
// what an environment runs unless it names a release. It needs no network.
inline constexpr char kDebianCore[] = "debian";

struct Environment {
  std::string name;              // "dev", "sit", "prod"
  std::string backend = "local";
  // The WordPress core its tenants run (local): kDebianCore, or a release of
  // wordpress.org such as "6.8.3", one read-only copy per version shared by its tenants.
  std::string core = kDebianCore;
  std::string domain;            // pattern with "{tenant}", e.g. "{tenant}.wpdev.localhost"
  ListenAddress listen;          // local only
  PhpLimits php;
  bool production = false;
  EdgePolicy edge;
  std::vector<Hook> after_promote;
  int snapshot_retention = 10;  // snapshots kept per tenant; older ones are deleted
  // Disk the environment's snapshots may take (archives and their shared files), in
  // bytes; the oldest go first when a new one exceeds it. None = no limit.
  std::optional<std::uint64_t> snapshot_budget;
  std::optional<BackupPolicy> backup;
  std::optional<AwsSettings> aws;  // set exactly when backend is "aws"

  // The host name its `domain` pattern gives a tenant; Tenant::host_in is the one the
  // tenant has, which its own `domains` may set instead.
  std::string host_for(const std::string& tenant_id) const;
};

// How an alias answers: with the site itself, or with a 301 to the canonical host (the
// path and query kept), so that search engines and links settle on one name.
enum class AliasMode { Served, Redirect };

// An alias whose mode the file does not state: the `www.` form of the canonical host
// redirects to it (the usual wish, and what wpfleet always did), any other is served.
AliasMode default_alias_mode(const std::string& alias, const std::string& canonical);

struct Tenant {
  std::string id;                        // a DNS label, unique in the fleet
  std::string title;                     // WordPress site title
  std::string admin_email;
  std::vector<std::string> environments; // names of environments it runs in
  // Extra host names per environment name. In the file, `aliases = ["a", "b"]` applies
  // to every environment of the tenant; `aliases = { prod = ["a"] }` to the named ones.
  std::map<std::string, std::vector<std::string>> aliases;
  // The two below have initializers so that a braced Tenant{id, ..., aliases} (a tenant
  // made in code, with none of them) needs none.
  // Its own canonical host name per environment name, e.g. a client's production domain:
  // `domains = { prod = "goldencrust.co.za" }`. Other environments use their `domain`.
  std::map<std::string, std::string> domains = {};
  // The modes the file states (`{ host = "a", redirect = true }`), by environment, then
  // alias; an alias not here has its default_alias_mode.
  std::map<std::string, std::map<std::string, AliasMode>> alias_modes = {};

  // Its canonical host name in `env`: the home URL's host, the certificate's, the one
  // redirected aliases lead to.
  std::string host_in(const Environment& env) const;
  const std::vector<std::string>& aliases_in(const std::string& env) const;
  AliasMode alias_mode(const Environment& env, const std::string& alias) const;
};

// Where `wpfleet watch` says that a site went down or came back, once per change.
struct AlertDestination {
  enum class Kind {
    Webhook,  // an HTTP(S) URL that takes a JSON POST with "text" (Slack, Teams)
    Command,  // run with /bin/sh -c, the event as JSON on its stdin
  };
  Kind kind = Kind::Webhook;
  std::string target;
};

struct Fleet {
  std::string source_path;                        // the fleet file it was read from
  std::map<std::string, Environment> environments; // by name
  std::vector<Tenant> tenants;                    // in file order
  std::vector<AlertDestination> alerts;

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
