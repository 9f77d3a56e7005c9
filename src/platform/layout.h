// Where everything lives under the state directory. One place, so that the platform
// (which starts the servers) and the local backend (which writes tenant configs) agree.
//
//   <state>/state.db, secret.key        SQLite state, secret key (0600)
//   <state>/lock                        flock for mutating commands
//   <state>/run/                        supervisor.pid, supervisor.json, *.pid
//   <state>/log/                        supervisor.log, mariadb.log, php-fpm.log, nginx.log
//   <state>/log/nginx/                  access.log, <env>--<tenant>.{access,error,direct}.log
//   <state>/mariadb/data, mariadb/mysqld.sock, mariadb/mariadbd.pid
//   <state>/php-fpm/php-fpm.conf, php-fpm/pools/<env>--<tenant>.conf, php-fpm/sockets/,
//     php-fpm/opcache/ (core, compiled)
//   <state>/nginx/nginx.conf, nginx/sites/<env>--<tenant>.conf, nginx/sites/_listen-*.conf,
//     nginx/sites/_edge-<env>.conf, nginx/direct/<env>.sock, nginx/cache/<env>/
//   <state>/tls/                        local CA and per-environment certificates
//   <state>/core/                       Debian's WordPress core, shared read-only ("debian")
//   <state>/cores/<version>/            a release of wordpress.org, shared read-only
//   <state>/php/                        sendmail for tenant PHP, the audit probe
//   <state>/sites/<env>/<tenant>/       wp-config.php, wp-content/, tmp/, log/, opcache/
#pragma once

#include <filesystem>
#include <string>

#include "fleet/model.h"

namespace wpfleet {

struct StateLayout {
  std::filesystem::path root;

  std::filesystem::path state_db() const { return root / "state.db"; }
  std::filesystem::path secret_key() const { return root / "secret.key"; }
  std::filesystem::path lock_file() const { return root / "lock"; }
  std::filesystem::path run_dir() const { return root / "run"; }
  std::filesystem::path log_dir() const { return root / "log"; }
  // nginx's access and error logs, root's alone (0700).
  std::filesystem::path nginx_log_dir() const { return log_dir() / "nginx"; }
  std::filesystem::path supervisor_pid() const { return run_dir() / "supervisor.pid"; }
  std::filesystem::path supervisor_status() const { return run_dir() / "supervisor.json"; }

  std::filesystem::path mariadb_dir() const { return root / "mariadb"; }
  std::filesystem::path mariadb_data() const { return mariadb_dir() / "data"; }
  std::filesystem::path mariadb_socket() const { return mariadb_dir() / "mysqld.sock"; }
  // Written by mariadbd itself, which runs as the mysql user when wpfleet is root, so
  // it lives in the directory that user owns rather than in run/.
  std::filesystem::path mariadb_pid() const { return mariadb_dir() / "mariadbd.pid"; }

  std::filesystem::path phpfpm_dir() const { return root / "php-fpm"; }
  std::filesystem::path phpfpm_conf() const { return phpfpm_dir() / "php-fpm.conf"; }
  std::filesystem::path phpfpm_pools() const { return phpfpm_dir() / "pools"; }
  std::filesystem::path phpfpm_sockets() const { return phpfpm_dir() / "sockets"; }
  std::filesystem::path phpfpm_pid() const { return run_dir() / "php-fpm.pid"; }
  // WordPress core compiled for PHP's opcache (opcache.file_cache), root's and read-only
  // to tenants: php-fpm loads core from it after a reload instead of compiling it again.
  // (php-cli cannot: opcache ignores a file cache its user may not write.)
  std::filesystem::path opcache_dir() const { return phpfpm_dir() / "opcache"; }

  std::filesystem::path nginx_dir() const { return root / "nginx"; }
  std::filesystem::path nginx_conf() const { return nginx_dir() / "nginx.conf"; }
  std::filesystem::path nginx_sites() const { return nginx_dir() / "sites"; }
  std::filesystem::path nginx_pid() const { return run_dir() / "nginx.pid"; }
  // Each environment's sites also answer on a Unix socket that bypasses the edge (basic
  // auth, TLS, page cache): wpfleet's own health checks address the tenant there, as an
  // ALB health check addresses the target and not CloudFront. Only wpfleet can reach it.
  std::filesystem::path nginx_direct_dir() const { return nginx_dir() / "direct"; }
  std::filesystem::path nginx_direct_socket(const std::string& env) const {
    return nginx_direct_dir() / (env + ".sock");
  }
  std::filesystem::path nginx_cache_root() const { return nginx_dir() / "cache"; }
  std::filesystem::path nginx_cache_dir(const std::string& env) const {
    return nginx_cache_root() / env;
  }
  std::filesystem::path tls_dir() const { return root / "tls"; }
  // The CA that signs every TLS certificate of this state directory.
  std::filesystem::path ca_certificate() const { return tls_dir() / "ca.pem"; }

  // The WordPress core of an environment's `core`: Debian's copy where it always was, so
  // existing state directories keep working, and each release in a directory of its own
  // beside it (not inside: nginx serves Debian's copy as a web root).
  std::filesystem::path core_dir(const std::string& version) const {
    return version == kDebianCore ? root / "core" : core_store() / version;
  }
  std::filesystem::path core_store() const { return root / "cores"; }
  // Programs and scripts wpfleet gives the tenants' PHP (root-owned, read-only): the
  // sendmail that mail() pipes into and the isolation probe of `wpfleet audit`.
  std::filesystem::path php_support_dir() const { return root / "php"; }
  std::filesystem::path site_dir(const std::string& env, const std::string& tenant) const {
    return root / "sites" / env / tenant;
  }
  // The tenant's own opcache file cache for its php-cli runs (the tenant's, holding a
  // link to root's compiled core: link_compiled_core).
  std::filesystem::path cli_opcache_dir(const std::string& env, const std::string& tenant) const {
    return site_dir(env, tenant) / "opcache";
  }
};

}  // namespace wpfleet
