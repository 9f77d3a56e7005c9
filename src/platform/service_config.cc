#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <set>
#include <thread>

#include "platform/services.h"
#include "util/fs.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;

constexpr char kGeneratedNote[] = "written by `wpfleet up`; edits are overwritten";
constexpr char kListenPrefix[] = "_listen-";
constexpr char kConfSuffix[] = ".conf";

// Rewrites `path` only when its content differs, so callers know whether to reload.
Result<bool> write_if_changed(const fs::path& path, const std::string& content) {
  Result<std::string> current = read_file(path);
  if (current.ok() && *current == content) return false;
  TRY(write_file_atomic(path, content, 0644));
  return true;
}

// One machine hosts many tenants: a second worker helps with slow clients, more only
// take memory from PHP and MariaDB.
unsigned nginx_worker_count() { return std::clamp(std::thread::hardware_concurrency(), 1U, 2U); }

// Lines joined into a file's text.
std::string lines(std::initializer_list<std::string> list) {
  std::string text;
  for (const std::string& line : list) text += line + "\n";
  return text;
}

std::string nginx_conf(const StateLayout& layout, const PlatformUsers& users) {
  const std::string temp = (layout.nginx_dir() / "temp").string();
  return lines({
      std::string("# ") + kGeneratedNote,
      users.isolated ? std::string("user ") + kWebUser + ";" : "",
      "worker_processes " + std::to_string(nginx_worker_count()) + ";",
      // No pcre_jit: the machine code of every tenant's location regexes took 2 MiB more
      // with 13 tenants (0.15 MiB a tenant), for no gain the edge bench could measure.
      "pid " + layout.nginx_pid().string() + ";",
      "error_log " + service_log_file(layout, Service::Nginx).string() + ";",
      "",
      "events {",
      "    worker_connections 1024;",
      "}",
      "",
      "http {",
      "    include /etc/nginx/mime.types;",
      "    default_type application/octet-stream;",
      "    sendfile on;",
      "    tcp_nopush on;",
      "    keepalive_timeout 65;",
      "    server_tokens off;",
      // Buffered: one write per 64 KiB of log lines, not one per request.
      "    access_log " + (layout.nginx_log_dir() / "access.log").string() +
          " combined buffer=64k flush=1s;",
      // Static files are looked up once, not on every request; 5 s until a replaced
      // file (e.g. after a promotion's swap) is seen.
      "    open_file_cache max=10000 inactive=60s;",
      "    open_file_cache_valid 5s;",
      // So is a miss: `try_files $uri $uri/ /index.php` tries two names that are not
      // there on every pretty permalink before PHP or the page cache answers. A file
      // created where a request just found none is served after those 5 s too.
      "    open_file_cache_errors on;",
      "    # Under the state directory, not /var/lib/nginx: this nginx is ours alone.",
      "    client_body_temp_path " + temp + "/client_body;",
      "    proxy_temp_path " + temp + "/proxy;",
      "    fastcgi_temp_path " + temp + "/fastcgi;",
      "    uwsgi_temp_path " + temp + "/uwsgi;",
      "    scgi_temp_path " + temp + "/scgi;",
      "    include " + (layout.nginx_sites() / "*.conf").string() + ";",
      "}",
  });
}

std::string php_fpm_conf(const StateLayout& layout, const PlatformUsers& users) {
  return lines({
      std::string("; ") + kGeneratedNote,
      "[global]",
      "pid = " + layout.phpfpm_pid().string(),
      "error_log = " + service_log_file(layout, Service::PhpFpm).string(),
      "; On reload and stop, let workers finish the request in hand.",
      "process_control_timeout = 10s",
      "; One pool per tenant and environment, written by `wpfleet apply`.",
      "include = " + (layout.phpfpm_pools() / "*.conf").string(),
      "",
      "; php-fpm refuses to start without a pool, and a fleet may have no tenants yet.",
      "[wpfleet-internal]",
      users.isolated ? std::string("user = ") + kWebUser : "",
      users.isolated ? std::string("group = ") + kWebUser : "",
      "listen = " + internal_pool_socket(layout).string(),
      "pm = ondemand",
      "pm.max_children = 1",
      "pm.process_idle_timeout = 10s",
  });
}

