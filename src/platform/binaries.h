// The programs the local platform runs, all found before anything is started.
#pragma once

#include <string>

#include "util/result.h"

namespace wpfleet {

struct PlatformBinaries {
  std::string mariadbd;
  std::string mariadb_install_db;
  std::string php_fpm;
  std::string nginx;
};

// Full paths of every binary, or one Error with a line per missing program naming the
// Debian package that provides it.
Result<PlatformBinaries> find_platform_binaries();

}  // namespace wpfleet
