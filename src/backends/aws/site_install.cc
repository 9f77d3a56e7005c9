#include "backends/aws/site_install.h"

#include <nlohmann/json.hpp>

#include "backends/aws/task_definition.h"
#include "backends/wordpress_install.h"
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

// The installer (backends/wordpress_install.h) as the image runs it: its input
// base64-encoded in the command, the admin password from the task definition's secrets.
// WordPress stops with exit status 0 on a fatal error such as a database it cannot
// reach (wp_die), so a shutdown function turns an early stop into a failure. Whether
// core's tables are all there is asked in the task, which reaches the database where
// wpfleet itself may not.
constexpr const char* kPrelude = R"php(
register_shutdown_function(function () {
    if (!defined('WPFLEET_DONE')) { fwrite(STDERR, "wpfleet: WordPress stopped before the install finished\n"); exit(1); }
});
$in = json_decode(base64_decode('@INPUT@'), true);
$password = getenv('@PASSWORD_VARIABLE@');
if ($password === false || $password === '') {
    fwrite(STDERR, "wpfleet: @PASSWORD_VARIABLE@ is empty: the task definition must give it from the tenant's secret\n");
    define('WPFLEET_DONE', true); exit(2);
}
$marker = 'wpfleet_installed';
$tables_missing = function () {
    global $wpdb;
    foreach ($wpdb->tables('all') as $table) {
        if ($wpdb->get_var($wpdb->prepare('SHOW TABLES LIKE %s', $wpdb->esc_like($table))) !== $table) return true;
    }
    return false;
};
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
                                {"admin_user", kAdminUser},
                                {"admin_email", inputs.admin_email},
                                {"public", inputs.is_public}};
  std::string php = wordpress_install_php(kPrelude, "require '/var/www/html/wp-load.php';");
  // Base64's alphabet (A-Z a-z 0-9 + / =) is safe inside a PHP single-quoted string.
  replace_all(php, "@INPUT@", base64(input.dump()));
  replace_all(php, "@PASSWORD_VARIABLE@", kAdminPasswordVariable);
  auto command = wordpress_php_command(php, "the installer's input");
  if (!command) {
    return make_error(
        "the site's title and admin e-mail address are too long to pass to the "
        "installer task (ECS allows " +
        std::to_string(kMaxOverridesCharacters) +
        " characters of overrides): shorten them in the fleet file");
  }
  return command;
}

Result<std::vector<std::string>> wordpress_php_command(const std::string& php,
                                                       const std::string& what) {
  std::vector<std::string> command = {"sh", "-c", kShellScript, "wpfleet-php", php};
  std::size_t characters = 0;
  for (const auto& part : command) characters += part.size();
  // The overrides also hold the container's name and the JSON around the command.
  if (characters + 256 > kMaxOverridesCharacters) {
    return make_error(what + " is too long to pass to a one-off task (ECS allows " +
                      std::to_string(kMaxOverridesCharacters) + " characters of overrides)");
  }
  return command;
}

}  // namespace wpfleet::aws_backend
