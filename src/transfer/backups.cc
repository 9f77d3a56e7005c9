#include "transfer/backups.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <ctime>

#include "transfer/archive_io.h"
#include "util/fs.h"
#include "util/unix_time.h"

namespace wpfleet::transfer {

namespace fs = std::filesystem;

namespace {

constexpr char kArchiveSuffix[] = ".tar";
// Beside each archive that passed its check; an archive without one was never checked
// (its run crashed) or failed.
constexpr char kVerifiedSuffix[] = ".verified";
// An unchecked archive this old is a crashed run's, not one being checked right now.
constexpr std::int64_t kLeftoverAfter = 3600;

std::string name_for(std::int64_t time) {
  const std::time_t t = static_cast<std::time_t>(time);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// 0 when `name` is not one of ours.
std::int64_t time_of(const std::string& name) {
  std::tm utc{};
  const char* end = ::strptime(name.c_str(), "%Y%m%dT%H%M%SZ", &utc);
  return end && *end == '\0' ? static_cast<std::int64_t>(::timegm(&utc)) : 0;
}

fs::path tenant_dir(const BackupPolicy& policy, const std::string& env, const std::string& tenant) {
  return fs::path(policy.to) / env / tenant;
}

Status remove_backup(const BackupRecord& backup) {
  std::error_code error;
  fs::remove(backup.path.string() + kVerifiedSuffix, error);
  fs::remove(backup.path, error);
  if (error) return make_error("cannot delete the backup " + backup.path.string() + ": " + error.message());
  return {};
}

}  // namespace

Result<std::vector<BackupRecord>> list_backups(const BackupPolicy& policy, const std::string& env,
                                               const std::string& tenant) {
  std::vector<BackupRecord> found;
  const fs::path dir = tenant_dir(policy, env, tenant);
  std::error_code error;
  if (!fs::exists(dir, error)) return found;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const fs::path& path = entry.path();
    if (path.extension() != kArchiveSuffix || !entry.is_regular_file()) continue;
    BackupRecord backup{env, tenant, path.stem().string(), path, time_of(path.stem().string())};
    if (backup.created_at == 0) continue;
    backup.bytes = entry.file_size(error);
    // The mark holds the size that was checked: an archive changed since is unchecked.
    auto mark = read_file(path.string() + kVerifiedSuffix);
    backup.verified = mark && *mark == std::to_string(backup.bytes) + "\n";
    found.push_back(std::move(backup));
  }
  if (error) return make_error("cannot list the backups in " + dir.string() + ": " + error.message());
  std::sort(found.begin(), found.end(),
            [](const BackupRecord& a, const BackupRecord& b) { return a.name > b.name; });
  return found;
}

bool backup_due(const std::vector<BackupRecord>& existing, const BackupPolicy& policy,
                std::int64_t now) {
  return std::none_of(existing.begin(), existing.end(), [&](const BackupRecord& b) {
    return b.verified && now - b.created_at < policy.every_s;
  });
}

Result<BackupRecord> Backups::take(const Environment& env, const std::string& tenant) {
  if (!env.backup) {
    return make_error("environment '" + env.name + "' has no backup settings: add backup = { to = "
                      "\"/var/backups/wpfleet\" } to it in the fleet file");
  }
  const BackupPolicy& policy = *env.backup;
  // An operation a crash interrupted is finished first: the check below uses staging.
  TRY(operations_.finish_interrupted(Scope{{env.name}, {tenant}, false}));
  const std::int64_t now = unix_now();
  const fs::path dir = tenant_dir(policy, env.name, tenant);
  TRY(make_dirs(dir, 0700));
  BackupRecord backup{env.name, tenant, name_for(now), dir / (name_for(now) + kArchiveSuffix), now};
  progress_("backing up " + env.name + "/" + tenant + " to " + backup.path.string());
  TRY(operations_.export_tenant(env.name, tenant, backup.path, ExportOptions{}));
  // Root's alone, as the state directory: it holds the users' password hashes.
  if (::chmod(backup.path.c_str(), 0600) != 0) {
    return make_error("cannot restrict " + backup.path.string() + " to root: " + std::strerror(errno));
  }
  if (Status checked = verify(env, tenant, backup.path); !checked) {
    (void)remove_backup(backup);
    return make_error("the backup of " + env.name + "/" + tenant + " failed its check and was deleted (" +
                      checked.error().message + "); the earlier backups are kept");
  }
  std::error_code error;
  backup.bytes = fs::file_size(backup.path, error);
  TRY(write_file_atomic(backup.path.string() + kVerifiedSuffix, std::to_string(backup.bytes) + "\n", 0600));
  backup.verified = true;
  TRY(prune(policy, env.name, tenant));
  return backup;
}

Status Backups::verify(const Environment& env, const std::string& tenant, const fs::path& archive) {
  progress_("checking the backup by loading it where the site cannot see it");
  TRY_ASSIGN(const Manifest manifest, read_manifest(archive));
  TRY_ASSIGN(const TenantContext ctx, engine_.context(env.name, tenant));
  TRY_ASSIGN(TenantData * data, engine_.tenant_data(env.name));
  auto staged = stage_archive(*data, ctx, archive, manifest, StageOptions{}, progress_);
  Status discarded = data->discard_staging(ctx);
  TRY(std::move(staged));
  return discarded;
}

Status Backups::prune(const BackupPolicy& policy, const std::string& env, const std::string& tenant) {
  TRY_ASSIGN(const std::vector<BackupRecord> backups, list_backups(policy, env, tenant));
  int verified = 0;
  const std::int64_t now = unix_now();
  for (const BackupRecord& backup : backups) {  // newest first
    const bool kept = backup.verified ? ++verified <= policy.keep : now - backup.created_at < kLeftoverAfter;
    if (!kept) TRY(remove_backup(backup));
  }
  return {};
}

}  // namespace wpfleet::transfer
