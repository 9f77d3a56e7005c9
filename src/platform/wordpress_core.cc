#include "platform/wordpress_core.h"

#include <filesystem>
#include <string>

#include "util/fs.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;

constexpr char kWpConfig[] = R"php(<?php
// wpfleet: one shared copy of WordPress core serves every tenant. The tenant is chosen
// by its php-fpm pool (or the CLI runner) through WPFLEET_SITE_CONFIG, never by the
// Host header, so one tenant can never load another's configuration.
$wpfleet_site_config = getenv('WPFLEET_SITE_CONFIG');
if ($wpfleet_site_config === false || !is_readable($wpfleet_site_config)) {
    http_response_code(500);
    exit('wpfleet: this site has no configuration; run `wpfleet apply`.');
}
require $wpfleet_site_config;
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
)php";

// Not copied: Debian's wp-config.php (it picks a configuration by Host header, and ours
// replaces it) and the translations (31 MB that an English site never reads).
bool skipped(const fs::path& relative) {
  return relative == "wp-config.php" || relative == fs::path("wp-content") / "languages";
}

Error copy_error(const fs::path& path, const std::error_code& error) {
  return make_error("cannot copy WordPress core (" + path.string() + "): " + error.message());
}

// A real copy: symbolic links (Debian links some files to other packages) are followed,
// because PHP resolves links in __FILE__ and core must be self-contained.
Status copy_tree(const fs::path& from, const fs::path& to, const fs::path& relative) {
  std::error_code error;
  fs::create_directory(to, error);
  if (!error) fs::permissions(to, fs::perms(0755), error);
  if (error) return copy_error(to, error);
  fs::directory_iterator entries(from, error);
  if (error) return copy_error(from, error);
  for (const fs::directory_entry& entry : entries) {
    const fs::path name = entry.path().filename();
    if (skipped(relative / name)) continue;
    // Follows links; a dangling one has nothing to copy and comes back as not_found.
    fs::file_status status = entry.status(error);
    if (fs::is_directory(status)) {
      TRY(copy_tree(entry.path(), to / name, relative / name));
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(entry.path(), to / name, error);
      if (!error) fs::permissions(to / name, fs::perms(0644), error);
      if (error) return copy_error(entry.path(), error);
    }
  }
  return {};
}

}  // namespace

Status check_wordpress_source(const StateLayout& layout) {
  if (fs::exists(layout.core_dir()) || fs::exists(fs::path(kWordPressSource) / "wp-settings.php")) {
    return {};
  }
  return make_error(std::string("WordPress core not found in ") + kWordPressSource +
                    ": install the Debian package wordpress (apt-get install wordpress)");
}

Status install_wordpress_core(const StateLayout& layout, const ProgressFn& progress) {
  if (fs::exists(layout.core_dir())) return {};
  progress("copying WordPress core…");
  const fs::path staging = layout.root / "core.new";
  TRY(remove_tree(staging));
  TRY(copy_tree(kWordPressSource, staging, ""));
  TRY(write_file_atomic(staging / "wp-config.php", kWpConfig, 0644));
  std::error_code error;
  fs::rename(staging, layout.core_dir(), error);
  if (error)
    return make_error("cannot move the WordPress core copy into place: " + error.message());
  return {};
}

}  // namespace wpfleet