// "[::1]:8080" needs brackets in nginx's `listen`; ListenAddress keeps the bare host.
std::string nginx_listen_token(const ListenAddress& address) {
  bool ipv6 = address.host.find(':') != std::string::npos && address.host.front() != '[';
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

std::string listen_default_file_name(const ListenAddress& address) {
  return kListenPrefix + address.host + "-" + std::to_string(address.port) + kConfSuffix;
}

std::string listen_default_conf(const ListenAddress& address, bool tls) {
  if (tls) {
    return lines({
        std::string("# ") + kGeneratedNote,
        "server {",
        "    listen " + nginx_listen_token(address) + " ssl default_server;",
        "    server_name _;",
        "    ssl_reject_handshake on;",
        "}",
    });
  }
  return lines({
      std::string("# ") + kGeneratedNote,
      "server {",
      "    listen " + nginx_listen_token(address) + " default_server;",
      "    server_name _;",
      "    default_type text/plain;",
      "    return 404 \"no wpfleet tenant answers to this host name\\n\";",
      "}",
  });
}

// "_listen-127.0.0.1-8080.conf" -> 127.0.0.1:8080 (host names may contain '-').
std::optional<ListenAddress> parse_listen_default_file_name(const std::string& name) {
  const std::string prefix = kListenPrefix;
  const std::string suffix = kConfSuffix;
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string middle = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  size_t dash = middle.rfind('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  unsigned long port = 0;
  try {
    port = std::stoul(middle.substr(dash + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return ListenAddress{middle.substr(0, dash), static_cast<std::uint16_t>(port)};
}

std::vector<std::string> listen_default_files(const StateLayout& layout) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(layout.nginx_sites(), error)) {
    std::string name = entry.path().filename().string();
    if (parse_listen_default_file_name(name)) names.push_back(name);
  }
  return names;
}

}  // namespace

Result<ConfigChanges> write_service_configs(const StateLayout& layout, const PlatformUsers& users) {
  ConfigChanges changes;
  // Access logs hold password-reset links: nginx's master (root) writes them, nobody
  // else may read them.
  TRY(ensure_directory(layout.nginx_log_dir(), 0700));
  TRY_ASSIGN(changes.phpfpm, write_if_changed(layout.phpfpm_conf(), php_fpm_conf(layout, users)));
  TRY_ASSIGN(changes.nginx, write_if_changed(layout.nginx_conf(), nginx_conf(layout, users)));
  return changes;
}

std::vector<ListenAddress> distinct_addresses(const std::vector<ListenAddress>& listen) {
  std::vector<ListenAddress> distinct;
  std::set<std::string> seen;
  for (const ListenAddress& address : listen) {
    if (seen.insert(address.to_string()).second) distinct.push_back(address);
  }
  return distinct;
}

Result<bool> write_listen_defaults(const StateLayout& layout,
                                   const std::vector<ListenAddress>& listen,
                                   const std::vector<ListenAddress>& tls_listen) {
  bool changed = false;
  std::set<std::string> wanted;
  std::set<std::string> tls;
  for (const ListenAddress& address : tls_listen) tls.insert(address.to_string());
  for (const ListenAddress& address : distinct_addresses(listen)) {
    std::string name = listen_default_file_name(address);
    wanted.insert(name);
    const std::string conf = listen_default_conf(address, tls.count(address.to_string()) > 0);
    TRY_ASSIGN(bool written, write_if_changed(layout.nginx_sites() / name, conf));
    changed = changed || written;
  }
  for (const std::string& name : listen_default_files(layout)) {
    if (wanted.contains(name)) continue;
    std::error_code error;
    fs::remove(layout.nginx_sites() / name, error);
    if (error) return make_error("cannot remove " + name + ": " + error.message());
    changed = true;
  }
  return changed;
}

std::vector<ListenAddress> configured_listen_addresses(const StateLayout& layout) {
  std::vector<ListenAddress> addresses;
  for (const std::string& name : listen_default_files(layout)) {
    addresses.push_back(*parse_listen_default_file_name(name));
  }
  return addresses;
}

Status prepare_mariadb_log(const StateLayout& layout, const PlatformUsers& users) {
  fs::path log = service_log_file(layout, Service::MariaDB);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return make_error("cannot create " + log.string() + ": " + std::strerror(errno));
  ::close(fd);
  return give_to(log, users.mariadb);
}

}  // namespace wpfleet
