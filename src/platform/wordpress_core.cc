#include "platform/wordpress_core.h"

#include <fcntl.h>
#include <sys/file.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "util/archive.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/http_client.h"
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

// What a compiled cache was made from: the settings, and which cores (a release added
// since is compiled too).
std::string settings_text(const std::vector<std::string>& php_settings,
                          const std::vector<fs::path>& cores) {
  std::string text;
  for (const std::string& setting : php_settings) text += setting + "\n";
  for (const fs::path& core : cores) text += "core " + core.string() + "\n";
  return text;
}

// Gives `tree` and every directory in it `directories`, every file in it `files`.
Status set_tree_modes(const fs::path& tree, fs::perms directories, fs::perms files) {
  std::error_code error;
  for (auto entry = fs::recursive_directory_iterator(tree, error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    const bool directory = entry->is_directory(error);
    if (!error) fs::permissions(entry->path(), directory ? directories : files, error);
  }
  if (!error) fs::permissions(tree, directories, error);
  if (error) return make_error("cannot set the modes of " + tree.string() + ": " + error.message());
  return {};
}

// Every core of the state directory, as PHP will see them (opcache keys its files by the
// resolved path).
Result<std::vector<fs::path>> installed_cores(const StateLayout& layout) {
  std::vector<fs::path> cores;
  std::error_code error;
  if (fs::exists(layout.core_dir(kDebianCore), error)) cores.push_back(layout.core_dir(kDebianCore));
  for (const auto& entry : fs::directory_iterator(layout.core_store(), error)) {
    // Dot names are downloads and copies still being made.
    if (!entry.path().filename().string().starts_with(".")) cores.push_back(entry.path());
  }
  std::sort(cores.begin(), cores.end());
  for (fs::path& core : cores) {
    core = fs::canonical(core, error);
    if (error) return make_error("cannot resolve " + core.string() + ": " + error.message());
  }
  return cores;
}

// Takes an exclusive flock on `path` (made if missing) for as long as the result lives.
Result<UniqueFd> lock_file(const fs::path& path) {
  UniqueFd lock(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock.valid() || ::flock(lock.get(), LOCK_EX) != 0) {
    return make_error("cannot lock " + path.string() + ": " + std::strerror(errno));
  }
  return lock;
}

// --- releases of wordpress.org ---------------------------------------------------------

// In layout.core_store(): one lock file for every version, so that a refused version
// leaves nothing of its own behind.
constexpr char kLockName[] = ".lock";

std::string download_base() {
  const char* base = std::getenv(kCoreDownloadUrlVariable);
  std::string url = base != nullptr && *base != '\0' ? base : "https://wordpress.org";
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// `when_missing` is what an HTTP 404 means for this file.
Result<std::string> download(const std::string& url, const std::string& version,
                             const std::string& when_missing) {
  HttpRequest request;
  request.url = url;
  request.timeout = std::chrono::minutes(10);
  auto reply = http_request(request);
  if (!reply) {
    return make_error("cannot download WordPress " + version + " from " + url + " (" +
                      reply.error().message + "): check that this machine reaches it (or set " +
                      kCoreDownloadUrlVariable + " to a mirror), or use core = \"debian\", " +
                      "which needs no network");
  }
  if (reply->status == 404) return make_error(url + " answered HTTP 404: " + when_missing);
  if (reply->status != 200) {
    return make_error("cannot download WordPress " + version + ": " + url + " answered HTTP " +
                      std::to_string(reply->status) + "; try again later, or use core = \"debian\"");
  }
  return std::move(reply->body);
}

// The path below the release's top directory "wordpress/" that an archive entry names,
// empty for that directory itself; an Error for a name outside it.
Result<fs::path> release_path(const std::string& name, const std::string& version) {
  fs::path relative;
  bool top = false;
  for (const fs::path& part : fs::path(name)) {
    const std::string text = part.string();
    if (text.empty() || text == ".") continue;
    if (!top && text == "wordpress") {
      top = true;
      continue;
    }
    if (!top || text == ".." || part.has_root_directory()) {
      return make_error("the WordPress " + version + " archive has an entry outside its " +
                        "wordpress/ directory (" + name + "), which no release has: nothing " +
                        "was installed; check where " + kCoreDownloadUrlVariable + " points");
    }
    relative /= part;
  }
  return relative;
}

// Unpacks into `into` (which exists) only directories and regular files, each made here:
// no entry of the archive can name a place outside `into` or make a link.
Status unpack_release(const fs::path& archive, const fs::path& into, const std::string& version) {
  return TarReader::for_each(archive, [&](const TarReader::Entry& entry,
                                          const auto& read_data) -> Status {
    TRY_ASSIGN(fs::path relative, release_path(entry.name, version));
    if (entry.is_symlink) {
      return make_error("the WordPress " + version + " archive holds a link (" + entry.name +
                        " -> " + entry.symlink_target + "), which no release has: nothing was " +
                        "installed; check where " + kCoreDownloadUrlVariable + " points");
    }
    if (relative.empty()) return {};
    const fs::path path = into / relative;
    if (entry.is_directory) return make_dirs(path, 0755);
    TRY(make_dirs(path.parent_path(), 0755));
    UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file.valid()) {
      return make_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    return read_data([&](std::string_view piece) -> Status {
      if (Status written = write_all(file.get(), piece); !written) {
        return make_error("cannot write " + path.string() + ": " + written.error().message);
      }
      return {};
    });
  });
}

// What a crash left of an install (its download and copy, under dot names); called
// with the lock held, so no other install is under way.
Status remove_unfinished_releases(const StateLayout& layout) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(layout.core_store(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") && name != kLockName) TRY(remove_tree(entry.path()));
  }
  if (error) return make_error("cannot list " + layout.core_store().string() + ": " + error.message());
  return {};
}

// Called with the lock held (ensure_wordpress_core).
Status install_wordpress_release(const StateLayout& layout, const std::string& version,
                                 const ProgressFn& progress) {
  const fs::path final_dir = layout.core_dir(version);
  if (fs::exists(final_dir)) return {};
  TRY(remove_unfinished_releases(layout));
  const fs::path staging = layout.core_store() / ("." + version + ".new");
  const fs::path archive = layout.core_store() / ("." + version + ".tar.gz");
  const std::string url = download_base() + "/wordpress-" + version + ".tar.gz";
  progress("downloading WordPress " + version + " from " + url + "…");
  TRY_ASSIGN(std::string body,
             download(url, version,
                      "WordPress " + version + " does not exist; choose a released version (see "
                      "https://wordpress.org/download/releases/) or core = \"debian\""));
  // SHA-1 is the digest wordpress.org publishes for its release archives (beside each,
  // as .sha1; .md5 too), so it is the one there is to check against.
  TRY_ASSIGN(std::string published,
             download(url + ".sha1", version,
                      "the download site publishes no SHA-1 beside the archive, so it cannot be "
                      "checked and nothing was installed; use a mirror that copies the .sha1 "
                      "files too (" + std::string(kCoreDownloadUrlVariable) + "), or https://wordpress.org"));
  published = published.substr(0, published.find_first_of(" \t\r\n"));
  const std::string actual = sha1_hex(body);
  if (published != actual) {
    return make_error("the WordPress " + version + " archive from " + url +
                      " does not match its published SHA-1 (published " + published.substr(0, 64) +
                      ", downloaded " + actual + "): nothing was installed; run `wpfleet apply` " +
                      "again, and if it persists, check where the download comes from");
  }
  TRY(write_file_atomic(archive, body, 0600));
  Status unpacked = [&]() -> Status {
    TRY(make_dirs(staging, 0755));
    progress("unpacking WordPress " + version + "…");
    TRY(unpack_release(archive, staging, version));
    TRY_ASSIGN(std::string found, wordpress_version(staging));
    if (found != version) {
      return make_error("the archive " + url + " holds WordPress " + found + ", not " + version +
                        ": nothing was installed; check where " + kCoreDownloadUrlVariable + " points");
    }
    TRY(write_file_atomic(staging / "wp-config.php", kWpConfig, 0644));
    // Root's and read-only to everyone.
    return set_tree_modes(staging, fs::perms(0555), fs::perms(0444));
  }();
  std::error_code error;
  fs::remove(archive, error);
  if (!unpacked) {
    (void)remove_tree(staging);
    return unpacked;
  }
  fs::rename(staging, final_dir, error);
  if (error) return make_error("cannot move WordPress " + version + " into place: " + error.message());
  return {};
}

}  // namespace

Status check_wordpress_source(const StateLayout& layout) {
  if (fs::exists(layout.core_dir(kDebianCore)) || fs::exists(fs::path(kWordPressSource) / "wp-settings.php")) {
    return {};
  }
  return make_error(std::string("WordPress core not found in ") + kWordPressSource +
                    ": install the Debian package wordpress (apt-get install wordpress)");
}

Status install_wordpress_core(const StateLayout& layout, const ProgressFn& progress) {
  if (fs::exists(layout.core_dir(kDebianCore))) return {};
  progress("copying WordPress core…");
  const fs::path staging = layout.root / "core.new";
  TRY(remove_tree(staging));
  TRY(copy_tree(kWordPressSource, staging, ""));
  TRY(write_file_atomic(staging / "wp-config.php", kWpConfig, 0644));
  std::error_code error;
  fs::rename(staging, layout.core_dir(kDebianCore), error);
  if (error)
    return make_error("cannot move the WordPress core copy into place: " + error.message());
  return {};
}

Status ensure_wordpress_core(const StateLayout& layout, const std::string& version,
                             const ProgressFn& progress) {
  if (fs::exists(layout.core_dir(version))) return {};
  TRY(make_dirs(layout.core_store(), 0755));
  // One install at a time: tenants ask on threads of one apply (each environment's, or
  // every tenant's again when a core was removed); a waiter finds the other's copy.
  TRY_ASSIGN(UniqueFd lock, lock_file(layout.core_store() / kLockName));
  if (version == kDebianCore) return install_wordpress_core(layout, progress);
  return install_wordpress_release(layout, version, progress);
}

Result<std::string> wordpress_version(const fs::path& core) {
  const fs::path file = core / "wp-includes" / "version.php";
  TRY_ASSIGN(std::string text, read_file(file));
  static const std::regex kVersion(R"(\$wp_version\s*=\s*'([^']+)')");
  std::smatch match;
  if (!std::regex_search(text, match, kVersion)) {
    return make_error(file.string() + " names no $wp_version: the core copy is damaged; remove " +
                      core.string() + " and run `wpfleet apply`");
  }
  return match[1].str();
}

Status compile_wordpress_core(const StateLayout& layout, const std::vector<std::string>& php_settings,
                              const ProgressFn& progress) {
  const fs::path settings_file = layout.opcache_dir() / "settings";
  // One compile at a time: each environment's runtime provider asks, on threads of one
  // apply or in another process, and two compiles into one staging directory left a
  // cache with a third of core missing. The lock is taken before the check, so a waiter
  // finds the other's finished cache.
  TRY_ASSIGN(UniqueFd lock, lock_file(layout.opcache_dir().string() + ".lock"));
  TRY_ASSIGN(std::vector<fs::path> cores, installed_cores(layout));
  const std::string settings = settings_text(php_settings, cores);
  Result<std::string> compiled_with = read_file(settings_file);
  if (compiled_with && *compiled_with == settings) return {};
  progress("compiling WordPress core for PHP's opcache…");
  const fs::path staging = layout.opcache_dir().string() + ".new";
  TRY(remove_tree(staging));
  TRY(make_dirs(staging, 0755));
  for (const fs::path& core : cores) {
    // Each pass is a new process: a file that declares what an earlier one declared only
    // compiles in another, and a pass has been seen to store nothing at all (seen in the
    // test suite, not understood): what has no cached copy yet goes again.
    std::string wanted;  // empty: every file of core
    for (int pass = 0; pass < 3; ++pass) {
      TRY(compile_into(staging, core, php_settings, wanted));
      wanted = uncached_files(staging, core);
      if (wanted.empty()) break;
    }
  }
  TRY(write_file_atomic(staging / "settings", settings));
  std::error_code error;
  // opcache makes its directories 0700 and files 0600: the tenants' PHP must read them.
  TRY(set_tree_modes(staging, fs::perms(0755), fs::perms(0644)));
  // Until the rename PHP finds no cache and compiles, as it would without one.
  TRY(remove_tree(layout.opcache_dir()));
  fs::rename(staging, layout.opcache_dir(), error);
  if (error) return make_error("cannot move compiled core into place: " + error.message());
  return {};
}

Status link_compiled_core(const StateLayout& layout, const fs::path& into) {
  const fs::path from = fs::absolute(layout.opcache_dir());
  std::error_code error;
  fs::create_directory(into, error);
  for (auto entry = fs::directory_iterator(from, error); !error && entry != fs::directory_iterator();
       entry.increment(error)) {
    if (entry->is_directory(error)) {
      fs::create_directory_symlink(entry->path(), into / entry->path().filename(), error);
    }
  }
  if (error) return make_error("cannot link compiled core into " + into.string() + ": " + error.message());
  return {};
}

}  // namespace wpfleet
