// The PHP that installs a tenant's WordPress and converges what the fleet file owns, one
// text for every backend: local runs it with the php CLI on the host, aws in a one-off
// task of the tenant's image. Only how the script gets its input and loads WordPress
// differs, and each backend writes that part itself.
#pragma once

#include <string>
#include <string_view>

namespace wpfleet {

// The WordPress user every backend installs as the site's administrator, whose password
// wpfleet keeps.
inline constexpr const char* kAdminUser = "admin";

// A PHP single-quoted string literal for `value` (quote and backslash escaped): how
// wpfleet writes any text into the PHP it generates.
inline std::string php_string(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Installs WordPress when it is not, completes core's tables when an interrupted install
// left some out, makes sure of the admin user, converges the options the fleet file owns,
// and writes the completion marker last: a site without it was not finished. The
// installer's e-mail and its HTTP self-requests (testing pretty permalinks; on local,
// *.localhost does not resolve from PHP) are switched off. On success it defines
// WPFLEET_DONE (a backend that must tell a finished run from an early stop checks it in
// a shutdown function) and prints {"installed_now": ..., "version": ...}.
//
// `prelude` runs first and sets $in (host, title, admin_user, admin_email, public),
// $password (the admin password), $marker (the option written last) and $tables_missing
// (a function: whether an installed site lacks some of core's tables). `load` is the
// statement that requires wp-load.php: at the top level, where WordPress defines its
// globals. A prelude may also set $made_from_template: a function that makes a database
// copied from a template installed elsewhere this site's (local), run instead of
// wp_install().
inline std::string wordpress_install_php(std::string_view prelude, std::string_view load) {
  constexpr std::string_view kBeforeLoad = R"php(
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = $in['host'];
$_SERVER['REQUEST_URI'] = '/';
function wp_new_blog_notification() {}
)php";
  constexpr std::string_view kAfterLoad = R"php(
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_http_request', function () { return new WP_Error('wpfleet', 'no HTTP while installing'); });
$installed_now = false;
if (isset($made_from_template)) {
    $made_from_template();
    $installed_now = true;
} elseif (!is_blog_installed()) {
    $pretty = function () { return '/%postname%/'; };
    add_filter('pre_option_permalink_structure', $pretty);
    wp_install($in['title'], $in['admin_user'], $in['admin_email'], $in['public'] ? 1 : 0, '', wp_slash($password));
    remove_filter('pre_option_permalink_structure', $pretty);
    update_option('permalink_structure', '/%postname%/');
    flush_rewrite_rules(false);
    $installed_now = true;
} elseif ($tables_missing()) {
    make_db_current_silent();
}
if (!username_exists($in['admin_user'])) {
    // Content from elsewhere may give the e-mail address to another user already.
    $email = email_exists($in['admin_email']) ? '' : $in['admin_email'];
    $id = wp_create_user($in['admin_user'], $password, $email);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); define('WPFLEET_DONE', true); exit(1); }
    (new WP_User($id))->set_role('administrator');
}
update_option('blogname', $in['title']);
update_option('admin_email', $in['admin_email']);
update_option('blog_public', $in['public'] ? '1' : '0');
// The URL options follow the address wp-config.php defines, which a domain change moves.
// Written directly: WP_HOME and WP_SITEURL filter what update_option() compares with, so
// it would write nothing.
foreach (['home' => 'WP_HOME', 'siteurl' => 'WP_SITEURL'] as $option => $constant) {
    if (defined($constant)) $wpdb->update($wpdb->options, ['option_value' => constant($constant)], ['option_name' => $option]);
}
wp_cache_delete('alloptions', 'options');
update_option($marker, $GLOBALS['wp_version']);
define('WPFLEET_DONE', true);
echo json_encode(['installed_now' => $installed_now, 'version' => $GLOBALS['wp_version']]), "\n";
)php";
  std::string php(prelude);
  php += kBeforeLoad;
  php += load;
  php += '\n';
  php += kAfterLoad;
  return php;
}

}  // namespace wpfleet
