#include "backends/aws/site_install.h"

#include <nlohmann/json.hpp>

#include "backends/aws/task_definition.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {

namespace {

// The docker-library image's entrypoint sets the site up only when it is to start
// apache2 or php-fpm, or when it runs as docker-ensure-installed.sh (images since
// 2023, which exist for this); older images get `apache2 -v`, which only prints a
// version once the setup is done. The PHP is "$1", so that it needs no shell quoting.
constexpr const char* kShellScript =
    "set -e\n"
    "if command -v docker-ensure-installed.sh >/dev/null 2>&1; then\n"
    "  docker-ensure-installed.sh true\n"
    "else\n"
    "  docker-entrypoint.sh apache2 -v >/dev/null\n"
    "fi\n"
    "exec php -r \"$1\"\n";

// What the local backend's installer does (backends/local/site.cc), in the image: install
// when WordPress is not, complete core's tables when an interrupted install left some
// out, make sure of the admin user, converge the options the fleet file owns, and write
// the completion marker last. WordPress stops with exit status 0 on a fatal error such
// as a database it cannot reach (wp_die), so a shutdown function turns an early stop
// into a failure. The installer's e-mail and HTTP self-requests are off.
constexpr const char* kPhpScript = R"php(
register_shutdown_function(function () {
    if (!defined('WPFLEET_DONE')) { fwrite(STDERR, "wpfleet: WordPress stopped before the install finished\n"); exit(1); }
});
$in = json_decode(base64_decode('@INPUT@'), true);
$password = getenv('@PASSWORD_VARIABLE@');
if ($password === false || $password === '') {
    fwrite(STDERR, "wpfleet: @PASSWORD_VARIABLE@ is empty: the task definition must give it from the tenant's secret\n");
    define('WPFLEET_DONE', true); exit(2);
}
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = $in['host'];
$_SERVER['REQUEST_URI'] = '/';
function wp_new_blog_notification() {}
require '/var/www/html/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_http_request', function () { return new WP_Error('wpfleet', 'no HTTP while installing'); });
$installed_now = false;
if (!is_blog_installed()) {
    $pretty = function () { return '/%postname%/'; };
    add_filter('pre_option_permalink_structure', $pretty);
    wp_install($in['title'], $in['admin_user'], $in['admin_email'], $in['public'] ? 1 : 0, '', wp_slash($password));
    remove_filter('pre_option_permalink_structure', $pretty);
    update_option('permalink_structure', '/%postname%/');
    flush_rewrite_rules(false);
    $installed_now = true;
} else {
    global $wpdb;
    foreach ($wpdb->tables('all') as $table) {
        if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($table))) !== $table) {
            make_db_current_silent();
            break;
        }
    }
}
if (!username_exists($in['admin_user'])) {
    $email = email_exists($in['admin_email']) ? '' : $in['admin_email'];
    $id = wp_create_user($in['admin_user'], $password, $email);
    if (is_wp_error($id)) { fwrite(STDERR, $id->get_error_message() . "\n"); define('WPFLEET_DONE', true); exit(1); }
    (new WP_User($id))->set_role('administrator');
}
update_option('blogname', $in['title']);
update_option('admin_email', $in['admin_email']);
update_option('blog_public', $in['public'] ? '1' : '0');
update_option('wpfleet_installed', $GLOBALS['wp_version']);
define('WPFLEET_DONE', true);
echo json_encode(['installed_now' => $installed_now, 'version' => $GLOBALS['wp_version']]), "\n";
)php";

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

}  // namespace

Result<std::vector<std::string>> site_install_command(const SiteInstallInputs& inputs) {
  const nlohmann::json input = {{"host", inputs.host},
                                {"title", inputs.title},
                                {"admin_user", "admin"},
                                {"admin_email", inputs.admin_email},
                                {"public", inputs.is_public}};
  std::string php = kPhpScript;
  // Base64's alphabet (A-Z a-z 0-9 + / =) is safe inside a PHP single-quoted string.
  replace_all(php, "@INPUT@", base64(input.dump()));
  replace_all(php, "@PASSWORD_VARIABLE@", kAdminPasswordVariable);
  std::vector<std::string> command = {"sh", "-c", kShellScript, "wpfleet-site-install", php};
  std::size_t characters = 0;
  for (const auto& part : command) characters += part.size();
  // The overrides also hold the container's name and the JSON around the command.
  if (characters + 256 > kMaxOverridesCharacters) {
    return make_error(
        "the site's title and admin e-mail address are too long to pass to the "
        "installer task (ECS allows " +
        std::to_string(kMaxOverridesCharacters) +
        " characters of overrides): shorten them in the fleet file");
  }
  return command;
}

}  // namespace wpfleet::aws_backend
