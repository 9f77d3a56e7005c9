#include "util/safe_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "util/fs.h"

namespace wpfleet {

namespace fs = std::filesystem;

namespace {

// How often an entry that changes kind between two looks (a file swapped for a link in
// a loop) is looked at again before giving up.
constexpr int kAttempts = 16;
constexpr std::size_t kChunk = 1 << 20;

Error failure(const std::string& doing, const std::string& name, int error) {
  return make_error("cannot " + doing + " " + name + ": " + std::strerror(error));
}

bool is_dir(const struct stat& st) { return S_ISDIR(st.st_mode); }
bool is_regular(const struct stat& st) { return S_ISREG(st.st_mode); }

Result<UniqueFd> openat2_fd(int dir, const fs::path& relative, std::uint64_t flags, mode_t mode) {
  const std::string path = relative.empty() ? "." : relative.string();
  open_how how{};
  how.flags = flags | O_CLOEXEC | O_NOFOLLOW;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);  // a concurrent rename elsewhere: try again
  if (fd < 0) return failure("open", path, errno);
  return UniqueFd(fd);
}

Status apply_owner_and_mode(int fd, const std::string& name, mode_t mode,
                            const std::optional<Owner>& owner) {
  // The owner first: chown clears set-id bits that the mode may want.
  if (owner && ::fchown(fd, owner->uid, owner->gid) != 0) {
    return failure("change the owner of", name, errno);
  }
  if (::fchmod(fd, mode) != 0) return failure("set the mode of", name, errno);
  return {};
}

struct OpenedEntry {
  struct stat st {};
  UniqueFd fd;
};

// `name` of `dir` as it is now: regular files and directories opened (and described by
// fstat of the descriptor), anything else only described. Nothing when it is gone.
Result<std::optional<OpenedEntry>> open_entry(int dir, const std::string& name) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    OpenedEntry entry;
    if (::fstatat(dir, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return std::optional<OpenedEntry>();
      return failure("read", name, errno);
    }
    if (!is_regular(entry.st) && !is_dir(entry.st)) return std::optional<OpenedEntry>(std::move(entry));
    // O_NONBLOCK: a FIFO swapped in meanwhile must not block the open.
    const int fd = ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::optional<OpenedEntry>();
      if (errno == ELOOP || errno == ENXIO || errno == ENOTDIR) continue;  // changed kind
      return failure("open", name, errno);
    }
    entry.fd = UniqueFd(fd);
    if (::fstat(fd, &entry.st) != 0) return failure("read", name, errno);
    if (!is_regular(entry.st) && !is_dir(entry.st)) entry.fd.reset();
    return std::optional<OpenedEntry>(std::move(entry));
  }
  return make_error("cannot read " + name + ": it keeps changing while being read");
}

Status walk_below(int dir, const std::string& prefix, const TreeVisitor& visit) {
  TRY_ASSIGN(std::vector<std::string> names, list_dir(dir));
  for (const auto& name : names) {
    TRY_ASSIGN(std::optional<OpenedEntry> entry, open_entry(dir, name));
    if (!entry) continue;
    const TreeEntry visited{prefix + name, entry->st, entry->fd.get()};
    TRY(visit(visited));
    if (entry->fd.valid() && is_dir(entry->st)) TRY(walk_below(entry->fd.get(), visited.path + "/", visit));
  }
  return {};
}

// Copies what `from` holds from its offset to its end into `to`; returns the bytes copied.
Result<std::uint64_t> copy_content(int from, int to, const std::string& name) {
  std::string buffer(kChunk, '\0');
  std::uint64_t copied = 0;
  while (true) {
    const ssize_t n = ::read(from, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure("read", name, errno);
    if (n == 0) return copied;
    if (Status written = write_all(to, std::string_view(buffer.data(), static_cast<std::size_t>(n))); !written) {
      return make_error("cannot write " + name + ": " + written.error().message);
    }
    copied += static_cast<std::uint64_t>(n);
  }
}

Status chown_below(int dir, const Owner& owner) {
  TRY_ASSIGN(std::vector<std::string> names, list_dir(dir));
  for (const auto& name : names) {
    TRY_ASSIGN(std::optional<OpenedEntry> entry, open_entry(dir, name));
    if (!entry) continue;
    if (entry->fd.valid() && is_dir(entry->st)) TRY(chown_below(entry->fd.get(), owner));
    const bool changed =
        entry->fd.valid() ? ::fchown(entry->fd.get(), owner.uid, owner.gid) == 0
                          : ::fchownat(dir, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) == 0;
    if (!changed) {
      return failure("change the owner of", name, errno);
    }
  }
  return {};
}

}  // namespace

Result<UniqueFd> open_dir(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return failure("open the directory", path.string(), errno);
  return UniqueFd(fd);
}

Result<UniqueFd> open_dir_beneath(int dir, const fs::path& relative) {
  return openat2_fd(dir, relative, O_RDONLY | O_DIRECTORY, 0);
}

