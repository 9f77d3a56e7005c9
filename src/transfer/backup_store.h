// Where an environment's backups are kept (`backup = { to = ... }`): a directory on this
// machine, or an S3 bucket and prefix ("s3://bucket/prefix"). Both keep one archive per
// backup under <to>/<env>/<tenant>/<time>.tar, and both hold only what passed its check:
//
//   directory  the archive is written in place, checked, then marked (<name>.tar.verified,
//              holding the size that was checked); one without a mark is a run that
//              crashed or failed, and is deleted once an hour old
//   s3         the archive is written and checked in a scratch directory of this
//              machine, then uploaded in parts (nothing is visible under the key until
//              the last part is in); a crash leaves at most a scratch file and an
//              unfinished upload, both removed by the tenant's next backup once an
//              hour old
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet::transfer {

struct BackupRecord {
  std::string env;
  std::string tenant;
  std::string name;      // its time, "20261130T064500Z": names sort as times do
  std::string location;  // the file, or s3://bucket/key
  std::int64_t created_at = 0;  // Unix seconds
  std::uint64_t bytes = 0;
  bool verified = false;  // passed the check after writing
};

class BackupStore {
 public:
  virtual ~BackupStore() = default;

  // <to>/<env>/<tenant>/, newest first; none when nothing is there yet.
  virtual Result<std::vector<BackupRecord>> list(const std::string& env,
                                                 const std::string& tenant) = 0;
  // Where a new backup's archive is written and checked before keep().
  virtual Result<std::filesystem::path> draft(const BackupRecord& backup) = 0;
  // Keeps the checked draft as the backup; `backup.bytes` is its size.
  virtual Status keep(BackupRecord& backup, const std::filesystem::path& draft) = 0;
  // Deletes a draft that failed its check.
  virtual Status discard(const std::filesystem::path& draft) = 0;
  virtual Status remove(const BackupRecord& backup) = 0;
  // A local file with the backup's bytes, to restore from: the backup itself in a
  // directory, a download into the scratch directory from S3 (deleted by release()).
  virtual Result<std::filesystem::path> fetch(const BackupRecord& backup) = 0;
  virtual void release(const std::filesystem::path& fetched) = 0;
};

// A draft, scratch file or upload this old is a crashed run's, not one under way: no
// backup takes that long to write and check.
inline constexpr std::int64_t kUnfinishedAfter = 3600;

// Beside the state, root's alone as it is.
inline std::filesystem::path backup_scratch(const std::filesystem::path& state_dir) {
  return state_dir / "backup-scratch";
}

// The store of `env`'s backup settings. `scratch` is a root-only directory of this
// machine for archives on their way to or from S3.
Result<std::unique_ptr<BackupStore>> open_backup_store(const Environment& env,
                                                       const std::filesystem::path& scratch);

// Each environment's store, opened on first use (on S3: one connection), for the state
// at `state_dir` (its backup_scratch).
class BackupStores {
 public:
  explicit BackupStores(const std::filesystem::path& state_dir)
      : scratch_(backup_scratch(state_dir)) {}
  Result<BackupStore*> of(const Environment& env) {
    auto& store = stores_[env.name];
    if (!store) {
      TRY_ASSIGN(store, open_backup_store(env, scratch_));
    }
    return store.get();
  }
  // The backups of `tenant` in `env`'s store.
  Result<std::vector<BackupRecord>> list(const Environment& env, const std::string& tenant) {
    TRY_ASSIGN(BackupStore * store, of(env));
    return store->list(env.name, tenant);
  }

 private:
  std::filesystem::path scratch_;
  std::map<std::string, std::unique_ptr<BackupStore>> stores_;
};

// The name of a backup taken at a Unix time ("20261130T064500Z"), and back (0 when
// `name` is not one).
std::string backup_name(std::int64_t unix_time);
std::int64_t backup_time(const std::string& name);

}  // namespace wpfleet::transfer
