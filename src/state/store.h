// wpfleet's own state, in one SQLite file under the state directory: what was applied
// (per environment, tenant and resource kind, with a fingerprint of the configuration
// it was applied with), the journal of operations (for resuming after a crash), and
// sealed secret rows. The schema is versioned and migrated forward on open.
//
// Safe to use from several threads: calls are serialised on one connection.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/crypto.h"
#include "util/result.h"

struct sqlite3;

namespace wpfleet {

struct ResourceRecord {
  std::string env;
  std::string tenant;
  std::string kind;          // e.g. "database", "runtime"; see engine/resource.h
  std::string fingerprint;   // hash of the desired configuration it was applied with
  std::string detail;        // free-form JSON the backend wants to keep (ids, names)
  std::int64_t applied_at = 0;  // unix seconds; set by the store when recorded
};

struct JournalEntry {
  std::int64_t id = 0;
  std::string operation;     // "apply", "delete"
  std::string env;
  std::string tenant;
  std::string step;          // last step started
  std::int64_t started_at = 0;
};

// A content operation (import, promote, snapshot restore, rollback, search-replace).
struct OperationRecord {
  std::string id;           // "op-20261126-191500-3fa9"
  std::string kind;
  std::string tenant;
  std::string source_env;   // empty unless content came from another environment
  std::string target_env;
  std::string snapshot_id;  // the target's content before the operation, if it had any
  std::string status;       // running, succeeded, failed, rolled back ...
  std::string step;
  std::string error;
  std::string result_fingerprint;  // the target's content fingerprint after success
  std::int64_t started_at = 0;   // set by the store when 0
  std::int64_t finished_at = 0;  // 0 while running
  // While the content is being swapped: what the swap replaces and which files were
  // live before it (JSON written by src/transfer/), so that the next command can undo
  // a swap a crash interrupted.
  std::string swap = "";
};

struct SnapshotRecord {
  std::string id;
  std::string env;
  std::string tenant;
  std::string path;         // the archive
  std::string fingerprint;  // of the live content when it was taken
  std::string reason;       // "manual", "before op-..."
  std::int64_t bytes = 0;
  std::int64_t created_at = 0;  // set by the store when 0
};

// A tenant put to sleep (`wpfleet tenant sleep`): its runtime takes no requests until
// it is woken. Sleeping and Waking are a sleep or a wake begun and not yet finished.
enum class SleepState { Sleeping, Asleep, Waking };
std::string_view sleep_state_name(SleepState state);

struct SleepRecord {
  SleepState state = SleepState::Asleep;
  std::int64_t since = 0;  // unix seconds: when the sleep began
};

// Whether a tenant with this record must take no requests: asleep, or being put to
// sleep (running `tenant sleep` again finishes it); a wake begun counts as awake.
inline bool sleeps(const std::optional<SleepRecord>& record) {
  return record && record->state != SleepState::Waking;
}

class StateStore {
 public:
  // Opens (creating if needed, mode 0600) and migrates the schema to the latest version.
  static Result<std::unique_ptr<StateStore>> open(const std::filesystem::path& db_path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  int schema_version();

  // Applied resources. `env` empty = all environments.
  Result<std::vector<ResourceRecord>> resources(const std::string& env = "");
  Status record_resource(const ResourceRecord& record);  // insert or replace
  // Whether the resource was applied (and not deleted) once: then it was complete.
  Result<bool> has_resource(const std::string& env, const std::string& tenant,
                            const std::string& kind);
  Status forget_resource(const std::string& env, const std::string& tenant,
                         const std::string& kind);
  Status forget_tenant(const std::string& env, const std::string& tenant);

  // The journal: an operation on one tenant is begun, moves through steps, and is
  // finished. Entries never finished are what a crash left behind.
  Result<std::int64_t> journal_begin(const std::string& operation, const std::string& env,
                                     const std::string& tenant);
  Status journal_step(std::int64_t id, const std::string& step);
  Status journal_finish(std::int64_t id);
  Result<std::vector<JournalEntry>> unfinished_operations();

  // Route rule priorities: a backend whose routes need unique priorities (an ALB
  // listener) gets one per tenant and environment, allocated once and kept until
  // released: the lowest free multiple of kRoutePriorityStep.
  static constexpr int kRoutePriorityStep = 10;
  static constexpr int kMaxRoutePriority = 50000;  // the ALB's limit
  Result<int> route_priority(const std::string& env, const std::string& tenant);
  Status release_route_priority(const std::string& env, const std::string& tenant);
  Result<std::map<std::string, int>> route_priorities(const std::string& env);  // by tenant

  // Content operations, newest first (`id` empty = all), and snapshots.
  Status record_operation(const OperationRecord& op);  // insert or replace
  Result<std::vector<OperationRecord>> operations(const std::string& id = "");
  Status record_snapshot(const SnapshotRecord& snapshot);
  // Newest first; `tenant` empty = every tenant's (they share the environment's blobs).
  Result<std::vector<SnapshotRecord>> snapshots(const std::string& env,
                                                const std::string& tenant);
  Result<std::optional<SnapshotRecord>> snapshot(const std::string& id);
  Status forget_snapshot(const std::string& id);

  // Sleeping tenants. record_sleep inserts or moves the record to `state` (keeping
  // since); forget_sleep removes it once a wake is done.
  Status record_sleep(const std::string& env, const std::string& tenant, SleepState state);
  Status forget_sleep(const std::string& env, const std::string& tenant);
  Result<std::map<std::string, SleepRecord>> sleeping(const std::string& env);  // by tenant
  Result<std::optional<SleepRecord>> sleep_record(const std::string& env,
                                                  const std::string& tenant);

  // Sealed secret rows (see state/secret_store.h for the encrypting layer).
  Status put_secret_row(const std::string& scope, const std::string& name, const Bytes& sealed);
  // Stores the row only if none exists, atomically, so that concurrent first uses of a
  // secret agree on one value. False if a row was already there.
  Result<bool> put_secret_row_if_absent(const std::string& scope, const std::string& name,
                                        const Bytes& sealed);
  Result<std::optional<Bytes>> get_secret_row(const std::string& scope, const std::string& name);
  Result<std::vector<std::string>> secret_names(const std::string& scope);
  Status delete_secret_row(const std::string& scope, const std::string& name);
  Status delete_secret_scope(const std::string& scope);

 private:
  explicit StateStore(sqlite3* db);
  sqlite3* db_;
  std::mutex mutex_;
};

}  // namespace wpfleet
