#include "platform/platform_users.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/fs.h"
#include "util/safe_tree.h"

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

}  // namespace

Result<PlatformUsers> platform_users() {
  if (::geteuid() != 0) return PlatformUsers{};
  TRY_ASSIGN(RunAs mariadb, system_user(kMariadbUser, "mariadb-server"));
  TRY_ASSIGN(RunAs web, system_user(kWebUser, "nginx"));
  return PlatformUsers{true, mariadb, web};
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
  auto failed = [&] {
    return make_error("cannot change the owner of " + path.string() + ": " + std::strerror(errno));
  };
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0) return failed();
  if (recursive && S_ISDIR(st.st_mode)) {
    return in_dir(path, chown_tree(fd.get(), Owner{owner->uid, owner->gid}));
  }
  if (::fchown(fd.get(), owner->uid, owner->gid) != 0) return failed();
  return {};
}

Status ensure_directory(const std::filesystem::path& path, mode_t mode,
                        const std::optional<RunAs>& owner) {
  TRY(make_dirs(path, mode));
  // Owner and mode through the descriptor; the path itself (wpfleet's own directories,
  // never a tenant's tree) may be reached through links the operator made.
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return make_error("cannot open " + path.string() + ": " + std::strerror(errno));
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    return make_error("cannot change the owner of " + path.string() + ": " + std::strerror(errno));
  }
  if (::fchmod(fd.get(), mode) != 0) {
    return make_error("cannot set the mode of " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace wpfleet
