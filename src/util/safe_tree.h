// Reading and changing directory trees that another user may be changing at the same
// time, without ever following a symlink. Every entry is opened relative to its
// parent's descriptor (O_NOFOLLOW, or openat2 with RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH
// for several components) and judged by fstat of what was opened; every change (owner,
// mode, removal, creation) is made through a descriptor. So what was checked is what is
// read or changed, however the names are renamed, swapped or replaced by links
// meanwhile: a privileged process can walk an unprivileged user's tree safely.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"
#include "util/unique_fd.h"

namespace wpfleet {

// The failures here name entries relative to a descriptor; this adds which directory.
template <class T>
Result<T> in_dir(const std::filesystem::path& dir, Result<T> result) {
  if (result) return result;
  return make_error(result.error().message + " (in " + dir.string() + ")");
}

struct Owner {
  uid_t uid;
  gid_t gid;
};

// A directory by its full path, for paths whose every parent is trusted; the last
// component is not followed if it is a symlink.
Result<UniqueFd> open_dir(const std::filesystem::path& path);

// The directory `relative` beneath `dir` ("" or "." is `dir` itself), refusing any
// symlink on the way and any way out of `dir` ("..", an absolute path).
Result<UniqueFd> open_dir_beneath(int dir, const std::filesystem::path& relative);

// Like open_dir_beneath, creating missing directories with `mode` on the way.
Result<UniqueFd> make_dirs_beneath(int dir, const std::filesystem::path& relative, mode_t mode);

// A new regular file `relative` beneath `dir` (its directories must exist), opened for
// writing; refuses an existing entry of that name rather than reuse it.
Result<UniqueFd> create_file_beneath(int dir, const std::filesystem::path& relative, mode_t mode);

// The names in `dir`, sorted, without "." and "..".
Result<std::vector<std::string>> list_dir(int dir);

struct TreeEntry {
  std::string path;  // relative to the walked directory, '/'-separated
  struct stat st;    // of the opened descriptor; of the entry itself when not opened
  int fd;            // open read-only for regular files and directories, else -1
};
using TreeVisitor = std::function<Status(const TreeEntry&)>;

// Visits every entry below `dir`, in name order, each directory before its content.
// The descriptor is valid during the visit only. A symlink is visited (fd -1), never
// followed; an entry removed meanwhile is left out.
Status walk_tree(int dir, const TreeVisitor& visit);

struct TreeTotals {
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

// Reproduces an entry of a walk beneath `to`: a directory is created (0755), a regular
// file is copied from the entry's descriptor (its permission bits, set-id bits
// dropped). Symlinks and special files stay behind. Adds what was copied to `totals`.
Status copy_entry(const TreeEntry& entry, int to, TreeTotals& totals);

// Copies the regular files and directories below `from` into the empty `to`.
Result<TreeTotals> copy_tree(int from, int to);

// Removes the entry `name` of `dir`, and all below it if it is a directory; a missing
// entry is not an error. A symlink is removed, never followed.
Status remove_tree_at(int dir, const std::string& name);

// Removes the entry `name` of `dir` unless it is a regular file with a single link
// (a symlink, a hard link to a file elsewhere, a directory, a FIFO...).
Status remove_unless_plain_file_at(int dir, const std::string& name);

// Makes `name` in `dir` a directory with exactly `mode` (and `owner`), returned open.
// Anything else of that name (a symlink, a file) is removed first and a fresh
// directory made; owner and mode are set on the directory's descriptor.
Result<UniqueFd> ensure_dir_at(int dir, const std::string& name, mode_t mode,
                               const std::optional<Owner>& owner);

// Makes `name` in `dir` a regular file with a single link, exactly `mode` (and
// `owner`), created empty if missing, returned open read-only. Anything else of that
// name is removed first (see remove_unless_plain_file_at); an existing plain file keeps
// its content.
Result<UniqueFd> ensure_file_at(int dir, const std::string& name, mode_t mode,
                                const std::optional<Owner>& owner);

// Gives everything below `dir` to `owner`, children before their directory, then `dir`
// itself last: while it runs, the top stays out of the new owner's hands.
Status chown_tree(int dir, const Owner& owner);

}  // namespace wpfleet
