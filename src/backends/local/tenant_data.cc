#include "backends/local/tenant_data.h"

#include "backends/content_summary.h"
#include "backends/directory_swap.h"
#include "backends/local/database.h"
#include "backends/local/identity.h"
#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/runtime.h"
#include "backends/local/secrets.h"
#include "backends/local/wp_runner.h"
#include "backends/mysql_staging.h"
#include "platform/platform.h"
#include "util/mysql_client.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {

MysqlStaging staging_of(const BackendContext& backend, const TenantContext& ctx) {
  const std::string live = database_name(ctx.env.name, ctx.tenant.id);
  MysqlServer server;
  server.location.socket = backend.layout.mariadb_socket().string();
  server.account_host = "localhost";
  return MysqlStaging([&backend] { return connect_as_root(backend); }, std::move(server),
                      StagedDatabases{live, live + "__staging", live + "__previous"});
}

// wp-content, beside its staging and previous directories in the site directory
// (root's): renameat2 exchanges them, so the web server sees one or the other.
DirectorySwap files_of(const fs::path& site_dir) {
  return DirectorySwap(site_dir, "wp-content", SwapMethod::Exchange);
}

}  // namespace

Status LocalTenantData::dump_database(const TenantContext& ctx,
                                      const std::vector<std::string>& tables,
                                      const ByteSink& sink) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  return dump_with_mariadb_dump(endpoint, tables, sink);
}

Result<std::map<std::string, std::uint64_t>> LocalTenantData::row_counts(const TenantContext& ctx) {
  return staging_of(ctx_, ctx).live_row_counts();
}

Result<std::unique_ptr<SqlLoad>> LocalTenantData::load_staging_database(const TenantContext& ctx) {
  return staging_of(ctx_, ctx).load();
}

Result<std::optional<MysqlEndpoint>> LocalTenantData::database_endpoint(const TenantContext& ctx) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  return std::optional<MysqlEndpoint>(std::move(endpoint));
}

Result<std::unique_ptr<StagingDatabase>> LocalTenantData::open_staging_database(
    const TenantContext& ctx) {
  return staging_of(ctx_, ctx).open();
}

Result<std::map<std::string, std::uint64_t>> LocalTenantData::staged_row_counts(
    const TenantContext& ctx) {
  return staging_of(ctx_, ctx).staged_row_counts();
}

Result<UniqueFd> LocalTenantData::staging_files(const TenantContext& ctx) {
  return files_of(site_dir(ctx)).fresh_staging();
}

Status LocalTenantData::read_files(const TenantContext& ctx, const TreeVisitor& visit) {
  return files_of(site_dir(ctx)).read_live(visit);
}

Status LocalTenantData::adopt_staged_files(const TenantContext& ctx) {
  TRY_ASSIGN(RunAs owner, tenant_identity(ctx_.layout, ctx.env.name, ctx.tenant.id));
  return files_of(site_dir(ctx)).adopt_staging(Owner{owner.uid, owner.gid});
}

Status LocalTenantData::swap_in_staging(const TenantContext& ctx, const SwapScope& scope) {
  if (scope.database) TRY(staging_of(ctx_, ctx).swap_in(scope.replace_all_tables));
  if (scope.files) TRY(files_of(site_dir(ctx)).swap_in());
  return {};
}

Status LocalTenantData::restore_previous(const TenantContext& ctx, const SwapScope& scope) {
  if (scope.database) TRY(staging_of(ctx_, ctx).restore_previous(scope.replace_all_tables));
  if (scope.files) TRY(files_of(site_dir(ctx)).restore_previous());
  return {};
}

Status LocalTenantData::discard_previous(const TenantContext& ctx) {
  TRY(staging_of(ctx_, ctx).discard_previous());
  return files_of(site_dir(ctx)).discard_previous();
}

Status LocalTenantData::discard_staging(const TenantContext& ctx) {
  TRY(staging_of(ctx_, ctx).discard_staging());
  return files_of(site_dir(ctx)).discard_staging();
}

