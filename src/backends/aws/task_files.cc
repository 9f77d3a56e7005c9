#include "backends/aws/task_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/archive.h"
#include "util/fs.h"
#include "util/safe_tree.h"

namespace wpfleet::aws_backend {

namespace fs = std::filesystem;

Result<PrivateDir> PrivateDir::create(const std::string& purpose) {
  std::string pattern = (fs::temp_directory_path() / ("wpfleet-" + purpose + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error("cannot make a directory for " + purpose + " in " +
                      fs::temp_directory_path().string() + ": " + std::strerror(errno));
  }
  return PrivateDir(fs::path(pattern));
}

PrivateDir& PrivateDir::operator=(PrivateDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) (void)remove_tree(path_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

PrivateDir::~PrivateDir() {
  if (!path_.empty()) (void)remove_tree(path_);
}

Result<UniqueFd> LocalStaging::fresh(const std::string& key) {
  TRY_ASSIGN(PrivateDir dir, PrivateDir::create("staging"));
  TRY_ASSIGN(UniqueFd fd, open_dir(dir.path()));
  std::lock_guard lock(mutex_);
  dirs_.insert_or_assign(key, std::move(dir));
  return fd;
}

Result<UniqueFd> LocalStaging::open(const std::string& key) {
  std::lock_guard lock(mutex_);
  const auto found = dirs_.find(key);
  if (found == dirs_.end()) {
    return make_error("no files of " + key + " were staged by this command: run it again");
  }
  return open_dir(found->second.path());
}

void LocalStaging::remove(const std::string& key) {
  std::lock_guard lock(mutex_);
  dirs_.erase(key);
}

Status upload_tree_as_tar(int dir, aws::S3Upload& upload) {
  TRY_ASSIGN(PrivateDir work, PrivateDir::create("archive"));
  const fs::path archive = work.path() / "files.tar";
  {
    TRY_ASSIGN(TarWriter tar, TarWriter::create(archive));
    TRY(walk_tree(dir, [&](const TreeEntry& entry) -> Status {
      if (S_ISDIR(entry.st.st_mode)) return tar.add_directory(entry.path, entry.st);
      if (S_ISREG(entry.st.st_mode)) return tar.add_file(entry.path, entry.fd, entry.st);
      return {};
    }));
    TRY(tar.close());
  }
  const UniqueFd in(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return make_error("cannot read " + archive.string() + ": " + std::strerror(errno));
  std::string buffer(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot read " + archive.string() + ": " + std::strerror(errno));
    if (n == 0) return {};
    TRY(upload.write(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
  }
}

Status unpack_tar_beneath(const fs::path& archive, int dir) {
  return TarReader::for_each(archive, [&](const TarReader::Entry& entry,
                                          const auto& read_data) -> Status {
    std::string name = entry.name;
    while (name.starts_with("./")) name.erase(0, 2);
    if (name.empty() || name == ".") return {};
    const fs::path relative = fs::path(name).lexically_normal();
    if (relative.is_absolute() || *relative.begin() == "..") {
      return make_error("the files archive holds '" + entry.name + "', which leads out of the "
                        "tenant's directory: refusing it");
    }
    if (entry.is_symlink) return {};
    if (entry.is_directory) {
      TRY(make_dirs_beneath(dir, relative, 0755));
      return {};
    }
    TRY(make_dirs_beneath(dir, relative.parent_path(), 0755));
    TRY_ASSIGN(UniqueFd out, create_file_beneath(dir, relative, 0600));
    TRY(read_data([&](std::string_view piece) -> Status {
      Status written = write_all(out.get(), piece);
      if (!written) return make_error("cannot unpack " + name + ": " + written.error().message);
      return {};
    }));
    if (::fchmod(out.get(), entry.mode & 0777) != 0) {
      return make_error("cannot set the mode of " + name + ": " + std::strerror(errno));
    }
    return {};
  });
}

}  // namespace wpfleet::aws_backend
