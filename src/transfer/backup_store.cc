#include "transfer/backup_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "aws/s3.h"
#include "aws/sts.h"
#include "util/fs.h"
#include "util/unix_time.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {

constexpr char kArchiveSuffix[] = ".tar";
// Beside each archive that passed its check; an archive without one was never checked
// (its run crashed) or failed.
constexpr char kVerifiedSuffix[] = ".verified";
constexpr char kS3Scheme[] = "s3://";

void newest_first(std::vector<BackupRecord>& backups) {
  std::sort(backups.begin(), backups.end(),
            [](const BackupRecord& a, const BackupRecord& b) { return a.name > b.name; });
}

class DirectoryStore final : public BackupStore {
 public:
  explicit DirectoryStore(fs::path root) : root_(std::move(root)) {}

  Result<std::vector<BackupRecord>> list(const std::string& env, const std::string& tenant) override {
    std::vector<BackupRecord> found;
    const fs::path dir = root_ / env / tenant;
    std::error_code error;
    if (!fs::exists(dir, error)) return found;
    for (const auto& entry : fs::directory_iterator(dir, error)) {
      const fs::path& path = entry.path();
      if (path.extension() != kArchiveSuffix || !entry.is_regular_file()) continue;
      BackupRecord backup{env, tenant, path.stem().string(), path.string(), backup_time(path.stem().string())};
      if (backup.created_at == 0) continue;
      backup.bytes = entry.file_size(error);
      // The mark holds the size that was checked: an archive changed since is unchecked.
      auto mark = read_file(path.string() + kVerifiedSuffix);
      backup.verified = mark && *mark == std::to_string(backup.bytes) + "\n";
      found.push_back(std::move(backup));
    }
    if (error) return make_error("cannot list the backups in " + dir.string() + ": " + error.message());
    newest_first(found);
    return found;
  }

  Result<fs::path> draft(const BackupRecord& backup) override {
    const fs::path dir = root_ / backup.env / backup.tenant;
    TRY(make_dirs(dir, 0700));
    return dir / (backup.name + kArchiveSuffix);
  }

  Status keep(BackupRecord& backup, const fs::path& draft) override {
    backup.location = draft.string();
    TRY(write_file_atomic(draft.string() + kVerifiedSuffix, std::to_string(backup.bytes) + "\n", 0600));
    backup.verified = true;
    return {};
  }

  Status discard(const fs::path& draft) override { return remove_files(draft); }

  Status remove(const BackupRecord& backup) override { return remove_files(backup.location); }

  Result<fs::path> fetch(const BackupRecord& backup) override { return fs::path(backup.location); }
  void release(const fs::path&) override {}

 private:
  static Status remove_files(const fs::path& archive) {
    std::error_code error;
    fs::remove(archive.string() + kVerifiedSuffix, error);
    fs::remove(archive, error);
    if (error) return make_error("cannot delete the backup " + archive.string() + ": " + error.message());
    return {};
  }

  fs::path root_;
};

// Archives go up and come down through `scratch` (root's alone); only a checked
// archive is ever uploaded, so every object is a verified backup.
class S3Store final : public BackupStore {
 public:
  S3Store(aws::Client client, std::string bucket, std::string prefix, fs::path scratch)
      : client_(std::move(client)),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        scratch_(std::move(scratch)) {}

  Result<std::vector<BackupRecord>> list(const std::string& env, const std::string& tenant) override {
    aws::S3 s3(client_);
    const std::string dir = key_of(env, tenant, "");
    auto objects = s3.list(bucket_, dir);
    if (!objects) return make_error("cannot list the backups in " + url(dir) + ": " + objects.error().message);
    std::vector<BackupRecord> found;
    for (const auto& object : *objects) {
      const std::string file = object.key.substr(dir.size());
      if (file.find('/') != std::string::npos || !file.ends_with(kArchiveSuffix)) continue;
      const std::string name = file.substr(0, file.size() - std::strlen(kArchiveSuffix));
      BackupRecord backup{env, tenant, name, url(object.key), backup_time(name), object.size, true};
      if (backup.created_at != 0) found.push_back(std::move(backup));
    }
    newest_first(found);
    return found;
  }

  Result<fs::path> draft(const BackupRecord& backup) override {
    TRY(make_dirs(scratch_, 0700));
    remove_leftovers();
    TRY(abort_abandoned_uploads(backup.env, backup.tenant));
    return scratch_ / (backup.env + "." + backup.tenant + "." + backup.name + kArchiveSuffix);
  }