Result<std::string> LocalTenantData::content_fingerprint(const TenantContext& ctx) {
  ContentSummary summary;
  TRY(staging_of(ctx_, ctx).summarize(summary));
  TRY(files_of(site_dir(ctx)).summarize(summary.files));
  return format_content_summary(summary);
}

Status LocalTenantData::reset_admin_password(const TenantContext& ctx) {
  TRY_ASSIGN(std::string password,
             ctx_.secrets.get(tenant_secret_scope(ctx.env.name, ctx.tenant.id), kAdminPassword));
  const std::string php = "$user = get_user_by('login', '" + std::string(kAdminUser) +
                          "');\nif ($user) wp_set_password(stream_get_contents(STDIN), $user->ID);\n";
  return run_php(ctx, php, password);
}

// wp_check_password is what a login checks, and unlike a login it leaves no session and
// no trace for a plugin counting failed logins.
std::string LocalTenantData::running_core(const TenantContext& ctx) {
  return tenant_core(ctx_.layout, ctx.env.name, ctx.tenant.id);
}

Result<std::optional<bool>> LocalTenantData::admin_password_logs_in(const TenantContext& ctx) {
  TRY_ASSIGN(std::string password,
             ctx_.secrets.get(tenant_secret_scope(ctx.env.name, ctx.tenant.id), kAdminPassword));
  const std::string php = "$user = get_user_by('login', '" + std::string(kAdminUser) +
                          "');\necho "
                          "$user && wp_check_password(stream_get_contents(STDIN), "
                          "$user->user_pass, $user->ID) ? '1' : '0';\n";
  TRY_ASSIGN(std::string printed, run_wordpress(ctx, php, password));
  // The answer is the last thing printed: a plugin may print before it.
  const auto last = printed.find_last_not_of(" \t\r\n");
  if (last == std::string::npos || (printed[last] != '0' && printed[last] != '1')) {
    return make_error("checking the admin password of " + ctx.env.name + "/" + ctx.tenant.id +
                      " printed no answer: the tenant's PHP ended early");
  }
  return std::optional<bool>(printed[last] == '1');
}

Status LocalTenantData::rotate_admin_password(const TenantContext& ctx) {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  const std::string pending = pending_secret_name(kAdminPassword);
  TRY_ASSIGN(std::string password, ctx_.secrets.ensure(scope, pending, [] {
    return new_tenant_secret(kAdminPassword);
  }));
  // Unlike a reset after an import, which keeps the content's users, a rotation that
  // finds no admin user has nothing to set: it says so rather than store a password
  // that logs nobody in.
  const std::string php =
      "$user = get_user_by('login', '" + std::string(kAdminUser) +
      "');\nif (!$user) {\n  fwrite(STDERR, \"WordPress has no user '" + kAdminUser +
      "' (`wpfleet verify " + ctx.tenant.id + " -e " + ctx.env.name +
      "` says what else is missing)\");\n  exit(1);\n}\n"
      "wp_set_password(stream_get_contents(STDIN), $user->ID);\n";
  TRY(run_php(ctx, php, password));
  TRY(ctx_.secrets.put(scope, kAdminPassword, password));
  return ctx_.secrets.remove(scope, pending);
}

Status LocalTenantData::run_php(const TenantContext& ctx, const std::string& php,
                                const std::string& input) {
  TRY(run_wordpress(ctx, php, input));
  return {};
}

Result<std::string> LocalTenantData::run_wordpress(const TenantContext& ctx, const std::string& php,
                                                   const std::string& input) {
  const std::string code = "require getenv('WPFLEET_CORE') . '/wp-load.php';\n" + php;
  TRY_ASSIGN(CommandOutput output,
             run_wordpress_php(ctx_, ctx.env.name, ctx.tenant.id, code, input));
  return std::move(output.out);
}

Status LocalTenantData::run_sql(const TenantContext& ctx, const std::string& sql) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  TRY_ASSIGN(auto client, MysqlClient::connect(endpoint));
  return client->execute(sql);
}

fs::path LocalTenantData::site_dir(const TenantContext& ctx) const {
  return ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id);
}

std::unique_ptr<TenantData> make_local_tenant_data(BackendContext& ctx) {
  return std::make_unique<LocalTenantData>(ctx);
}

}  // namespace wpfleet::local
