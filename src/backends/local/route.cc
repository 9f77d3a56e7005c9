#include "backends/local/route.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/runtime.h"
#include "backends/local/written_files.h"
#include "platform/platform.h"
#include "platform/platform_users.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/tls.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {
constexpr int kCaDays = 3650;
constexpr int kCertificateDays = 825;  // the longest validity browsers accept

fs::path nginx_site_file(const StateLayout& layout, const std::string& env,
                         const std::string& tenant) {
  return layout.nginx_sites() / (pool_name(env, tenant) + ".conf");
}

fs::path environment_file(const StateLayout& layout, const std::string& env) {
  return layout.nginx_sites() / ("_edge-" + env + ".conf");
}

fs::path credentials_file(const StateLayout& layout, const std::string& env) {
  return layout.nginx_dir() / "auth" / (env + ".conf");
}

fs::path certificate_file(const StateLayout& layout, const std::string& env,
                          const std::string& tenant) {
  return layout.tls_dir() / (pool_name(env, tenant) + ".pem");
}

fs::path certificate_key_file(const StateLayout& layout, const std::string& env,
                              const std::string& tenant) {
  return layout.tls_dir() / (pool_name(env, tenant) + ".key");
}

fs::path ca_key_file(const StateLayout& layout) { return layout.tls_dir() / "ca.key"; }

// The environment's wildcard (when the tenant is the first label of its domain) and
// every host of the tenant, so aliases outside the wildcard are covered too.
std::vector<std::string> certificate_names(const TenantContext& ctx) {
  std::vector<std::string> names;
  const std::string& domain = ctx.env.domain;
  const auto first_dot = domain.find('.');
  if (first_dot != std::string::npos && domain.find("{tenant}") < first_dot) {
    names.push_back("*" + domain.substr(first_dot));
  }
  names.insert(names.end(), ctx.hosts.begin(), ctx.hosts.end());
  return names;
}

Result<KeyAndCertificate> ensure_ca(const StateLayout& layout) {
  const fs::path cert = layout.ca_certificate(), key = ca_key_file(layout);
  if (fs::exists(cert) && fs::exists(key)) {
    TRY_ASSIGN(std::string key_pem, read_file(key));
    TRY_ASSIGN(std::string cert_pem, read_file(cert));
    return KeyAndCertificate{key_pem, cert_pem};
  }
  TRY_ASSIGN(KeyAndCertificate ca, make_certificate_authority(
                                       "wpfleet local CA (" + layout.root.string() + ")", kCaDays));
  TRY(make_dirs(layout.tls_dir(), 0755));
  TRY(write_file_atomic(key, ca.key_pem, 0600));
  TRY(write_file_atomic(cert, ca.certificate_pem, 0644));
  return ca;
}

// The aliases that answer 301 to the canonical host (ctx.hosts' first).
std::vector<std::string> redirected_hosts(const TenantContext& ctx) {
  std::vector<std::string> redirected;
  for (std::size_t i = 1; i < ctx.hosts.size(); ++i) {
    if (ctx.tenant.alias_mode(ctx.env, ctx.hosts[i]) == AliasMode::Redirect) {
      redirected.push_back(ctx.hosts[i]);
    }
  }
  return redirected;
}

// An unreadable state counts as awake: every other step of the command fails on it and
// says why.
bool asleep(StateStore& store, const std::string& env, const std::string& tenant) {
  auto record = store.sleep_record(env, tenant);
  return record.ok() && sleeps(*record);
}
}  // namespace

