#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "platform/services.h"
#include "util/fs.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// One machine hosts many tenants, so MariaDB gets small caches: its defaults would
// take ~400 MB for buffers most small sites never fill. utf8mb4 because --no-defaults
// skips Debian's my.cnf, which is what makes it the default there.
std::vector<std::string> mariadb_tuning_options() {
  return {
      "--innodb-buffer-pool-size=64M",
      "--innodb-log-file-size=16M",
      "--innodb-log-buffer-size=4M",
      "--performance-schema=OFF",
      "--key-buffer-size=8M",
      "--aria-pagecache-buffer-size=8M",
      "--query-cache-size=0",
      "--table-open-cache=400",
      "--thread-cache-size=8",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
  };
}

std::vector<std::string> mariadb_argv(const PlatformBinaries& binaries, const StateLayout& layout,
                                      const PlatformUsers& users) {
  std::vector<std::string> argv{binaries.mariadbd, "--no-defaults"};
  if (users.isolated) argv.push_back(std::string("--user=") + kMariadbUser);
  argv.insert(argv.end(), {
                              "--datadir=" + layout.mariadb_data().string(),
                              "--socket=" + layout.mariadb_socket().string(),
                              "--skip-networking",
                              "--pid-file=" + layout.mariadb_pid().string(),
                              "--log-error=" + service_log_file(layout, Service::MariaDB).string(),
                          });
  std::vector<std::string> tuning = mariadb_tuning_options();
  argv.insert(argv.end(), tuning.begin(), tuning.end());
  return argv;
}

std::vector<std::string> nginx_base_argv(const PlatformBinaries& binaries,
                                         const StateLayout& layout) {
  // -e: before reading its configuration nginx opens its compiled-in error log
  // (/var/log/nginx), which a non-root user cannot write.
  return {binaries.nginx,
          "-c",
          layout.nginx_conf().string(),
          "-p",
          layout.nginx_dir().string() + "/",
          "-e",
          service_log_file(layout, Service::Nginx).string()};
}

int stop_signal(Service service) { return service == Service::MariaDB ? SIGTERM : SIGQUIT; }