Result<UniqueFd> make_dirs_beneath(int dir, const fs::path& relative, mode_t mode) {
  TRY_ASSIGN(UniqueFd current, open_dir_beneath(dir, "."));
  for (const auto& part : relative) {
    const std::string name = part.string();
    if (name.empty() || name == ".") continue;
    if (::mkdirat(current.get(), name.c_str(), mode) != 0 && errno != EEXIST) {
      return failure("create the directory", relative.string(), errno);
    }
    TRY_ASSIGN(current, open_dir_beneath(current.get(), name));
  }
  return current;
}

Result<UniqueFd> create_file_beneath(int dir, const fs::path& relative, mode_t mode) {
  return openat2_fd(dir, relative, O_WRONLY | O_CREAT | O_EXCL, mode);
}

Result<std::vector<std::string>> list_dir(int dir) {
  const int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return failure("list", "a directory", errno);
  DIR* stream = ::fdopendir(copy);
  if (!stream) {
    const int error = errno;
    ::close(copy);
    return failure("list", "a directory", error);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(stream)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int error = errno;
  ::closedir(stream);
  if (error != 0) return failure("list", "a directory", error);
  std::sort(names.begin(), names.end());
  return names;
}

Status walk_tree(int dir, const TreeVisitor& visit) { return walk_below(dir, "", visit); }

Status copy_entry(const TreeEntry& entry, int to, TreeTotals& totals) {
  if (entry.fd < 0) return {};
  if (is_dir(entry.st)) {
    TRY(make_dirs_beneath(to, entry.path, 0755));
    return {};
  }
  TRY_ASSIGN(UniqueFd out, create_file_beneath(to, entry.path, 0600));
  TRY_ASSIGN(std::uint64_t bytes, copy_content(entry.fd, out.get(), entry.path));
  TRY(apply_owner_and_mode(out.get(), entry.path, entry.st.st_mode & 0777, std::nullopt));
  ++totals.files;
  totals.bytes += bytes;
  return {};
}

Result<TreeTotals> copy_tree(int from, int to) {
  TreeTotals totals;
  TRY(walk_tree(from, [&](const TreeEntry& entry) { return copy_entry(entry, to, totals); }));
  return totals;
}

Status remove_tree_at(int dir, const std::string& name) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (::unlinkat(dir, name.c_str(), 0) == 0 || errno == ENOENT) return {};
    if (errno != EISDIR) return failure("remove", name, errno);
    const int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return {};
      if (errno == ENOTDIR || errno == ELOOP) continue;  // no longer a directory
      return failure("remove", name, errno);
    }
    UniqueFd sub(fd);
    TRY_ASSIGN(std::vector<std::string> names, list_dir(sub.get()));
    for (const auto& child : names) {
      Status removed = remove_tree_at(sub.get(), child);
      if (!removed) return make_error(removed.error().message + " (in " + name + ")");
    }
    if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return {};
    if (errno != ENOTEMPTY && errno != ENOTDIR) return failure("remove", name, errno);
  }
  return make_error("cannot remove " + name + ": it keeps changing while being removed");
}

Status remove_unless_plain_file_at(int dir, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return {};
    return failure("read", name, errno);
  }
  if (is_regular(st) && st.st_nlink == 1) return {};
  return remove_tree_at(dir, name);
}

Result<UniqueFd> ensure_dir_at(int dir, const std::string& name, mode_t mode,
                               const std::optional<Owner>& owner) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const int fd = ::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      UniqueFd opened(fd);
      TRY(apply_owner_and_mode(opened.get(), name, mode, owner));
      return opened;
    }
    if (errno == ENOENT) {
      // 0700 until owner and mode are set on the descriptor.
      if (::mkdirat(dir, name.c_str(), 0700) != 0 && errno != EEXIST) {
        return failure("create the directory", name, errno);
      }
    } else if (errno == ENOTDIR || errno == ELOOP) {
      TRY(remove_tree_at(dir, name));
    } else {
      return failure("open the directory", name, errno);
    }
  }
  return make_error("cannot create the directory " + name + ": it keeps changing");
}

Result<UniqueFd> ensure_file_at(int dir, const std::string& name, mode_t mode,
                                const std::optional<Owner>& owner) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    TRY(remove_unless_plain_file_at(dir, name));
    const int fd = ::openat(dir, name.c_str(),
                            O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == ELOOP || errno == EISDIR || errno == ENXIO) continue;  // replaced meanwhile
      return failure("create", name, errno);
    }
    UniqueFd opened(fd);
    struct stat st {};
    if (::fstat(opened.get(), &st) != 0) return failure("read", name, errno);
    if (!is_regular(st) || st.st_nlink != 1) continue;
    TRY(apply_owner_and_mode(opened.get(), name, mode, owner));
    return opened;
  }
  return make_error("cannot create " + name + ": it keeps changing");
}

Status chown_tree(int dir, const Owner& owner) {
  TRY(chown_below(dir, owner));
  if (::fchown(dir, owner.uid, owner.gid) != 0) return failure("change the owner of", "the directory", errno);
  return {};
}

}  // namespace wpfleet