NginxSiteInput RouteProvider::site_input(const TenantContext& ctx) const {
  const std::string& env = ctx.env.name;
  const std::string& tenant = ctx.tenant.id;
  NginxSiteInput in;
  in.files = site_files(ctx_.layout, ctx.env, tenant);
  in.pool_name = pool_name(env, tenant);
  in.env_name = env;
  in.listen = ctx.env.listen;
  in.hosts = ctx.hosts;
  in.redirected = redirected_hosts(ctx);
  in.log_dir = ctx_.layout.nginx_log_dir().string();
  in.upload_max_mb = ctx.env.php.upload_max_mb;
  in.production = ctx.env.production;
  in.edge = ctx.env.edge;
  in.direct_socket = ctx_.layout.nginx_direct_socket(env).string();
  in.credentials_file = credentials_file(ctx_.layout, env).string();
  in.certificate_file = certificate_file(ctx_.layout, env, tenant).string();
  in.certificate_key_file = certificate_key_file(ctx_.layout, env, tenant).string();
  in.asleep = asleep(ctx_.store, env, tenant);
  return in;
}

std::string RouteProvider::fingerprint(const TenantContext& ctx) const {
  return sha256_hex(render_nginx_site(site_input(ctx)) +
                    render_nginx_environment(ctx.env.name, ctx.env.edge,
                                             ctx_.layout.nginx_cache_dir(ctx.env.name).string()));
}

Result<std::set<std::string>> RouteProvider::existing(const Environment& env,
                                                      const std::set<std::string>& candidates) {
  TRY_ASSIGN(auto recorded, recorded_files_hashes(ctx_.store, env.name, kind()));
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    if (files_intact({nginx_site_file(ctx_.layout, env.name, tenant)}, recorded, tenant)) {
      found.insert(tenant);
    }
  }
  return found;
}

Result<bool> RouteProvider::ensure_credentials_file(const Environment& env) {
  TRY_ASSIGN(std::string password, ctx_.secrets.ensure(env.name, kBasicAuthPassword, [] {
    return random_password(32);
  }));
  const fs::path file = credentials_file(ctx_.layout, env.name);
  const std::string wanted = render_credentials(env.name, *env.edge.basic_auth_user, password);
  auto current = read_file(file);
  if (current && *current == wanted) return false;
  TRY(make_dirs(file.parent_path(), 0700));
  // Read by the nginx master (root) when it loads its configuration.
  TRY(write_file_atomic(file, wanted, 0600));
  return true;
}

Status RouteProvider::ensure_environment_files(const Environment& env) {
  std::lock_guard lock(environment_files_mutex_);
  // Access logs hold password-reset keys in URLs: nginx's master (root) writes them,
  // no tenant may read them.
  TRY(ensure_directory(ctx_.layout.nginx_log_dir(), 0700));
  // Only wpfleet may talk to the sites past their edge.
  TRY(ensure_directory(ctx_.layout.nginx_direct_dir(), 0700));
  const std::string cache_dir = ctx_.layout.nginx_cache_dir(env.name).string();
  const std::string edge_conf = render_nginx_environment(env.name, env.edge, cache_dir);
  if (edge_conf.empty()) {
    std::error_code ignored;
    fs::remove(environment_file(ctx_.layout, env.name), ignored);
  } else {
    // Cached pages of a protected environment are behind its password: only nginx's
    // workers may reach them.
    TRY_ASSIGN(PlatformUsers users, platform_users());
    TRY(ensure_directory(ctx_.layout.nginx_cache_root(), 0700, users.web));
    TRY(make_dirs(cache_dir, 0700));
    TRY(write_file_atomic(environment_file(ctx_.layout, env.name), edge_conf));
  }
  if (env.edge.basic_auth_user) TRY(ensure_credentials_file(env));
  return {};
}

Status RouteProvider::ensure_certificate(const TenantContext& ctx) {
  const fs::path cert = certificate_file(ctx_.layout, ctx.env.name, ctx.tenant.id);
  const auto wanted = certificate_names(ctx);
  if (auto current = read_file(cert)) {
    auto names = certificate_dns_names(*current);
    if (names && *names == wanted) return {};
  }
  KeyAndCertificate ca;
  {
    std::lock_guard lock(environment_files_mutex_);
    TRY_ASSIGN(ca, ensure_ca(ctx_.layout));
  }
  TRY_ASSIGN(KeyAndCertificate server, make_server_certificate(ca, wanted, kCertificateDays));
  TRY(write_file_atomic(certificate_key_file(ctx_.layout, ctx.env.name, ctx.tenant.id),
                        server.key_pem, 0600));
  return write_file_atomic(cert, server.certificate_pem, 0644);
}

