#include "backends/local/runtime.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backends/local/identity.h"
#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/secrets.h"
#include "backends/local/wp_runner.h"
#include "backends/local/written_files.h"
#include "platform/platform.h"
#include "platform/platform_users.h"
#include "platform/wordpress_core.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "backends/local/audit_probe.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

fs::path pool_file(const StateLayout& layout, const std::string& env, const std::string& tenant) {
  return layout.phpfpm_pools() / (pool_name(env, tenant) + ".conf");
}

fs::path pool_core(const StateLayout& layout, const std::string& pool_file_text) {
  const auto core = pool_core_dir(pool_file_text);
  return core ? fs::path(*core) : layout.core_dir(kDebianCore);
}

std::string tenant_core(const StateLayout& layout, const std::string& env, const std::string& tenant) {
  auto pool = read_file(pool_file(layout, env, tenant));
  if (!pool) return "";
  const fs::path core = pool_core(layout, *pool);
  if (core == layout.core_dir(kDebianCore)) return kDebianCore;
  return core.parent_path() == layout.core_store() ? core.filename().string() : core.string();
}

namespace {
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// WordPress's database upgrade (what wp-admin/upgrade.php runs, as it does with
// WP_INSTALLING, which also keeps a site not installed yet from being redirected to the
// installer), when the core is newer than the database. An older core leaves it alone,
// as WordPress does.
constexpr char kUpgradeDatabase[] = R"php(
define('WP_INSTALLING', true);
require getenv('WPFLEET_CORE') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed() && (int) get_option('db_version') < (int) $wp_db_version) {
    wp_upgrade();
}
)php";

// The config holds the DB password: readable by the tenant's PHP and nobody else.
mode_t private_config_mode() { return isolated_users() ? 0640 : 0600; }

Status write_private_config(const fs::path& path, const std::string& content, const RunAs& reader) {
  TRY(write_file_atomic(path, content, private_config_mode()));
  if (isolated_users() && chown(path.c_str(), 0, reader.gid) != 0) {
    return make_error("cannot give " + path.string() + " to the tenant's group: " +
                      std::strerror(errno));
  }
  return {};
}

Status socket_answers(const fs::path& socket_path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  const int saved = errno;
  close(fd);
  if (ok) return {};
  return make_error("the tenant's php-fpm pool does not answer on " + socket_path.string() + " (" +
                    std::strerror(saved) + "): check `wpfleet status`, then `wpfleet apply`");
}
}  // namespace

SiteFiles site_files(const StateLayout& layout, const Environment& env, const std::string& tenant) {
  return SiteFiles{layout.site_dir(env.name, tenant).string(), layout.core_dir(env.core).string(),
                   layout.mariadb_socket().string(),
                   (layout.phpfpm_sockets() / (pool_name(env.name, tenant) + ".sock")).string(),
                   layout.php_support_dir().string()};
}

Status core_present(const StateLayout& layout, const Environment& env) {
  const fs::path core = layout.core_dir(env.core);
  const std::string named = "the WordPress core of environment '" + env.name + "' (" + core.string() + ")";
  struct stat st {};
  if (::lstat(core.c_str(), &st) != 0) {
    return make_error(named + " is missing: run `wpfleet apply`, which makes it again");
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() || !wordpress_version(core)) {
    return make_error(named + " is damaged (not wpfleet's directory, or without its " +
                      "wp-includes/version.php): remove it, then run `wpfleet apply`, which makes it again");
  }
  return {};
}

Status ensure_environment_core(const BackendContext& ctx, const Environment& env) {
  return ensure_wordpress_core(ctx.layout, env.core,
                               [](const std::string& line) { std::cerr << line << "\n"; });
}

// The config without its secrets (which the fingerprint leaves out).
SiteConfigInput RuntimeProvider::public_config_input(const TenantContext& ctx) const {
  SiteConfigInput in;
  in.files = site_files(ctx_.layout, ctx.env, ctx.tenant.id);
  in.tenant_id = ctx.tenant.id;
  in.env_name = ctx.env.name;
  in.production = ctx.env.production;
  in.home_url = ctx.home_url;
  in.hosts = ctx.hosts;
  in.listen = ctx.env.listen;
  // The route provider makes the CA (after the runtime) for TLS environments.
  if (ctx.env.edge.tls) in.trusted_ca = ctx_.layout.ca_certificate().string();
  return in;
}