bool wait_until_gone(pid_t pid, Clock::duration timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (process_alive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// The path a live process was started from ("/usr/sbin/nginx"), or empty.
std::string executable_of(pid_t pid) {
  std::error_code error;
  std::string target = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", error).string();
  // After a package upgrade the old binary shows as "/usr/sbin/nginx (deleted)".
  const std::string deleted = " (deleted)";
  if (target.ends_with(deleted)) target.resize(target.size() - deleted.size());
  return target;
}

const std::string& binary_of(Service service, const PlatformBinaries& binaries) {
  switch (service) {
    case Service::MariaDB:
      return binaries.mariadbd;
    case Service::PhpFpm:
      return binaries.php_fpm;
    case Service::Nginx:
      return binaries.nginx;
  }
  return binaries.nginx;
}

}  // namespace

StateLayout absolute_layout(const StateLayout& layout) {
  return StateLayout{fs::absolute(layout.root).lexically_normal()};
}

std::string service_name(Service service) {
  switch (service) {
    case Service::MariaDB:
      return "mariadb";
    case Service::PhpFpm:
      return "php-fpm";
    case Service::Nginx:
      return "nginx";
  }
  return "unknown";
}

std::string display_name(Service service) {
  return service == Service::MariaDB ? "MariaDB" : service_name(service);
}

std::optional<Service> service_from_name(const std::string& name) {
  for (Service service : kStartOrder) {
    if (service_name(service) == name) return service;
  }
  return std::nullopt;
}

fs::path service_pid_file(const StateLayout& layout, Service service) {
  switch (service) {
    case Service::MariaDB:
      return layout.mariadb_pid();
    case Service::PhpFpm:
      return layout.phpfpm_pid();
    case Service::Nginx:
      return layout.nginx_pid();
  }
  return {};
}

fs::path service_log_file(const StateLayout& layout, Service service) {
  switch (service) {
    case Service::MariaDB:
      return layout.log_dir() / "mariadb.log";
    case Service::PhpFpm:
      return layout.log_dir() / "php-fpm.log";
    case Service::Nginx:
      return layout.log_dir() / "nginx-error.log";
  }
  return {};
}

std::optional<pid_t> read_pid_file(const fs::path& path) {
  Result<std::string> text = read_file(path);
  if (!text) return std::nullopt;
  try {
    long pid = std::stol(*text);
    if (pid > 0) return static_cast<pid_t>(pid);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::vector<pid_t> child_processes(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

fs::path internal_pool_socket(const StateLayout& layout) {
  return layout.phpfpm_sockets() / "wpfleet-internal.sock";
}

CommandSpec service_command(Service service, const PlatformBinaries& binaries,
                            const StateLayout& layout, const PlatformUsers& users) {
  CommandSpec spec;
  spec.cwd = layout.root.string();
  switch (service) {
    case Service::MariaDB:
      spec.argv = mariadb_argv(binaries, layout, users);
      break;
    case Service::PhpFpm:
      // The full path matters: on SIGUSR2 php-fpm re-executes its own argv[0].
      // A reload empties opcache's shared memory; core then comes from the file cache
      // that apply compiles (compile_wordpress_core), which tenants cannot write. Only
      // root writes it, so a checksum of each file on every load would guard nothing.
      spec.argv = {binaries.php_fpm,
                   "-F",
                   "-y",
                   layout.phpfpm_conf().string(),
                   "-d",
                   "opcache.file_cache=" + layout.opcache_dir().string(),
                   "-d",
                   "opcache.file_cache_consistency_checks=0"};
      break;
    case Service::Nginx:
      spec.argv = nginx_base_argv(binaries, layout);
      spec.argv.insert(spec.argv.end(), {"-g", "daemon off;"});
      break;
  }
  return spec;
}

CommandSpec config_test_command(Service service, const PlatformBinaries& binaries,
                                const StateLayout& layout) {
  CommandSpec spec;
  spec.cwd = layout.root.string();
  spec.timeout = std::chrono::seconds(30);
  // A config test outlives nothing it serves: one left running by a killed reload would
  // still be opening the listeners (nginx -t does) beside the live master.
  spec.die_with_parent = true;
  if (service == Service::Nginx) {
    spec.argv = nginx_base_argv(binaries, layout);
    spec.argv.push_back("-t");
  } else {
    spec.argv = {binaries.php_fpm, "-t", "-y", layout.phpfpm_conf().string()};
  }
  return spec;
}

CommandSpec mariadb_install_command(const PlatformBinaries& binaries, const fs::path& datadir,
                                    const PlatformUsers& users) {
  CommandSpec spec;
  spec.argv = {binaries.mariadb_install_db, "--no-defaults", "--datadir=" + datadir.string(),
               "--auth-root-authentication-method=normal", "--skip-test-db"};
  if (users.isolated) spec.argv.push_back(std::string("--user=") + kMariadbUser);
  // The same InnoDB log size as the server, which would otherwise resize it on first start.
  std::vector<std::string> tuning = mariadb_tuning_options();
  spec.argv.insert(spec.argv.end(), tuning.begin(), tuning.end());
  spec.timeout = std::chrono::minutes(2);
  return spec;
}

void stop_service_process(Service service, pid_t pid, std::chrono::seconds timeout) {
  ::kill(pid, stop_signal(service));
  if (!wait_until_gone(pid, timeout)) {
    ::kill(-pid, SIGKILL);
    wait_until_gone(pid, std::chrono::seconds(5));
  }
  ::kill(-pid, SIGKILL);
}

void stop_leftover_services(const StateLayout& layout, const PlatformBinaries& binaries,
                            const ProgressFn& progress) {
  // Reverse start order, as the supervisor stops them.
  for (auto service = kStartOrder.rbegin(); service != kStartOrder.rend(); ++service) {
    std::optional<pid_t> pid = read_pid_file(service_pid_file(layout, *service));
    if (!pid || !process_alive(*pid)) continue;
    std::error_code error;
    fs::path binary = fs::canonical(binary_of(*service, binaries), error);
    if (error || executable_of(*pid) != binary.string()) continue;
    progress("stopping " + display_name(*service) + " (pid " + std::to_string(*pid) +
             "), left running by a supervisor that died…");
    stop_service_process(*service, *pid, std::chrono::seconds(30));
  }
}

}  // namespace wpfleet
