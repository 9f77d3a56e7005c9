#include "platform/binaries.h"

#include <initializer_list>

#include "util/process.h"

namespace wpfleet {

namespace {

// Looks for the first of `names` that exists; records a missing-package line otherwise.
class BinaryFinder {
 public:
  std::string find(std::initializer_list<const char*> names, const std::string& package) {
    for (const char* name : names) {
      if (std::optional<std::string> path = find_executable(name)) return *path;
    }
    missing_ += (missing_.empty() ? "" : "\n") + std::string(*names.begin()) +
                " not found: install the Debian package " + package + " (apt-get install " +
                package + ")";
    return "";
  }
  const std::string& missing() const { return missing_; }

 private:
  std::string missing_;
};

}  // namespace

Result<PlatformBinaries> find_platform_binaries() {
  BinaryFinder finder;
  // Braced initialisers evaluate in order, so the messages follow the start order.
  PlatformBinaries binaries{
      finder.find({"mariadbd"}, "mariadb-server"),
      finder.find({"mariadb-install-db"}, "mariadb-server"),
      finder.find({"php-fpm8.2", "php-fpm"}, "php8.2-fpm"),
      finder.find({"nginx"}, "nginx"),
  };
  if (!finder.missing().empty()) return make_error(finder.missing());
  return binaries;
}

}  // namespace wpfleet
