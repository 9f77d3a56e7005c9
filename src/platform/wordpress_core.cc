#include "platform/wordpress_core.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "util/fs.h"
#include "util/process.h"
#include "util/unique_fd.h"

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

// Compiles the files named on stdin, or every .php file of core when stdin is empty, and
// prints those that failed, then "done". A file that declares a function another compiled file
// declared too (wp-admin/includes/noop.php stubs core's) fails in this process only, so
// the caller runs the failures again in a new one.
constexpr char kCompileCore[] = R"php(
$files = array_filter(explode("\n", stream_get_contents(STDIN)));
if (!$files) {
    $tree = new RecursiveIteratorIterator(new RecursiveDirectoryIterator(
        getenv('WPFLEET_CORE'), FilesystemIterator::SKIP_DOTS));
    foreach ($tree as $file) {
        if (str_ends_with($file, '.php')) $files[] = (string) $file;
    }
}
foreach ($files as $file) {
    if (!@opcache_compile_file($file)) echo $file, "\n";
}
echo "done\n";
)php";

Result<std::string> compile_into(const fs::path& cache, const fs::path& core,
                                 const std::vector<std::string>& php_settings,
                                 const std::string& files) {
  CommandSpec spec;
  // Shared memory on as well: opcache_compile_file() stores into the file cache only
  // from there.
  spec.argv = {"php", "-d", "opcache.enable_cli=1", "-d", "opcache.file_cache=" + cache.string(),
               "-d", "display_errors=0", "-d", "log_errors=0"};
  for (const std::string& setting : php_settings) spec.argv.insert(spec.argv.end(), {"-d", setting});
  spec.argv.insert(spec.argv.end(), {"-r", kCompileCore});
  spec.clear_env = true;
  spec.env = {{"WPFLEET_CORE", core.string()}};
  spec.stdin_data = files;
  spec.die_with_parent = true;
  TRY_ASSIGN(CommandOutput output, run_command(spec));
  // A file that failed to compile makes PHP's exit code 255: the last line tells.
  const std::string done = "done\n";
  if (!output.out.ends_with(done)) {
    return make_error("cannot compile WordPress core for opcache (php exited with " +
                      std::to_string(output.exit_code) + "): " + output.err +
                      "; check that php-cli and its opcache work (`php -v`), then `wpfleet apply`");
  }
  return output.out.substr(0, output.out.size() - done.size());
}

// The .php files of `core` that have no compiled copy in `cache` (opcache keeps each
// under <cache>/<system id>/<its absolute path>.bin), one a line.
std::string uncached_files(const fs::path& cache, const fs::path& core) {
  std::error_code error;
  fs::path system_dir;
  for (const auto& entry : fs::directory_iterator(cache, error)) {
    if (entry.is_directory(error)) system_dir = entry.path();
  }
  std::string missing;
  for (auto entry = fs::recursive_directory_iterator(core, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    if (entry->path().extension() != ".php" || !entry->is_regular_file(error)) continue;
    const fs::path bin = system_dir / (entry->path().relative_path().string() + ".bin");
    if (system_dir.empty() || !fs::exists(bin, error)) missing += entry->path().string() + "\n";
  }
  return missing;
}

std::string settings_text(const std::vector<std::string>& php_settings) {
  std::string text;
  for (const std::string& setting : php_settings) text += setting + "\n";
  return text;
}

// opcache makes its directories 0700 and files 0600: the tenants' PHP must read them.
Status open_to_readers(const fs::path& cache) {
  std::error_code error;
  fs::permissions(cache, fs::perms(0755), error);
  for (auto entry = fs::recursive_directory_iterator(cache, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    const bool directory = entry->is_directory(error);
    if (!error) fs::permissions(entry->path(), fs::perms(directory ? 0755 : 0644), error);
  }
  if (error) return make_error("cannot open " + cache.string() + " to PHP: " + error.message());
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

Status compile_wordpress_core(const StateLayout& layout, const std::vector<std::string>& php_settings,
                              const ProgressFn& progress) {
  const fs::path settings_file = layout.opcache_dir() / "settings";
  // One compile at a time: each environment's runtime provider asks, on threads of one
  // apply or in another process, and two compiles into one staging directory left a
  // cache with a third of core missing. The lock is taken before the check, so a waiter
  // finds the other's finished cache.
  const fs::path lock_path = layout.opcache_dir().string() + ".lock";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0) {
    return make_error("cannot lock " + lock_path.string() + ": " + std::strerror(errno));
  }
  Result<std::string> compiled_with = read_file(settings_file);
  if (compiled_with && *compiled_with == settings_text(php_settings)) return {};
  progress("compiling WordPress core for PHP's opcache…");
  const fs::path staging = layout.opcache_dir().string() + ".new";
  TRY(remove_tree(staging));
  TRY(make_dirs(staging, 0755));
  // The paths PHP will see: opcache keys its files by the resolved path.
  std::error_code error;
  const fs::path core = fs::canonical(layout.core_dir(), error);
  if (error) return make_error("cannot resolve " + layout.core_dir().string() + ": " + error.message());
  // Each pass is a new process: a file that declares what an earlier one declared only
  // compiles in another, and a pass has been seen to store nothing at all (seen in the
  // test suite, not understood): what has no cached copy yet goes again.
  std::string wanted;  // empty: every file of core
  for (int pass = 0; pass < 3; ++pass) {
    TRY(compile_into(staging, core, php_settings, wanted));
    wanted = uncached_files(staging, core);
    if (wanted.empty()) break;
  }
  TRY(write_file_atomic(staging / "settings", settings_text(php_settings)));
  TRY(open_to_readers(staging));
  // Until the rename PHP finds no cache and compiles, as it would without one.
  TRY(remove_tree(layout.opcache_dir()));
  fs::rename(staging, layout.opcache_dir(), error);
  if (error) return make_error("cannot move compiled core into place: " + error.message());
  return {};
}

Status link_compiled_core(const StateLayout& layout, const fs::path& into) {
  const fs::path from = layout.opcache_dir();
  std::error_code error;
  fs::create_directory(into, error);
  for (auto entry = fs::recursive_directory_iterator(from, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    const fs::path target = into / fs::relative(entry->path(), from);
    if (entry->is_directory(error)) {
      fs::create_directory(target, error);
      if (!error) fs::permissions(target, fs::perms(0755), error);
    } else if (!error) {
      fs::create_hard_link(entry->path(), target, error);
    }
  }
  if (error) return make_error("cannot link compiled core into " + into.string() + ": " + error.message());
  return {};
}

}  // namespace wpfleet
