#include "backends/local/template_db.h"

#include <cctype>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>

#include "backends/local/database.h"
#include "backends/local/names.h"
#include "backends/wordpress_install.h"
#include "platform/platform.h"
#include "platform/wordpress_core.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::local {

namespace {
// Options WordPress keeps its salts in when wp-config lacks them (wp_salt()), and the
// legacy `secret_key`: whatever a template holds of them every tenant cloned from it
// would share. The template's installer gets random salts for its one run, so WordPress
// has no reason to write them; they are deleted all the same.
constexpr std::array<const char*, 9> kSaltOptions = {
    "auth_key",       "auth_salt", "secure_auth_key", "secure_auth_salt", "logged_in_key",
    "logged_in_salt", "nonce_key", "nonce_salt",      "secret_key"};

// The installer (backends/wordpress_install.h) run by root against the template, with
// core's own wp-content (root's, read-only: no tenant's plugin runs here, or it could
// plant something in every site cloned after) and the connection from stdin. Everything
// a tenant's configuration file defines is defined here, so core's wp-config.php is
// given a file that defines nothing (kTemplateConfig).
const std::string& template_install_script() {
  static const std::string script = local_install_php(R"php(
define('DB_NAME', $in['database']);
define('DB_USER', $in['db_user']);
define('DB_PASSWORD', $in['db_password']);
define('DB_HOST', 'localhost:' . $in['db_socket']);
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = $in['table_prefix'];
define('WP_HOME', $in['url']);
define('WP_SITEURL', $in['url']);
foreach ($in['salt_options'] as $option) {
    if ($option !== 'secret_key') define(strtoupper($option), bin2hex(random_bytes(32)));
}
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_AUTO_UPDATE_CORE', false);
)php");
  return script;
}

std::string table(const std::string& db, const char* name) {
  return quote_identifier(db) + "." + quote_identifier(std::string(kTablePrefix) + name);
}

// The core version a complete template holds, or nothing when `db` lacks a core table or
// the marker (absent, or interrupted while it was made).
Result<std::optional<std::string>> template_version(MysqlClient& root, const std::string& db) {
  std::string names;
  for (const char* name : kCoreTables) {
    names += (names.empty() ? "" : ", ") + root.quote(std::string(kTablePrefix) + name);
  }
  TRY_ASSIGN(auto count, root.query("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                    "table_schema = " +
                                    root.quote(db) + " AND table_name IN (" + names + ")"));
  if (count.empty() || count[0][0].value_or("0") != std::to_string(kCoreTables.size())) {
    return std::optional<std::string>();
  }
  TRY_ASSIGN(auto rows, root.query("SELECT option_value FROM " + table(db, "options") +
                                   " WHERE option_name = " + root.quote(kTemplateMarker)));
  if (rows.empty() || !rows[0][0]) return std::optional<std::string>();
  return std::optional<std::string>(*rows[0][0]);
}

Status run_template_installer(const BackendContext& ctx, const std::filesystem::path& core,
                              const std::string& database) {
  TRY_ASSIGN(MysqlEndpoint endpoint, mariadb_root_endpoint(ctx.layout, ctx.secrets));
  TRY_ASSIGN(std::string admin_password, random_password());
  const nlohmann::json input = {
      {"host", std::string(kTemplateUrl).substr(std::string("http://").size())},
      {"url", kTemplateUrl},
      {"title", "wpfleet template"},
      {"admin_user", kAdminUser},
      {"admin_email", "admin@wpfleet-template.invalid"},
      {"admin_password", admin_password},
      {"public", false},
      {"marker", kTemplateMarker},
      {"create_missing_tables", false},
      {"database", database},
      {"db_user", endpoint.user},
      {"db_password", endpoint.password},
      {"db_socket", endpoint.socket},
      {"table_prefix", kTablePrefix},
      {"salt_options", kSaltOptions}};
  CommandSpec spec;
  spec.argv = {"php", "-d", "display_errors=stderr", "-r", template_install_script()};
  spec.clear_env = true;
  const std::filesystem::path config = ctx.layout.run_dir() / "template-config.php";
  TRY(write_file_atomic(
      config, "<?php // the template's installer defines it all (template_db.cc)\n", 0644));
  spec.env = {{"WPFLEET_CORE", core.string()}, {"WPFLEET_SITE_CONFIG", config.string()}};
  spec.cwd = core.string();
  spec.stdin_data = input.dump();
  spec.die_with_parent = true;
  TRY_ASSIGN(CommandOutput output, run_command(spec));
  if (output.exit_code != 0) {
    return make_error("WordPress's installer failed on the template database " + database + ": " +
                      (output.err.empty() ? output.out : output.err));
  }
  return {};
}

// What no tenant may inherit: salts, should WordPress have written any, and transients
// (caches of the moment the template was made).
Status strip_template(MysqlClient& root, const std::string& db) {
  std::string salts;
  for (const char* name : kSaltOptions) salts += (salts.empty() ? "" : ", ") + root.quote(name);
  return root.execute("DELETE FROM " + table(db, "options") + " WHERE option_name IN (" + salts +
                      ") OR option_name LIKE '\\_transient\\_%' OR option_name LIKE "
                      "'\\_site\\_transient\\_%'");
}

Status make_template(const BackendContext& ctx, MysqlClient& root,
                     const std::filesystem::path& core, const std::string& name) {
  const std::string building = name + "_new";
  const std::string create = " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci";
  TRY(root.execute("DROP DATABASE IF EXISTS " + quote_identifier(building)));
  TRY(root.execute("CREATE DATABASE " + quote_identifier(building) + create));
  TRY(run_template_installer(ctx, core, building));
  TRY(strip_template(root, building));
  // An older template (another version of this core) is replaced; a crash from here on
  // leaves an empty database under the name, which is not complete and is made again.
  TRY(root.execute("DROP DATABASE IF EXISTS " + quote_identifier(name)));
  TRY(root.execute("CREATE DATABASE " + quote_identifier(name) + create));
  std::string renames;
  for (const char* table_name : kCoreTables) {
    renames += (renames.empty() ? "" : ", ") + table(building, table_name) + " TO " +
               table(name, table_name);
  }
  TRY(root.execute("RENAME TABLE " + renames));
  return root.execute("DROP DATABASE " + quote_identifier(building));
}
}  // namespace

