// `wpfleet up`, `down` and `status` for the local platform. `up` prepares every file
// the servers need, then starts the supervisor and waits until everything answers.
#include "platform/platform.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "platform/binaries.h"
#include "platform/log_excerpt.h"
#include "platform/mariadb_setup.h"
#include "platform/platform_users.h"
#include "platform/probes.h"
#include "platform/service_progress.h"
#include "platform/services.h"
#include "platform/supervisor_files.h"
#include "platform/wordpress_core.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kStartTimeoutSeconds = 30;
constexpr Clock::duration kStartTimeout = std::chrono::seconds(kStartTimeoutSeconds);
// The supervisor gives each of the three servers up to 30 s to stop.
constexpr Clock::duration kStopTimeout = 2min;
constexpr Clock::duration kPollInterval = 100ms;

ProgressFn or_silent(const ProgressFn& progress) {
  return progress ? progress : [](const std::string&) {};
}

// Why the platform is not (yet) up, and the log that would say more.
struct Problem {
  std::string message;
  fs::path log;
};

std::optional<Problem> first_problem(const StateLayout& layout, const PlatformStatus& status,
                                     const std::vector<ListenAddress>& listen,
                                     const std::string& root_password) {
  if (!status.supervisor_running) {
    return Problem{"the wpfleet supervisor is not running", supervisor_log(layout)};
  }
  for (const ServiceState& state : status.services) {
    if (!state.running) {
      return Problem{display_name(state.service) + " is not running",
                     service_log_file(layout, state.service)};
    }
  }
  if (Status root = secure_root_account(layout, root_password); !root) {
    return Problem{root.error().message, service_log_file(layout, Service::MariaDB)};
  }
  for (const ListenAddress& address : listen) {
    if (!tcp_accepts(address)) {
      return Problem{"nginx does not accept connections on " + address.to_string(),
                     service_log_file(layout, Service::Nginx)};
    }
  }
  return std::nullopt;
}

bool exited(pid_t child) {
  int status = 0;
  return ::waitpid(child, &status, WNOHANG) == child;
}

