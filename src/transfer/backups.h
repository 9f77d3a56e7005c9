// Backups: a tenant's archive (as `export` writes it) kept where the environment's
// backup settings say (a directory or S3: backup_store.h), checked after writing by loading it into the tenant's staging area (which
// the site never sees) against its manifest — the dump's checksum, every table's rows,
// the files — and kept `keep` deep. The supervisor takes the due ones; `wpfleet backup
// run` takes one now; a backup restores as an import does (snapshot first, rollback).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "fleet/model.h"
#include "transfer/backup_store.h"
#include "transfer/operations.h"
#include "util/result.h"

namespace wpfleet::transfer {

// Due when no verified backup is younger than `every`.
bool backup_due(const std::vector<BackupRecord>& existing, const BackupPolicy& policy,
                std::int64_t now);

class Backups {
 public:
  Backups(Operations& operations, Engine& engine, ProgressFn progress)
      : operations_(operations), engine_(engine), progress_(std::move(progress)) {}

  // Writes one, checks it (deleting it if the check fails), keeps it in `store` (the
  // open_backup_store of `env`, so `env` has backup settings) and
  // deletes the verified ones beyond `keep` and unchecked leftovers of crashed runs.
  Result<BackupRecord> take(const Environment& env, const std::string& tenant, BackupStore& store);

 private:
  Status verify(const Environment& env, const std::string& tenant, const std::filesystem::path& archive);
  Status prune(const BackupPolicy& policy, const std::string& env, const std::string& tenant,
               BackupStore& store);

  Operations& operations_;
  Engine& engine_;
  ProgressFn progress_;
};

}  // namespace wpfleet::transfer
