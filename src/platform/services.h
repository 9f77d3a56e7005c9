// The three servers of the local platform: their configuration files, command lines,
// pid files and logs, and how to stop them. Shared by `wpfleet up` (which prepares
// files and checks what is running) and the supervisor (which runs the servers).
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fleet/model.h"
#include "platform/binaries.h"
#include "platform/layout.h"
#include "platform/platform.h"
#include "platform/platform_users.h"
#include "util/process.h"
#include "util/result.h"

namespace wpfleet {

// The layout with an absolute root: configuration files and command lines hold its
// paths, and the servers run in another working directory than the caller's.
StateLayout absolute_layout(const StateLayout& layout);

// Each server needs the one before it: PHP needs the database, nginx needs PHP.
inline constexpr std::array<Service, 3> kStartOrder{Service::MariaDB, Service::PhpFpm,
                                                    Service::Nginx};

std::string display_name(Service service);                          // "MariaDB", for people
std::optional<Service> service_from_name(const std::string& name);  // inverse of service_name

std::filesystem::path service_pid_file(const StateLayout& layout, Service service);
std::filesystem::path service_log_file(const StateLayout& layout, Service service);
std::optional<pid_t> read_pid_file(const std::filesystem::path& path);
// The processes whose parent is `parent` (e.g. nginx's workers), from /proc.
std::vector<pid_t> child_processes(pid_t parent);

// The internal php-fpm pool's socket: always there while php-fpm runs.
std::filesystem::path internal_pool_socket(const StateLayout& layout);

// --- configuration files (service_config.cc) ---

struct ConfigChanges {
  bool phpfpm = false;
  bool nginx = false;
};

// Writes nginx.conf and php-fpm.conf, and says which of them changed.
Result<ConfigChanges> write_service_configs(const StateLayout& layout, const PlatformUsers& users);

// The catch-all server for each distinct listen address: a 404 for host names no
// tenant claims (nginx would otherwise hand them to whichever tenant came first).
// Returns whether any file changed.
// On an HTTPS address it refuses the TLS handshake of unknown names (it has no
// certificate of its own).
Result<bool> write_listen_defaults(const StateLayout& layout,
                                   const std::vector<ListenAddress>& listen,
                                   const std::vector<ListenAddress>& tls_listen);
// The addresses the current listen defaults are for (what a running nginx listens on).
std::vector<ListenAddress> configured_listen_addresses(const StateLayout& layout);
std::vector<ListenAddress> distinct_addresses(const std::vector<ListenAddress>& listen);

// mariadbd opens its log as the mysql user, so the file must belong to that user.
Status prepare_mariadb_log(const StateLayout& layout, const PlatformUsers& users);

// --- processes (service_process.cc) ---

// Runs the server in the foreground, as the supervisor's child.
CommandSpec service_command(Service service, const PlatformBinaries& binaries,
                            const StateLayout& layout, const PlatformUsers& users);

// Checks the configuration on disk without touching the running server (`nginx -t`,
// `php-fpm -t`). MariaDB has none: its options are all on its command line.
CommandSpec config_test_command(Service service, const PlatformBinaries& binaries,
                                const StateLayout& layout);

// Creates an empty MariaDB data directory at `datadir`.
CommandSpec mariadb_install_command(const PlatformBinaries& binaries,
                                    const std::filesystem::path& datadir,
                                    const PlatformUsers& users);

// Asks the server to stop (nginx and php-fpm: SIGQUIT, finishing requests in flight;
// MariaDB: SIGTERM, a clean shutdown), waits up to `timeout`, then SIGKILLs. Afterwards
// kills whatever is left of its process group (workers of a master that died).
// Every server is started as the leader of its own process group.
void stop_service_process(Service service, pid_t pid, std::chrono::seconds timeout);

// Servers still running from a supervisor that was killed (their pid files name a
// live process of the same program) would hold the ports and the datadir: stop them.
void stop_leftover_services(const StateLayout& layout, const PlatformBinaries& binaries,
                            const ProgressFn& progress);

}  // namespace wpfleet