  Status keep(BackupRecord& backup, const fs::path& draft) override {
    const std::string key = key_of(backup.env, backup.tenant, backup.name + kArchiveSuffix);
    aws::S3 s3(client_);
    auto upload = s3.upload(bucket_, key);
    std::ifstream in(draft, std::ios::binary);
    if (!in) return make_error("cannot read " + draft.string() + ": " + std::strerror(errno));
    std::string buffer(1 << 20, '\0');
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      if (in.gcount() > 0) TRY(upload->write(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount()))));
    }
    if (in.bad()) return make_error("cannot read " + draft.string() + ": " + std::strerror(errno));
    if (Status sent = upload->finish(); !sent) {
      return make_error("cannot upload the backup to " + url(key) + ": " + sent.error().message);
    }
    TRY(discard(draft));
    backup.location = url(key);
    backup.verified = true;
    return {};
  }

  Status discard(const fs::path& draft) override {
    std::error_code error;
    fs::remove(draft, error);
    if (error) return make_error("cannot delete " + draft.string() + ": " + error.message());
    return {};
  }

  Status remove(const BackupRecord& backup) override {
    aws::S3 s3(client_);
    const std::string key = key_of(backup.env, backup.tenant, backup.name + kArchiveSuffix);
    if (Status removed = s3.remove(bucket_, key); !removed) {
      return make_error("cannot delete the backup " + url(key) + ": " + removed.error().message);
    }
    return {};
  }

  Result<fs::path> fetch(const BackupRecord& backup) override {
    TRY(make_dirs(scratch_, 0700));
    const fs::path local = scratch_ / ("restore." + backup.env + "." + backup.tenant + "." + backup.name + kArchiveSuffix);
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    if (!out) return make_error("cannot write " + local.string() + ": " + std::strerror(errno));
    ::chmod(local.c_str(), 0600);
    aws::S3 s3(client_);
    const std::string key = key_of(backup.env, backup.tenant, backup.name + kArchiveSuffix);
    Status read = s3.read(bucket_, key, [&](std::string_view part) -> Status {
      out.write(part.data(), static_cast<std::streamsize>(part.size()));
      if (!out) return make_error("cannot write " + local.string() + ": " + std::strerror(errno));
      return {};
    });
    out.close();
    if (!read) {
      release(local);
      return make_error("cannot download the backup " + url(key) + ": " + read.error().message);
    }
    return local;
  }

  void release(const fs::path& fetched) override {
    std::error_code ignored;
    fs::remove(fetched, ignored);
  }

 private:
  std::string key_of(const std::string& env, const std::string& tenant, const std::string& file) const {
    return (prefix_.empty() ? "" : prefix_ + "/") + env + "/" + tenant + "/" + file;
  }
  std::string url(const std::string& key) const { return kS3Scheme + bucket_ + "/" + key; }

  // Archives a crashed run left in the scratch directory.
  void remove_leftovers() {
    std::error_code error;
    const auto now = fs::file_time_type::clock::now();
    for (const auto& entry : fs::directory_iterator(scratch_, error)) {
      const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - entry.last_write_time(error));
      if (!error && age.count() > kUnfinishedAfter) fs::remove(entry.path(), error);
    }
  }

  // A run killed while uploading leaves its parts in the bucket, billed and invisible,
  // until aborted; the user's bucket need not have a rule that does it. An upload an hour
  // old is a dead run's (one under way is younger), and only this tenant's are touched.
  Status abort_abandoned_uploads(const std::string& env, const std::string& tenant) {
    aws::S3 s3(client_);
    const std::string dir = key_of(env, tenant, "");
    auto uploads = s3.pending_uploads(bucket_, dir);
    if (!uploads) {
      return make_error("cannot list the unfinished uploads in " + url(dir) + ": " + uploads.error().message);
    }
    const std::int64_t now = unix_now();
    for (const aws::S3PendingUpload& upload : *uploads) {
      const auto initiated = parse_utc_text(upload.initiated, "%Y-%m-%dT%H:%M:%S", false);
      if (!initiated || now - *initiated <= kUnfinishedAfter) continue;
      if (Status aborted = s3.abort_upload(bucket_, upload); !aborted) {
        return make_error("cannot abort the unfinished upload of " + url(upload.key) + ": " +
                          aborted.error().message);
      }
    }
    return {};
  }

  aws::Client client_;
  std::string bucket_;
  std::string prefix_;
  fs::path scratch_;
};

// The environment's own account and region on aws; elsewhere the standard sources
// (AWS_PROFILE, the shared files) with the backup's region.
aws::ConnectOptions connect_options(const Environment& env) {
  aws::ConnectOptions options;
  if (env.aws) {
    options.profile = env.aws->profile;
    options.region = env.aws->region;
    options.role_arn = env.aws->role_arn;
    options.role_session_name = "wpfleet-backup-" + env.name;
  }
  if (env.backup->region) options.region = env.backup->region;
  return options;
}

}  // namespace

std::string backup_name(std::int64_t unix_time) { return utc_text(unix_time, "%Y%m%dT%H%M%SZ"); }

std::int64_t backup_time(const std::string& name) {
  return parse_utc_text(name, "%Y%m%dT%H%M%SZ", true).value_or(0);
}

Result<std::unique_ptr<BackupStore>> open_backup_store(const Environment& env, const fs::path& scratch) {
  if (!env.backup) {
    return make_error("environment '" + env.name + "' has no backup settings: add backup = { to = "
                      "\"/var/backups/wpfleet\" } to it in the fleet file");
  }
  const std::string& to = env.backup->to;
  if (!to.starts_with(kS3Scheme)) return std::unique_ptr<BackupStore>(std::make_unique<DirectoryStore>(to));
  const std::string path = to.substr(std::strlen(kS3Scheme));
  const auto slash = path.find('/');
  std::string bucket = path.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : path.substr(slash + 1);
  while (prefix.ends_with('/')) prefix.pop_back();
  auto client = aws::connect(connect_options(env), aws::Environment::current());
  if (!client) {
    return make_error("cannot connect to AWS for the backups of " + env.name + " (" + to + "): " +
                      client.error().message);
  }
  return std::unique_ptr<BackupStore>(
      std::make_unique<S3Store>(std::move(*client), std::move(bucket), std::move(prefix), scratch));
}

}  // namespace wpfleet::transfer
