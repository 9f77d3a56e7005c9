#include "platform/platform_users.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/fs.h"

namespace wpfleet {

namespace {

Result<RunAs> system_user(const char* name, const char* package) {
  const passwd* entry = ::getpwnam(name);
  if (!entry) {
    return make_error(std::string("the system user ") + name +
                      " does not exist: reinstall the Debian package " + package +
                      " (apt-get install --reinstall " + package + ")");
  }
  return RunAs{entry->pw_uid, entry->pw_gid};
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Status change_owner(const std::filesystem::path& path, const RunAs& owner) {
  if (::lchown(path.c_str(), owner.uid, owner.gid) != 0) {
    return make_error("cannot change the owner of " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<PlatformUsers> platform_users() {
  if (::geteuid() != 0) return PlatformUsers{};
  TRY_ASSIGN(RunAs mariadb, system_user(kMariadbUser, "mariadb-server"));
  TRY(system_user(kWebUser, "nginx"));
  return PlatformUsers{true, mariadb};
}

Status check_state_dir_reachable(const std::filesystem::path& root, const PlatformUsers& users) {
  if (!users.isolated) return {};
  std::filesystem::path absolute = std::filesystem::absolute(root).lexically_normal();
  for (std::filesystem::path dir = absolute.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) == 0 && (info.st_mode & S_IXOTH) == 0) {
      return make_error(dir.string() + " (mode " + octal_mode(info.st_mode) +
                        ") cannot be traversed by other users, so MariaDB, nginx and the "
                        "tenants' PHP could not reach " +
                        absolute.string() +
                        ": choose a state directory elsewhere (e.g. /var/lib/wpfleet) or "
                        "`chmod o+x " +
                        dir.string() + "`");
    }
    if (dir == dir.root_path()) break;
  }
  return {};
}

Status give_to(const std::filesystem::path& path, const std::optional<RunAs>& owner,
               bool recursive) {
  if (!owner) return {};
  TRY(change_owner(path, *owner));
  if (!recursive || !std::filesystem::is_directory(path)) return {};
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(path, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    TRY(change_owner(it->path(), *owner));
  }
  if (error) return make_error("cannot walk " + path.string() + ": " + error.message());
  return {};
}

Status ensure_directory(const std::filesystem::path& path, mode_t mode,
                        const std::optional<RunAs>& owner) {
  TRY(make_dirs(path, mode));
  if (::chmod(path.c_str(), mode) != 0) {
    return make_error("cannot set the mode of " + path.string() + ": " + std::strerror(errno));
  }
  return give_to(path, owner);
}

}  // namespace wpfleet
