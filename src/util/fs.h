// Small filesystem helpers with errors as values.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.h"

namespace wpfleet {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes all of `data` to `fd`, retrying short writes and EINTR; the error is strerror's
// text alone, for the caller to say which file.
Status write_all(int fd, std::string_view data);

// Writes to a temporary file in the same directory, fsyncs, then renames over `path`,
// so readers never see a half-written file. The file gets `mode` before the rename.
Status write_file_atomic(const std::filesystem::path& path, const std::string& content,
                         mode_t mode = 0644);

Status make_dirs(const std::filesystem::path& path, mode_t mode = 0755);

// Removes a tree; a missing path is not an error. Its parent is resolved by name; below
// it nothing is followed (see util/safe_tree.h), so a link in the tree is removed, never
// what it points to.
Status remove_tree(const std::filesystem::path& path);

}  // namespace wpfleet
