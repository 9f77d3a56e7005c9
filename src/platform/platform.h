// The local platform: MariaDB, php-fpm and nginx running as children of a small
// wpfleet supervisor process, all under the state directory.
//
// `up` starts the supervisor (a detached `wpfleet supervise` process) and waits until
// every service answers; the supervisor restarts a child that dies (e.g. kill -9) and
// runs due WordPress cron events once a minute. `down` stops it all; data stays.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "fleet/model.h"
#include "platform/layout.h"
#include "state/secret_store.h"
#include "util/mysql_client.h"
#include "util/result.h"

namespace wpfleet {

enum class Service { MariaDB, PhpFpm, Nginx };
std::string service_name(Service service);

struct ServiceState {
  Service service;
  pid_t pid = 0;          // 0 when not running
  int restarts = 0;       // times the supervisor restarted it since `up`
  bool running = false;
  // How it last stopped or failed to start, with the last line of its log ("exited with
  // code 1: ... bind() ... failed (98: Address already in use)"); empty if it never did.
  std::string last_failure = "";
};

struct PlatformStatus {
  bool supervisor_running = false;
  pid_t supervisor_pid = 0;
  std::vector<ServiceState> services;
  bool isolated_users = false;  // true when running as root: one Unix user per tenant
};

// How the platform tells the caller what it is doing during slow steps.
using ProgressFn = std::function<void(const std::string& line)>;

struct PlatformOptions {
  std::string self_exe;                    // path of the wpfleet binary (for `supervise`)
  std::vector<ListenAddress> listen;       // every environment's listen address
  std::vector<ListenAddress> tls_listen;   // those of them that serve HTTPS
};

// Starts the platform if it is not running (idempotent); on first start creates the
// MariaDB datadir and copies WordPress core. Errors name a missing Debian package or a
// port already in use.
Status platform_up(const StateLayout& layout, const PlatformOptions& options,
                   const ProgressFn& progress);
Status platform_down(const StateLayout& layout, const ProgressFn& progress);
Result<PlatformStatus> platform_status(const StateLayout& layout);

// Error unless the platform is up, with the fix ("run `wpfleet up`").
Status require_platform_up(const StateLayout& layout);

// Make a running service pick up changed configuration without dropping requests
// (nginx: SIGHUP, php-fpm: SIGUSR2). Waits until the service answers again.
Status reload_service(const StateLayout& layout, Service service);

// How to reach the platform's MariaDB as root (over its Unix socket), for whatever
// creates databases and users. The password is in the secret store, scope "platform",
// name "mariadb-root-password"; it exists once `wpfleet up` has run.
Result<MysqlEndpoint> mariadb_root_endpoint(const StateLayout& layout, const SecretStore& secrets);

// The body of the hidden `wpfleet supervise` command: runs until SIGTERM.
int run_supervisor(const StateLayout& layout, const std::string& self_exe);

}  // namespace wpfleet