std::string local_install_php(std::string_view prelude) {
  std::string php = R"php(
$in = json_decode(stream_get_contents(STDIN), true);
$password = $in['admin_password'];
$marker = $in['marker'];
$tables_missing = function () use ($in) { return $in['create_missing_tables']; };
)php";
  php += prelude;
  return wordpress_install_php(php, "require getenv('WPFLEET_CORE') . '/wp-load.php';");
}

std::string template_database_name(const std::string& core_id) {
  std::string name = "wpfleet_template_";
  for (char c : core_id) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

Result<std::string> ensure_template_database(const BackendContext& ctx,
                                             const std::string& core_id) {
  // One apply holds the state directory's lock, so only its threads can meet here.
  static std::mutex making;
  const std::lock_guard lock(making);
  const std::filesystem::path core = ctx.layout.core_dir(core_id);
  TRY_ASSIGN(std::string version, wordpress_version(core));
  const std::string name = template_database_name(core_id);
  TRY_ASSIGN(auto root, connect_as_root(ctx));
  TRY_ASSIGN(auto made, template_version(*root, name));
  if (made == version) return name;
  TRY(make_template(ctx, *root, core, name));
  TRY_ASSIGN(made, template_version(*root, name));
  if (made != version) {
    return make_error("the template database " + name + " holds WordPress " +
                      made.value_or("(nothing)") + ", not the core's " + version);
  }
  return name;
}

Status clone_template_database(MysqlClient& root, const std::string& template_db,
                               const std::string& database) {
  for (const char* name : kCoreTables) {
    TRY(root.execute("CREATE TABLE " + table(database, name) + " LIKE " +
                     table(template_db, name)));
  }
  // The rows in one transaction: one commit to flush, not twelve.
  TRY(root.execute("START TRANSACTION"));
  for (const char* name : kCoreTables) {
    TRY(root.execute("INSERT INTO " + table(database, name) + " SELECT * FROM " +
                     table(template_db, name)));
  }
  return root.execute("COMMIT");
}

}  // namespace wpfleet::local
