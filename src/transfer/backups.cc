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

bool backup_due(const std::vector<BackupRecord>& existing, const BackupPolicy& policy,
                std::int64_t now) {
  return std::none_of(existing.begin(), existing.end(), [&](const BackupRecord& b) {
    return b.verified && now - b.created_at < policy.every_s;
  });
}

Result<BackupRecord> Backups::take(const Environment& env, const std::string& tenant,
                                   BackupStore& store) {
  // An operation a crash interrupted is finished first: the check below uses staging.
  TRY(operations_.finish_interrupted(Scope{{env.name}, {tenant}, false}));
  const std::int64_t now = unix_now();
  BackupRecord backup{env.name, tenant, backup_name(now), "", now};
  TRY_ASSIGN(const fs::path draft, store.draft(backup));
  progress_("backing up " + env.name + "/" + tenant + " to " + draft.string());
  TRY(operations_.export_tenant(env.name, tenant, draft, ExportOptions{}));
  // Root's alone, as the state directory: it holds the users' password hashes.
  if (::chmod(draft.c_str(), 0600) != 0) {
    return make_error("cannot restrict " + draft.string() + " to root: " + std::strerror(errno));
  }
  if (Status checked = verify(env, tenant, draft); !checked) {
    (void)store.discard(draft);
    return make_error("the backup of " + env.name + "/" + tenant + " failed its check and was deleted (" +
                      checked.error().message + "); the earlier backups are kept");
  }
  std::error_code error;
  backup.bytes = fs::file_size(draft, error);
  TRY(store.keep(backup, draft));
  TRY(prune(*env.backup, env.name, tenant, store));
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

Status Backups::prune(const BackupPolicy& policy, const std::string& env, const std::string& tenant,
                      BackupStore& store) {
  TRY_ASSIGN(const std::vector<BackupRecord> backups, store.list(env, tenant));
  int verified = 0;
  const std::int64_t now = unix_now();
  for (const BackupRecord& backup : backups) {  // newest first
    const bool kept = backup.verified ? ++verified <= policy.keep : now - backup.created_at < kUnfinishedAfter;
    if (!kept) TRY(store.remove(backup));
  }
  return {};
}

}  // namespace wpfleet::transfer
