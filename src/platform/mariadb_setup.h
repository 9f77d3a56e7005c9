// MariaDB's data directory and root account, set up on the first `wpfleet up`.
#pragma once

#include <string>

#include "platform/binaries.h"
#include "platform/layout.h"
#include "platform/platform.h"
#include "platform/platform_users.h"
#include "util/result.h"

namespace wpfleet {

inline constexpr char kPlatformSecretScope[] = "platform";
inline constexpr char kMariadbRootSecret[] = "mariadb-root-password";

// Creates the data directory with mariadb-install-db unless it exists. It is built
// beside its final place and renamed, so a crash never leaves a half-made one.
Status initialise_mariadb_datadir(const StateLayout& layout, const PlatformBinaries& binaries,
                                  const PlatformUsers& users, const ProgressFn& progress);

// The root password from the secret store, generated (and stored) on first use.
Result<std::string> ensure_mariadb_root_password(const StateLayout& layout);

// Logs in as root with `password`. A server fresh from mariadb-install-db has a root
// account without one: then sets it, and drops the other passwordless root accounts.
Status secure_root_account(const StateLayout& layout, const std::string& password);

}  // namespace wpfleet
