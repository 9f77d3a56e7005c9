// The WordPress installer of an aws tenant: a one-off task of the tenant's own task
// definition whose command first lets the image's entrypoint set the site up (copy
// WordPress in, write wp-config.php from the WORDPRESS_* variables), then runs PHP that
// installs WordPress when it is not, and converges what the fleet file owns. The admin
// password comes from the task definition's secrets (WPFLEET_ADMIN_PASSWORD); the
// title and e-mail address are not secret but are arbitrary text, so they travel
// base64-encoded inside the command, never as environment overrides.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace wpfleet::aws_backend {

struct SiteInstallInputs {
  std::string host;  // the primary host, as the installer's HTTP_HOST
  std::string title;
  std::string admin_email;
  bool is_public = false;  // blog_public: only production is open to search engines
};

// ECS counts the characters of a RunTask's overrides and refuses more than this.
inline constexpr std::size_t kMaxOverridesCharacters = 8192;

// The container command; an error when it would not fit in a RunTask's overrides (a
// title of several kilobytes).
Result<std::vector<std::string>> site_install_command(const SiteInstallInputs& inputs);

// A container command of the wordpress image that lets its entrypoint set the site up,
// then runs `php` (with `php -r`; it loads WordPress itself when it needs it). An
// error naming `what` when it would not fit in a RunTask's overrides.
Result<std::vector<std::string>> wordpress_php_command(const std::string& php,
                                                       const std::string& what);

}  // namespace wpfleet::aws_backend
