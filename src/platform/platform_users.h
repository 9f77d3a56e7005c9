// Who the servers run as. As root, each server drops to the Unix user Debian made for
// it (mysql for MariaDB, www-data for nginx workers and the internal php-fpm pool) and
// every tenant's pool gets its own user. Otherwise everything runs as the invoking
// user, and tenants are not isolated from one another.
#pragma once

#include <filesystem>
#include <optional>

#include "util/process.h"
#include "util/result.h"

namespace wpfleet {

inline constexpr char kMariadbUser[] = "mysql";
inline constexpr char kWebUser[] = "www-data";

struct PlatformUsers {
  bool isolated = false;         // running as root
  std::optional<RunAs> mariadb;  // set when isolated
  std::optional<RunAs> web;      // nginx's workers; set when isolated
};

// The users for this process (an Error when root but Debian's users are missing).
Result<PlatformUsers> platform_users();

// As root, the mysql, www-data and tenant users must be able to traverse every parent
// of the state directory; a home directory of mode 0700 would lock them out.
Status check_state_dir_reachable(const std::filesystem::path& root, const PlatformUsers& users);

// Gives `path` (and with `recursive` everything below it) to `owner`; no-op without one.
// Links are never followed (util/safe_tree.h).
Status give_to(const std::filesystem::path& path, const std::optional<RunAs>& owner,
               bool recursive = false);

// Creates `path` if needed and sets exactly `mode` (mkdir alone is filtered by the umask).
// For wpfleet's own directories: `path` is resolved by name, so never use it inside a
// tenant's tree (util/safe_tree.h's ensure_dir_at is for those).
Status ensure_directory(const std::filesystem::path& path, mode_t mode,
                        const std::optional<RunAs>& owner = std::nullopt);

}  // namespace wpfleet
