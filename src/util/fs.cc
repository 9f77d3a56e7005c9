#include "util/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <vector>

#include "util/safe_tree.h"

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int error) { return std::strerror(error); }

// Fills an open temporary file and makes it durable, or says what failed.
Status fill_temp_file(int fd, const std::string& content, mode_t mode) {
  if (::fchmod(fd, mode) != 0) return make_error("cannot set its mode: " + errno_text(errno));
  Status written = write_all(fd, content);
  if (!written.ok()) return make_error("cannot write: " + written.error().message);
  if (::fsync(fd) != 0) return make_error("cannot flush to disk: " + errno_text(errno));
  return {};
}

}  // namespace

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(errno_text(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read " + path.string() + ": " + errno_text(errno));
  std::string content;
  char buffer[65536];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return make_error("cannot read " + path.string() + ": " + errno_text(error));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status write_file_atomic(const fs::path& path, const std::string& content, mode_t mode) {
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string temp_template = (dir / ("." + path.filename().string() + ".tmpXXXXXX")).string();
  std::vector<char> temp_path(temp_template.begin(), temp_template.end());
  temp_path.push_back('\0');

  int fd = ::mkstemp(temp_path.data());
  if (fd < 0) {
    return make_error("cannot write " + path.string() + ": cannot create a temporary file in " +
                      dir.string() + ": " + errno_text(errno));
  }
  Status filled = fill_temp_file(fd, content, mode);
  bool closed = ::close(fd) == 0;
  if (filled.ok() && !closed) filled = make_error("cannot close: " + errno_text(errno));
  if (filled.ok() && ::rename(temp_path.data(), path.c_str()) != 0) {
    filled = make_error("cannot rename into place: " + errno_text(errno));
  }
  if (!filled.ok()) {
    ::unlink(temp_path.data());
    return make_error("cannot write " + path.string() + ": " + filled.error().message);
  }
  return {};
}

Status make_dirs(const fs::path& path, mode_t mode) {
  std::error_code error;
  if (fs::is_directory(path, error)) return {};
  if (path.has_parent_path() && path.parent_path() != path) {
    TRY(make_dirs(path.parent_path(), mode));
  }
  // mkdir's mode is filtered by the umask; EEXIST covers a directory made meanwhile.
  if (::mkdir(path.c_str(), mode) == 0) return {};
  int mkdir_error = errno;
  if (mkdir_error == EEXIST && fs::is_directory(path, error)) return {};
  return make_error("cannot create directory " + path.string() + ": " + errno_text(mkdir_error));
}

Status remove_tree(const fs::path& path) {
  fs::path target = path.lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "dir/" names "dir"
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // The parent is trusted and may be reached through links; nothing below it is.
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return {};
  if (fd < 0) return make_error("cannot remove " + path.string() + ": " + errno_text(errno));
  const UniqueFd parent_fd(fd);
  Status removed = remove_tree_at(parent_fd.get(), target.filename().string());
  if (!removed) return make_error("cannot remove " + path.string() + ": " + removed.error().message);
  return {};
}

}  // namespace wpfleet
