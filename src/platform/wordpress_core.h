// WordPress core under the state directory: one shared, read-only copy per version, Debian's
// wordpress package's ("debian") or a release archive of wordpress.org, each with our own
// wp-config.php that loads the tenant's configuration named by WPFLEET_SITE_CONFIG.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "platform/layout.h"
#include "platform/platform.h"
#include "util/result.h"

namespace wpfleet {

inline constexpr char kWordPressSource[] = "/usr/share/wordpress";

// An Error naming the Debian package when the copy is still to be made and the package
// is missing.
Status check_wordpress_source(const StateLayout& layout);

// Copies Debian's core unless it is there. The copy is made beside its final place and
// renamed, so a crash never leaves a half copy.
Status install_wordpress_core(const StateLayout& layout, const ProgressFn& progress);

// Where release archives are downloaded from: $WPFLEET_CORE_DOWNLOAD_URL (a mirror, or a
// test's server), else https://wordpress.org; <base>/wordpress-<version>.tar.gz and its
// published checksum beside it.
inline constexpr char kCoreDownloadUrlVariable[] = "WPFLEET_CORE_DOWNLOAD_URL";

// Makes layout.core_dir(version) unless it is there: Debian's copy, or the release
// downloaded, checked against its published checksum and unpacked (root's, read-only).
// Made under a temporary name and renamed, one process at a time per version, so a
// crash leaves no half copy and tenants on one version share one copy.
Status ensure_wordpress_core(const StateLayout& layout, const std::string& version,
                             const ProgressFn& progress);

// `$wp_version` of the core at `core` (its wp-includes/version.php, a plain read: core
// is root's, not the tenants').
Result<std::string> wordpress_version(const std::filesystem::path& core);

// Compiles every core in the state directory (Debian's and each release's: php-fpm has
// one file cache for all pools) into opcache's file cache (layout.opcache_dir()) unless
// it was, with the same cores and `php_settings` ("name=value": what the pools set that changes how PHP compiles,
// e.g. disable_functions, which opcache folds function_exists() against). After php-fpm
// reloads, which empties opcache's shared memory for every tenant, core is loaded from
// there rather than compiled again. Made by root beside its final place and renamed;
// readable by the tenants' PHP and writable by root alone, so no tenant can plant
// compiled code that another tenant's PHP would run.
Status compile_wordpress_core(const StateLayout& layout, const std::vector<std::string>& php_settings,
                              const ProgressFn& progress);

// Makes `into`, which must not exist, a file cache for php-cli, whose user opcache
// requires to be able to write the cache it loads: a directory holding a symbolic link to
// each of the compiled core's trees (one per PHP build, named by opcache's system id).
// Those trees are root's and read-only, so a user given `into` may add entries of its own
// beside the links but change none of core's. One link, not a copy of the tree: the ~90
// directories and ~1,000 hard links a copy made for each new tenant were a fifth of the
// CPU of adding the 13-tenant example (mkdir on ext4).
Status link_compiled_core(const StateLayout& layout, const std::filesystem::path& into);

}  // namespace wpfleet