// Waits until the supervisor reports every server running, MariaDB takes the root
// password and nginx accepts connections. `spawned` is the supervisor we just started,
// if any: one that exits during start-up fails at once rather than after the timeout.
Status wait_until_up(const StateLayout& layout, const std::vector<ListenAddress>& listen,
                     const std::string& root_password, std::optional<pid_t> spawned,
                     const ProgressFn& progress) {
  const Clock::time_point deadline = Clock::now() + kStartTimeout;
  ServiceProgress services_progress(progress, Direction::Starting);
  while (true) {
    TRY_ASSIGN(PlatformStatus status, platform_status(layout));
    if (status.supervisor_running) services_progress.update(status.services);
    std::optional<Problem> problem = first_problem(layout, status, listen, root_password);
    if (!problem) return {};
    bool supervisor_gone = !status.supervisor_running && (!spawned || exited(*spawned));
    if (supervisor_gone || Clock::now() >= deadline) {
      std::string what = supervisor_gone
                             ? "the wpfleet supervisor stopped during start-up"
                             : "the local platform did not come up within " +
                                   std::to_string(kStartTimeoutSeconds) + " s: " + problem->message;
      return make_error(what + log_excerpt(problem->log));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

// Reaps the supervisor when this process started it (in a long-lived caller such as the
// test suite it would otherwise stay a zombie); does nothing for anyone else's.
void reap_if_our_child(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == 0) ::waitpid(pid, &status, 0);
}

Status stop_supervisor(const StateLayout& layout, pid_t pid, const ProgressFn& progress) {
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) {
    return make_error("cannot stop the wpfleet supervisor (pid " + std::to_string(pid) +
                      "): " + std::strerror(errno) +
                      "; run `wpfleet down` as the user that ran "
                      "`wpfleet up`");
  }
  ServiceProgress services_progress(progress, Direction::Stopping);
  const Clock::time_point deadline = Clock::now() + kStopTimeout;
  while (running_supervisor(layout)) {
    if (Clock::now() >= deadline) {
      return make_error("the wpfleet supervisor (pid " + std::to_string(pid) +
                        ") did not stop within 2 minutes" + log_excerpt(supervisor_log(layout)));
    }
    if (Result<std::vector<ServiceState>> services = read_supervisor_json(layout)) {
      services_progress.update(*services);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  if (Result<std::vector<ServiceState>> services = read_supervisor_json(layout)) {
    services_progress.update(*services);  // the file is gone: nothing runs
  }
  reap_if_our_child(pid);
  return {};
}

Status prepare_directories(const StateLayout& layout, const PlatformUsers& users) {
  // 0711: the servers' and tenants' users pass through to what they own, but cannot
  // list the state directory or read state.db.
  TRY(ensure_directory(layout.root, 0711));
  TRY(ensure_directory(layout.run_dir(), 0755));
  TRY(ensure_directory(layout.log_dir(), 0711));  // mysql writes its own log in here
  TRY(ensure_directory(layout.mariadb_dir(), 0755, users.mariadb));  // the socket is in here
  for (const fs::path& dir :
       {layout.phpfpm_dir(), layout.phpfpm_pools(), layout.phpfpm_sockets(), layout.nginx_dir(),
        layout.nginx_sites(), layout.nginx_dir() / "temp"}) {
    TRY(ensure_directory(dir, 0755));
  }
  return {};
}

bool contains(const std::vector<ListenAddress>& addresses, const ListenAddress& address) {
  return std::any_of(addresses.begin(), addresses.end(),
                     [&](const ListenAddress& a) { return a.to_string() == address.to_string(); });
}

// Ports our running nginx already listens on are not "in use by another program".
Status check_new_ports_free(const StateLayout& layout, const std::vector<ListenAddress>& listen) {
  const std::vector<ListenAddress> ours = configured_listen_addresses(layout);
  for (const ListenAddress& address : listen) {
    if (!contains(ours, address)) TRY(check_port_free(address));
  }
  return {};
}

// `up` on a running platform: bring the listen addresses and our config files up to
// date, reloading what changed.
Status update_running_platform(const StateLayout& layout, const PlatformUsers& users,
                               const PlatformOptions& options,
                               const std::vector<ListenAddress>& listen,
                               const ProgressFn& progress) {
  TRY(check_new_ports_free(layout, listen));
  TRY_ASSIGN(ConfigChanges changes, write_service_configs(layout, users));
  TRY_ASSIGN(bool listen_changed, write_listen_defaults(layout, listen, options.tls_listen));
  if (changes.phpfpm) {
    progress("reloading php-fpm…");
    TRY(reload_service(layout, Service::PhpFpm));
  }
  if (changes.nginx || listen_changed) {
    progress("reloading nginx…");
    TRY(reload_service(layout, Service::Nginx));
  }
  TRY_ASSIGN(std::string root_password, ensure_mariadb_root_password(layout));
  return wait_until_up(layout, listen, root_password, std::nullopt, progress);
}

Result<pid_t> start_supervisor(const StateLayout& layout, const std::string& self_exe) {
  CommandSpec spec;
  spec.argv = {self_exe, "supervise", "--state-dir", layout.root.string()};
  spec.cwd = layout.root.string();
  return spawn_child(spec, supervisor_log(layout).string());
}

Status start_platform(const StateLayout& layout, const PlatformOptions& options,
                      const std::vector<ListenAddress>& listen, const ProgressFn& progress) {
  // Everything that could stop us is checked before anything is changed.
  TRY_ASSIGN(PlatformBinaries binaries, find_platform_binaries());
  TRY(check_wordpress_source(layout));
  TRY_ASSIGN(PlatformUsers users, platform_users());
  TRY(check_state_dir_reachable(layout.root, users));
  stop_leftover_services(layout, binaries, progress);
  for (const ListenAddress& address : listen) TRY(check_port_free(address));

  TRY(prepare_directories(layout, users));
  TRY(write_service_configs(layout, users));
  TRY(write_listen_defaults(layout, listen, options.tls_listen));
  TRY(install_wordpress_core(layout, progress));
  TRY(initialise_mariadb_datadir(layout, binaries, users, progress));
  TRY_ASSIGN(std::string root_password, ensure_mariadb_root_password(layout));

  TRY_ASSIGN(pid_t supervisor, start_supervisor(layout, options.self_exe));
  Status up = wait_until_up(layout, listen, root_password, supervisor, progress);
  // Leave nothing half-started behind (a supervisor that exited was reaped already).
  if (std::optional<pid_t> running = running_supervisor(layout); !up && running) {
    (void)stop_supervisor(layout, *running, progress);
  }
  return up;
}

}  // namespace

Status platform_up(const StateLayout& given_layout, const PlatformOptions& options,
                   const ProgressFn& given_progress) {
  const StateLayout layout = absolute_layout(given_layout);
  const ProgressFn progress = or_silent(given_progress);
  const std::vector<ListenAddress> listen = distinct_addresses(options.listen);
  if (running_supervisor(layout)) {
    TRY_ASSIGN(PlatformUsers users, platform_users());
    return update_running_platform(layout, users, options, listen, progress);
  }
  return start_platform(layout, options, listen, progress);
}

Status platform_down(const StateLayout& layout, const ProgressFn& progress) {
  std::optional<pid_t> pid = running_supervisor(layout);
  if (!pid) return {};
  return stop_supervisor(layout, *pid, or_silent(progress));
}

Result<PlatformStatus> platform_status(const StateLayout& layout) {
  PlatformStatus status;
  status.isolated_users = ::geteuid() == 0;
  if (std::optional<pid_t> pid = running_supervisor(layout)) {
    status.supervisor_running = true;
    status.supervisor_pid = *pid;
  }
  TRY_ASSIGN(status.services, read_supervisor_json(layout));
  // Without its supervisor the platform is down, whatever a stale report says.
  for (ServiceState& state : status.services) {
    state.running = state.running && status.supervisor_running && process_alive(state.pid);
    if (!state.running) state.pid = 0;
  }
  return status;
}

Status require_platform_up(const StateLayout& layout) {
  TRY_ASSIGN(PlatformStatus status, platform_status(layout));
  if (!status.supervisor_running) {
    return make_error("the local platform is not running: run `wpfleet up`");
  }
  for (const ServiceState& state : status.services) {
    if (state.running) continue;
    const std::string why = state.last_failure.empty() ? "" : "; it " + state.last_failure;
    return make_error("the local platform is not running: " + display_name(state.service) +
                      " is down (the supervisor is restarting it" + why + "; see " +
                      service_log_file(layout, state.service).string() + ")");
  }
  return {};
}

}  // namespace wpfleet
