// Reloading nginx or php-fpm after their configuration changed (a tenant added or
// removed), without dropping requests: the configuration is checked first, so a bad
// file never takes a running server down.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

#include "platform/binaries.h"
#include "platform/log_excerpt.h"
#include "platform/platform.h"
#include "platform/probes.h"
#include "platform/services.h"

namespace wpfleet {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr Clock::duration kReloadTimeout = 10s;

Status check_config(Service service, const PlatformBinaries& binaries, const StateLayout& layout) {
  TRY_ASSIGN(CommandOutput output, run_command(config_test_command(service, binaries, layout)));
  if (output.exit_code == 0) return {};
  return make_error("the new " + display_name(service) +
                    " configuration is invalid, so it was not loaded:\n" +
                    last_lines(output.err + output.out, 20));
}

// Every apply that adds a tenant waits for two reloads, which take tens of
// milliseconds: a coarser poll would add most of an interval to each.
constexpr Clock::duration kPollInterval = 5ms;

bool wait_for(const std::function<bool()>& condition) {
  const Clock::time_point deadline = Clock::now() + kReloadTimeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

Error did_not_answer(const StateLayout& layout, Service service, const std::string& what) {
  return make_error(display_name(service) + " " + what + " after reloading its configuration" +
                    log_excerpt(service_log_file(layout, service)));
}

// nginx re-reads its configuration in the master and replaces its workers; the old
// ones stop accepting at once and exit once their requests are done. The reload has
// taken when they are gone (a secret rotation must not be answered by an old worker);
// one still busy with a long request after the timeout does not fail the reload. The
// master starts the new workers and then sleeps 100 ms before it tells the old ones to
// go, so most of a reload's time is waiting.
Status reload_nginx(const StateLayout& layout, pid_t master) {
  const std::vector<pid_t> old_workers = child_processes(master);
  ::kill(master, SIGHUP);
  wait_for([&] {
    for (pid_t worker : old_workers) {
      if (process_alive(worker)) return false;
    }
    return true;
  });
  for (const ListenAddress& address : configured_listen_addresses(layout)) {
    if (!wait_for([&] { return tcp_accepts(address); })) {
      return did_not_answer(layout, Service::Nginx,
                            "does not accept connections on " + address.to_string());
    }
  }
  return {};
}

std::optional<timespec> modification_time(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return info.st_mtim;
}

bool same_time(const std::optional<timespec>& a, const std::optional<timespec>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

// php-fpm re-executes itself with the same pid, keeping its listening sockets, so
// requests queue rather than fail; it rewrites its pid file once the new image runs.
Status reload_php_fpm(const StateLayout& layout, pid_t master) {
  const std::filesystem::path pid_file = layout.phpfpm_pid();
  const std::optional<timespec> before = modification_time(pid_file);
  ::kill(master, SIGUSR2);
  bool answered = wait_for([&] {
    return !same_time(modification_time(pid_file), before) && read_pid_file(pid_file) == master &&
           process_alive(master) && unix_socket_accepts(internal_pool_socket(layout));
  });
  if (!answered) return did_not_answer(layout, Service::PhpFpm, "did not come back");
  return {};
}

}  // namespace

Status reload_service(const StateLayout& given_layout, Service service) {
  const StateLayout layout = absolute_layout(given_layout);
  if (service == Service::MariaDB) {
    return make_error("MariaDB has no configuration to reload: wpfleet sets all of its options");
  }
  TRY(require_platform_up(layout));
  TRY_ASSIGN(PlatformBinaries binaries, find_platform_binaries());
  TRY(check_config(service, binaries, layout));
  std::optional<pid_t> master = read_pid_file(service_pid_file(layout, service));
  if (!master || !process_alive(*master)) {
    return make_error(display_name(service) + " is not running: see " +
                      service_log_file(layout, service).string());
  }
  return service == Service::Nginx ? reload_nginx(layout, *master)
                                   : reload_php_fpm(layout, *master);
}

}  // namespace wpfleet
