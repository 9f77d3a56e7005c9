// The half of files_access = "task" that runs here: the staged tree wpfleet fills
// before it goes to the EFS as an archive, and a tenant's files, come back from the EFS
// as an archive, laid out to be walked. Both live in directories of root's alone
// (0700, under the temporary directory), so nothing in them is anyone else's to swap.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "aws/s3.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace wpfleet::aws_backend {

// A fresh directory of root's alone, removed with everything in it when this goes.
class PrivateDir {
 public:
  static Result<PrivateDir> create(const std::string& purpose);
  PrivateDir(PrivateDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  PrivateDir& operator=(PrivateDir&& other) noexcept;
  ~PrivateDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit PrivateDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Each tenant's staged tree (by "env/tenant"), from staging_files until it is sent or
// discarded; it lives as long as the process (a crash loses it, and staging starts
// empty every time anyway).
class LocalStaging {
 public:
  Result<UniqueFd> fresh(const std::string& key);
  Result<UniqueFd> open(const std::string& key);
  void remove(const std::string& key);

 private:
  std::mutex mutex_;
  std::map<std::string, PrivateDir> dirs_;
};

// The regular files and directories below `dir` as a tar archive into `upload`
// (symlinks stay behind, as in every archive wpfleet writes).
Status upload_tree_as_tar(int dir, aws::S3Upload& upload);

// Unpacks the tar file `archive` beneath the empty directory `dir`: directories and
// regular files (permission bits, set-id dropped); symlinks and other entries are left
// out, and a name leading out of `dir` is refused.
Status unpack_tar_beneath(const std::filesystem::path& archive, int dir);

}  // namespace wpfleet::aws_backend
