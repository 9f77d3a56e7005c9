#include "backends/local/wp_runner.h"

#include <regex>

#include "backends/local/identity.h"
#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/runtime.h"
#include "util/fs.h"

namespace wpfleet::local {

Result<CommandOutput> run_wordpress_php(const BackendContext& ctx, const std::string& env,
                                        const std::string& tenant, const std::string& php_code,
                                        const std::string& stdin_data) {
  const std::string site_dir = ctx.layout.site_dir(env, tenant).string();
  CommandSpec spec;
  if (isolated_users()) {
    TRY_ASSIGN(spec.run_as, tenant_identity(ctx.layout, env, tenant));
  }
  // Exactly the pool's confinement (open_basedir, disable_functions, FFI off, sendmail,
  // limits), read back from the pool file apply wrote: the tenant's plugins load here
  // too, and must not find php-cli any looser than php-fpm.
  auto pool = read_file(pool_file(ctx.layout, env, tenant));
  if (!pool) {
    return make_error("the PHP pool of tenant '" + tenant + "' in " + env +
                      " is not configured, so its PHP cannot run confined: run `wpfleet apply`");
  }
  spec.argv = {"php"};
  // Core compiled once (ensure_cli_opcache), not in every run; only this tenant loads
  // what it adds there, so no checksums either.
  const std::filesystem::path opcache = ctx.layout.cli_opcache_dir(env, tenant);
  if (std::filesystem::is_directory(opcache)) {
    spec.argv.insert(spec.argv.end(),
                     {"-d", "opcache.enable_cli=1", "-d", "opcache.file_cache=" + opcache.string(),
                      "-d", "opcache.file_cache_only=1", "-d",
                      "opcache.file_cache_consistency_checks=0"});
  }
  for (const PhpSetting& setting : pool_php_settings(*pool)) {
    spec.argv.push_back("-d");
    spec.argv.push_back(setting.name + "=" + setting.value);
  }
  // Not a restriction: wpfleet reads PHP's errors from stderr to report them.
  spec.argv.insert(spec.argv.end(), {"-d", "display_errors=stderr", "-r", php_code});
  spec.clear_env = true;
  // The core the pool runs, which apply wrote from the environment's `core`.
  spec.env = {{"WPFLEET_CORE", pool_core(ctx.layout, *pool).string()},
              {"WPFLEET_SITE_CONFIG", site_dir + "/wp-config.php"},
              {"TMPDIR", site_dir + "/tmp"}};
  spec.cwd = site_dir;
  spec.stdin_data = stdin_data;
  spec.die_with_parent = true;  // a WordPress left running would outlive a discard
  TRY_ASSIGN(CommandOutput output, run_command(spec));
  if (output.exit_code != 0) {
    return make_error("WordPress (PHP) failed for tenant '" + tenant + "' in " + env + ": " +
                      (output.err.empty() ? output.out : output.err));
  }
  return output;
}

Status run_due_cron(const BackendContext& ctx, const std::string& env, const std::string& tenant) {
  static const std::string kCron = R"php(
$_SERVER['REQUEST_METHOD'] = 'GET';
require getenv('WPFLEET_CORE') . '/wp-cron.php';
)php";
  TRY(run_wordpress_php(ctx, env, tenant, kCron, ""));
  return {};
}

std::optional<std::time_t> earliest_cron_event(const std::string& serialized) {
  // Timestamps are `i:<10 digits>;a:` (an integer key holding the events of that
  // second); smaller integers are array indexes or intervals, not times.
  static const std::regex kTimestampKey("i:(\\d{10});a:");
  std::optional<std::time_t> earliest;
  for (auto it = std::sregex_iterator(serialized.begin(), serialized.end(), kTimestampKey);
       it != std::sregex_iterator(); ++it) {
    const std::time_t at = std::stoll((*it)[1].str());
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

Result<bool> cron_due(MysqlClient& root, const std::string& env, const std::string& tenant,
                      std::time_t now) {
  TRY_ASSIGN(auto rows, root.query("SELECT option_value FROM " +
                                   quote_identifier(database_name(env, tenant)) + "." +
                                   quote_identifier(std::string(kTablePrefix) + "options") +
                                   " WHERE option_name = 'cron'"));
  if (rows.empty() || !rows[0][0]) return false;
  const auto earliest = earliest_cron_event(*rows[0][0]);
  return earliest && *earliest <= now;
}

}  // namespace wpfleet::local
