// Template databases on `local`: WordPress installed once per core into a database of
// its own (`wpfleet_template_<core>`, root's, no tenant has a grant on it), whose core
// tables a new tenant's database is filled from inside MariaDB instead of running
// wp_install() again. The site provider then makes the copy the tenant's (URLs, title,
// admin, dates) in the installer's one PHP run.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "backends/registry.h"
#include "util/mysql_client.h"

namespace wpfleet::local {

// What WordPress core creates (wp-admin/includes/schema.php, single site), without the
// table prefix.
inline constexpr std::array<const char*, 12> kCoreTables = {
    "options",  "users",       "usermeta", "posts",         "postmeta",
    "comments", "commentmeta", "terms",    "term_taxonomy", "term_relationships",
    "termmeta", "links"};

// The site URL a template is installed with: the site provider replaces it wherever
// WordPress wrote it (options, GUIDs, the sample pages, the admin's profile). `.invalid`
// never resolves, so nothing could reach it.
inline constexpr char kTemplateUrl[] = "http://wpfleet-template.invalid";

// The option a template's installer writes last, holding the core's version: a template
// without it, or with another version, is never cloned.
inline constexpr char kTemplateMarker[] = "wpfleet_template";

// The installer (backends/wordpress_install.h) as php-cli runs it here: its input, the
// admin password among it, is JSON on stdin (never argv) and sets $in, $password,
// $marker and $tables_missing (from `create_missing_tables`); `prelude` follows, and
// WordPress is loaded from the core WPFLEET_CORE names.
std::string local_install_php(std::string_view prelude);

// The template database of the core `core_id` (an environment's `core`: "debian" or a
// release) of the state directory.
std::string template_database_name(const std::string& core_id);

// Makes the template of `core_id` unless it is there, complete and of the core's current
// version (a core whose version changed gets a new one in its place). Built under another
// name and renamed in one RENAME TABLE, so a crash leaves no half-made template under its
// name. Threads of one apply may call it at once: the first makes it, the others wait.
Result<std::string> ensure_template_database(const BackendContext& ctx, const std::string& core_id);

// Copies the template's core tables into `database`, which must hold none of them. An
// interrupted copy leaves some tables without the installed-site marker: the site
// provider drops them and copies again.
Status clone_template_database(MysqlClient& root, const std::string& template_db,
                               const std::string& database);

}  // namespace wpfleet::local