Result<std::string> RouteProvider::ensure(const TenantContext& ctx) {
  TRY(ensure_environment_files(ctx.env));
  if (ctx.env.edge.tls) TRY(ensure_certificate(ctx));
  TRY_ASSIGN(int priority, ctx_.store.route_priority(ctx.env.name, ctx.tenant.id));
  const fs::path site_file = nginx_site_file(ctx_.layout, ctx.env.name, ctx.tenant.id);
  std::error_code ignored;
  const bool new_site = !fs::exists(fs::symlink_status(site_file, ignored));
  TRY(write_file_atomic(site_file, render_nginx_site(site_input(ctx))));
  batch_.note(new_site);
  // `wpfleet routes` shows the hosts as applied: the canonical one first, and which redirect.
  return nlohmann::json({{"hosts", ctx.hosts},
                         {"redirected", redirected_hosts(ctx)},
                         {"priority", priority},
                         {kFilesHashKey, files_hash({site_file})}})
      .dump();
}

Status RouteProvider::remove(const Environment& env, const std::string& tenant_id) {
  std::error_code ignored;
  fs::remove(nginx_site_file(ctx_.layout, env.name, tenant_id), ignored);
  fs::remove(certificate_file(ctx_.layout, env.name, tenant_id), ignored);
  fs::remove(certificate_key_file(ctx_.layout, env.name, tenant_id), ignored);
  return ctx_.store.release_route_priority(env.name, tenant_id);
}

Status RouteProvider::commit() {
  return reloads_->reload(Service::Nginx, batch_.take_deferrable());
}

Status RouteProvider::check(const TenantContext& ctx) {
  TRY(reloads_->finish(Service::Nginx));
  HttpRequest request;
  request.url = "http://" + ctx.hosts.front() + ":" + std::to_string(ctx.env.listen.port) + "/";
  request.unix_socket = ctx_.layout.nginx_direct_socket(ctx.env.name).string();
  request.timeout = std::chrono::seconds(10);
  auto reply = http_request(request);
  if (!reply) {
    return make_error("the site does not answer on its direct socket (" + reply.error().message +
                      "): check `wpfleet status`; `wpfleet apply` restores its route");
  }
  if (asleep(ctx_.store, ctx.env.name, ctx.tenant.id)) {
    if (reply->status == 503 && reply->body.find("This site is asleep") != std::string::npos) return {};
    return make_error("the tenant is asleep but its site answers HTTP " + std::to_string(reply->status) +
                      " to GET / instead of the asleep page: run `wpfleet tenant sleep " +
                      ctx.tenant.id + " -e " + ctx.env.name + "` again");
  }
  // The user's ALB health check matcher: 200, 301 or 302.
  if (reply->status != 200 && reply->status != 301 && reply->status != 302) {
    return make_error("the site answers HTTP " + std::to_string(reply->status) + " to GET /: see `wpfleet logs " +
                      ctx.tenant.id + " -e " + ctx.env.name + "`");
  }
  return {};
}

std::vector<LogSource> RouteProvider::logs(const TenantContext& ctx) const {
  const fs::path base = ctx_.layout.nginx_log_dir() / pool_name(ctx.env.name, ctx.tenant.id);
  return {{"nginx-access", base.string() + ".access.log", nullptr},
          {"nginx-error", base.string() + ".error.log", nullptr}};
}

// A graceful reload: requests in flight finish on the old workers, new ones see the new
// password; none fails.
Status RouteProvider::secret_changed(const Environment& env, const std::string& name) {
  if (name != kBasicAuthPassword || !env.edge.basic_auth_user) return {};
  std::lock_guard lock(environment_files_mutex_);
  TRY_ASSIGN(bool changed, ensure_credentials_file(env));
  return changed ? reloads_->reload(Service::Nginx, false) : Status{};
}

}  // namespace wpfleet::local