Result<SiteConfigInput> RuntimeProvider::site_config_input(const TenantContext& ctx) const {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  SiteConfigInput in = public_config_input(ctx);
  in.db_name = database_name(ctx.env.name, ctx.tenant.id);
  in.db_user = database_user(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(in.db_password, ctx_.secrets.get(scope, kDbPassword));
  TRY_ASSIGN(std::string salts, ctx_.secrets.get(scope, kWpSalts));
  in.salts = split_lines(salts);
  return in;
}

PoolInput RuntimeProvider::pool_input(const TenantContext& ctx) const {
  PoolInput in;
  in.files = site_files(ctx_.layout, ctx.env, ctx.tenant.id);
  in.pool_name = pool_name(ctx.env.name, ctx.tenant.id);
  if (isolated_users()) {
    in.unix_user = unix_user(ctx_.layout, ctx.env.name, ctx.tenant.id);
    in.web_group = kWebUser;  // nginx workers connect to the pool socket as this user
  }
  in.php = ctx.env.php;
  in.production = ctx.env.production;
  return in;
}

// Secrets are not part of the fingerprint (they are stable once generated); the config
// is re-rendered from them on every ensure.
std::string RuntimeProvider::fingerprint(const TenantContext& ctx) const {
  const SiteConfigInput config = public_config_input(ctx);
  std::string support;
  for (const auto& file : support_files()) support += file.content;
  return sha256_hex(render_site_config(config) + render_pool(pool_input(ctx)) + support);
}

Result<std::set<std::string>> RuntimeProvider::existing(const Environment& env,
                                                        const std::set<std::string>& candidates) {
  TRY_ASSIGN(auto recorded, recorded_files_hashes(ctx_.store, env.name, kind()));
  std::set<std::string> found;
  // Every pool runs them: changed or missing, every runtime is rebuilt.
  if (!support_files_intact() || !core_present(ctx_.layout, env)) return found;
  for (const auto& tenant : candidates) {
    if (files_intact(written_files(env.name, tenant), recorded, tenant) &&
        config_private(env.name, tenant)) {
      found.insert(tenant);
    }
  }
  return found;
}

// A config whose mode or owner was loosened counts as missing: apply rewrites it.
bool RuntimeProvider::config_private(const std::string& env, const std::string& tenant) const {
  struct stat st {};
  const fs::path config = ctx_.layout.site_dir(env, tenant) / "wp-config.php";
  if (::lstat(config.c_str(), &st) != 0 || (st.st_mode & 07777) != private_config_mode()) return false;
  if (!isolated_users()) return true;
  auto reader = tenant_identity(ctx_.layout, env, tenant);
  return reader && st.st_uid == 0 && st.st_gid == reader->gid;
}

std::vector<fs::path> RuntimeProvider::written_files(const std::string& env,
                                                     const std::string& tenant) const {
  return {pool_file(ctx_.layout, env, tenant), ctx_.layout.site_dir(env, tenant) / "wp-config.php"};
}

void RuntimeProvider::prepare(const Environment& env) {
  preparing_.emplace_back([this, env] {
    if (ensure_environment_core(ctx_, env)) (void)ensure_support_files();
  });
}

Result<std::string> RuntimeProvider::ensure(const TenantContext& ctx) {
  TRY(ensure_environment_core(ctx_, ctx.env));
  TRY(ensure_support_files());
  TRY_ASSIGN(SiteConfigInput config, site_config_input(ctx));
  TRY_ASSIGN(RunAs identity, tenant_identity(ctx_.layout, ctx.env.name, ctx.tenant.id));
  TRY(write_private_config(fs::path(config.files.site_dir) / "wp-config.php",
                           render_site_config(config), identity));
  const fs::path pool = pool_file(ctx_.layout, ctx.env.name, ctx.tenant.id);
  std::error_code ignored;
  const bool new_pool = !fs::exists(fs::symlink_status(pool, ignored));
  TRY(write_file_atomic(pool, render_pool(pool_input(ctx))));
  batch_.note(new_pool);
  TRY(ensure_cli_opcache(ctx, identity));
  // A new tenant's site is installed by this core later; an installed one (perhaps by an
  // older core, perhaps after an upgrade that failed) has its database brought up to this
  // core's. Installed is what the store recorded, not what files are left: a lost pool
  // file must not skip the upgrade.
  TRY_ASSIGN(const bool installed, ctx_.store.has_resource(ctx.env.name, ctx.tenant.id,
                                                           std::string(kind_name(ResourceKind::Site))));
  if (installed) TRY(run_wordpress_php(ctx_, ctx.env.name, ctx.tenant.id, kUpgradeDatabase, ""));
  TRY_ASSIGN(std::string version, wordpress_version(config.files.core_dir));
  return nlohmann::json({{"pool", pool_name(ctx.env.name, ctx.tenant.id)},
                         {"wordpress", version},
                         {kFilesHashKey, files_hash(written_files(ctx.env.name, ctx.tenant.id))}})
      .dump();
}

std::vector<RuntimeProvider::SupportFile> RuntimeProvider::support_files() const {
  const fs::path dir = ctx_.layout.php_support_dir();
  return {{dir / "sendmail", render_sendmail_program(), 0755},
          {dir / kAuditProbeFile, audit_probe_script(), 0644},
          {dir / kMuPluginFile, mu_plugin_php(), 0644}};
}

bool RuntimeProvider::SupportFile::intact() const {
  struct stat st {};
  auto current = read_file(path);
  return current && *current == content && ::lstat(path.c_str(), &st) == 0 &&
         st.st_uid == ::geteuid() && (st.st_mode & 07777) == mode;
}

bool RuntimeProvider::support_files_intact() const {
  const auto files = support_files();
  return std::all_of(files.begin(), files.end(), [](const SupportFile& f) { return f.intact(); });
}

// Root-owned and read-only for everyone else: the tenant's PHP runs them, never changes them.
Status RuntimeProvider::ensure_support_files() {
  std::lock_guard lock(support_files_mutex_);
  TRY(ensure_directory(ctx_.layout.php_support_dir(), 0755));
  for (const auto& file : support_files()) {
    if (!file.intact()) TRY(write_file_atomic(file.path, file.content, file.mode));
  }
  // Compiled as the pools compile: opcache folds function_exists() of a disabled
  // function into the code.
  return compile_wordpress_core(ctx_.layout, {"disable_functions=" + disable_functions_value()},
                                [](const std::string&) {});
}

// php-cli runs of the tenant's PHP (the installer, cron) load compiled core from their
// own file cache: opcache ignores one its user may not write, as the pools' is. Made once,
// in a staging directory no tenant can enter, handed to the tenant and renamed into the
// site directory (root's), so root never writes inside a tree the tenant owns.
Status RuntimeProvider::ensure_cli_opcache(const TenantContext& ctx, const RunAs& identity) {
  const fs::path dir = ctx_.layout.cli_opcache_dir(ctx.env.name, ctx.tenant.id);
  std::error_code error;
  if (fs::exists(fs::symlink_status(dir, error))) return {};
  const fs::path staging = dir.string() + ".new";
  TRY(remove_tree(staging));
  TRY(link_compiled_core(ctx_.layout, staging));
  if (isolated_users() && ::chown(staging.c_str(), identity.uid, identity.gid) != 0) {
    return make_error("cannot give " + staging.string() + " to the tenant: " + std::strerror(errno));
  }
  fs::permissions(staging, fs::perms(0700), error);
  if (!error) fs::rename(staging, dir, error);
  if (error) return make_error("cannot make " + dir.string() + ": " + error.message());
  return {};
}

Status RuntimeProvider::remove(const Environment& env, const std::string& tenant_id) {
  std::error_code ec;
  fs::remove(pool_file(ctx_.layout, env.name, tenant_id), ec);
  fs::remove(ctx_.layout.site_dir(env.name, tenant_id) / "wp-config.php", ec);
  return {};
}

Status RuntimeProvider::commit() {
  return reloads_->reload(Service::PhpFpm, batch_.take_deferrable());
}

Status RuntimeProvider::check(const TenantContext& ctx) {
  TRY(reloads_->finish(Service::PhpFpm));
  TRY(core_present(ctx_.layout, ctx.env));
  return socket_answers(site_files(ctx_.layout, ctx.env, ctx.tenant.id).pool_socket);
}

std::string RuntimeProvider::describe(const TenantContext& ctx) {
  auto pool = read_file(pool_file(ctx_.layout, ctx.env.name, ctx.tenant.id));
  if (!pool) return "";
  auto version = wordpress_version(pool_core(ctx_.layout, *pool));
  return version ? "WordPress " + *version : "";
}

std::vector<LogSource> RuntimeProvider::logs(const TenantContext& ctx) const {
  const fs::path log = ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id) / "log";
  return {{"php-error", (log / "php-error.log").string(), nullptr},
          {"php-access", (log / "php-access.log").string(), nullptr},
          {"mail", (log / "mail.log").string(), nullptr}};
}

}  // namespace wpfleet::local
