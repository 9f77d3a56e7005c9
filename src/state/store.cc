#include "state/store.h"
#include "util/unix_time.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

namespace wpfleet {
namespace {

// Each step moves the schema up one version. Append new steps; never edit a released
// one, so that every existing state file migrates forward the same way.
constexpr std::array<std::string_view, 5> kMigrations = {
    R"sql(
CREATE TABLE resources (
  env TEXT NOT NULL,
  tenant TEXT NOT NULL,
  kind TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  detail TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (env, tenant, kind)
);
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  operation TEXT NOT NULL,
  env TEXT NOT NULL,
  tenant TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  finished_at INTEGER NULL
);
CREATE INDEX journal_unfinished ON journal (finished_at) WHERE finished_at IS NULL;
CREATE TABLE secrets (
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  sealed BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (scope, name)
);
)sql",
    // 2: rule priorities per environment, as an ALB needs them: unique, never reused
    // while the tenant holds one.
    R"sql(
CREATE TABLE route_priorities (
  env TEXT NOT NULL,
  tenant TEXT NOT NULL,
  priority INTEGER NOT NULL,
  PRIMARY KEY (env, tenant),
  UNIQUE (env, priority)
);
)sql",
    // 3: content operations (import, promote, rollback, ...) and snapshots.
    R"sql(
CREATE TABLE operations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  source_env TEXT NOT NULL DEFAULT '',
  target_env TEXT NOT NULL,
  snapshot_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  step TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  result_fingerprint TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  finished_at INTEGER NULL
);
CREATE TABLE snapshots (
  id TEXT PRIMARY KEY,
  env TEXT NOT NULL,
  tenant TEXT NOT NULL,
  path TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  reason TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX snapshots_by_tenant ON snapshots (env, tenant, created_at);
)sql",
    // 4: what a content operation's swap replaces, so that one interrupted half-way can
    // be undone by the next command.
    R"sql(
ALTER TABLE operations ADD COLUMN swap TEXT NOT NULL DEFAULT '';
)sql",
    // 5: tenants put to sleep (`tenant sleep`), so that apply leaves them asleep; the
    // state says whether the sleep or a wake is still under way.
    R"sql(
CREATE TABLE sleeping (
  env TEXT NOT NULL,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  PRIMARY KEY (env, tenant)
);
)sql",
};

constexpr int kLatestSchemaVersion = static_cast<int>(kMigrations.size());
constexpr int kBusyTimeoutMs = 5000;

Error database_error(sqlite3* db, std::string_view doing) {
  return make_error("state database: cannot " + std::string(doing) + ": " + sqlite3_errmsg(db));
}

// A prepared statement with bound parameters. A failed bind is remembered and reported
// by the next step(), so call sites read as one chain.
class Statement {
 public:
  static Result<Statement> prepare(sqlite3* db, std::string_view sql, std::string_view doing) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(raw);
      return database_error(db, doing);
    }
    return Statement(db, raw, doing);
  }

  Statement& bind(int index, std::string_view text) {
    return check(sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()),
                                   SQLITE_TRANSIENT));
  }
  Statement& bind(int index, std::int64_t number) {
    return check(sqlite3_bind_int64(stmt_.get(), index, number));
  }
  Statement& bind(int index, const Bytes& blob) {
    // A null data pointer would bind SQL NULL, not an empty blob.
    if (blob.empty()) return check(sqlite3_bind_zeroblob(stmt_.get(), index, 0));
    return check(sqlite3_bind_blob(stmt_.get(), index, blob.data(), static_cast<int>(blob.size()),
                                   SQLITE_TRANSIENT));
  }

  // True while a row is available; false once the statement is done.
  Result<bool> step() {
    if (bind_failed_) return database_error(db_, doing_);
    int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return database_error(db_, doing_);
  }

  Status run() {
    TRY(step());
    return {};
  }

  std::string text(int column) const {
    const unsigned char* data = sqlite3_column_text(stmt_.get(), column);
    int size = sqlite3_column_bytes(stmt_.get(), column);
    return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
  Bytes blob(int column) const {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
    int size = sqlite3_column_bytes(stmt_.get(), column);
    return data == nullptr ? Bytes() : Bytes(data, data + size);
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view doing)
      : db_(db), stmt_(stmt, &sqlite3_finalize), doing_(doing) {}

  Statement& check(int rc) {
    if (rc != SQLITE_OK) bind_failed_ = true;
    return *this;
  }

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt_;
  std::string doing_;
  bool bind_failed_ = false;
};

// SQLite creates files with mode 0644 less the umask; the state holds sealed secrets and
// their names, so create it 0600 first. SQLite gives its -wal and -shm files the same mode.
Status create_private_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error("cannot create state database " + path.string() + ": " +
                      std::strerror(errno));
  }
  ::close(fd);
  return {};
}

Result<int> read_schema_version(sqlite3* db) {
  TRY_ASSIGN(Statement query,
             Statement::prepare(db, "SELECT version FROM schema_version", "read schema version"));
  TRY_ASSIGN(bool has_row, query.step());
  return has_row ? static_cast<int>(query.integer(0)) : 0;
}

Status set_schema_version(sqlite3* db, int version) {
  TRY_ASSIGN(Statement clear,
             Statement::prepare(db, "DELETE FROM schema_version", "set schema version"));
  TRY(clear.run());
  TRY_ASSIGN(Statement insert, Statement::prepare(db, "INSERT INTO schema_version VALUES (?1)",
                                                  "set schema version"));
  return insert.bind(1, std::int64_t{version}).run();
}

// Runs fixed SQL text (no parameters); the error is SQLite's message alone.
Status run_sql(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return make_error(text);
  }
  return {};
}

// Brings the schema to the latest version; the caller holds a write transaction.
Status migrate(sqlite3* db) {
  TRY(run_sql(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  TRY_ASSIGN(int version, read_schema_version(db));
  if (version > kLatestSchemaVersion) {
    return make_error("its schema version " + std::to_string(version) +
                      " is newer than this wpfleet understands (" +
                      std::to_string(kLatestSchemaVersion) + "); upgrade wpfleet");
  }
  for (int step = version; step < kLatestSchemaVersion; ++step) {
    TRY(run_sql(db, std::string(kMigrations[step])));
  }
  if (version == kLatestSchemaVersion) return {};
  return set_schema_version(db, kLatestSchemaVersion);
}

// One write transaction for all pending steps: a failed step leaves the old schema.
Status prepare_database(sqlite3* db) {
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  TRY(run_sql(db, "PRAGMA journal_mode=WAL"));
  TRY(run_sql(db, "BEGIN IMMEDIATE"));
  Status migrated = migrate(db);
  if (!migrated.ok()) {
    (void)run_sql(db, "ROLLBACK");
    return migrated;
  }
  return run_sql(db, "COMMIT");
}

}  // namespace

StateStore::StateStore(sqlite3* db) : db_(db) {}

StateStore::~StateStore() { sqlite3_close(db_); }

Result<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& db_path) {
  TRY(create_private_file(db_path));
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  // Even a failed open returns a handle (for its message) that must be closed.
  std::unique_ptr<StateStore> store(new StateStore(db));
  if (rc != SQLITE_OK) {
    return make_error("cannot open state database " + db_path.string() + ": " +
                      (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  Status prepared = prepare_database(db);
  if (!prepared.ok()) {
    return make_error("cannot open state database " + db_path.string() + ": " +
                      prepared.error().message);
  }
  return store;
}

int StateStore::schema_version() {
  std::lock_guard lock(mutex_);
  Result<int> version = read_schema_version(db_);
  return version.ok() ? *version : 0;
}

Result<std::vector<ResourceRecord>> StateStore::resources(const std::string& env) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query, Statement::prepare(db_, R"sql(
      SELECT env, tenant, kind, fingerprint, detail, applied_at FROM resources
      WHERE ?1 = '' OR env = ?1 ORDER BY env, tenant, kind)sql",
                                                 "list resources"));
  query.bind(1, env);
  std::vector<ResourceRecord> records;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    records.push_back({query.text(0), query.text(1), query.text(2), query.text(3), query.text(4),
                       query.integer(5)});
  }
  return records;
}

Status StateStore::record_resource(const ResourceRecord& record) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT OR REPLACE INTO resources (env, tenant, kind, fingerprint, detail, applied_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql",
                                                  "record resource"));
  return insert.bind(1, record.env)
      .bind(2, record.tenant)
      .bind(3, record.kind)
      .bind(4, record.fingerprint)
      .bind(5, record.detail)
      .bind(6, unix_now())
      .run();
}

Status StateStore::forget_resource(const std::string& env, const std::string& tenant,
                                   const std::string& kind) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(
      Statement remove,
      Statement::prepare(db_, "DELETE FROM resources WHERE env = ?1 AND tenant = ?2 AND kind = ?3",
                         "forget resource"));
  return remove.bind(1, env).bind(2, tenant).bind(3, kind).run();
}

Result<bool> StateStore::has_resource(const std::string& env, const std::string& tenant,
                                      const std::string& kind) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(
                 db_, "SELECT 1 FROM resources WHERE env = ?1 AND tenant = ?2 AND kind = ?3",
                 "look up resource"));
  query.bind(1, env).bind(2, tenant).bind(3, kind);
  return query.step();
}

Status StateStore::forget_tenant(const std::string& env, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove,
             Statement::prepare(db_, "DELETE FROM resources WHERE env = ?1 AND tenant = ?2",
                                "forget tenant"));
  return remove.bind(1, env).bind(2, tenant).run();
}

Result<std::int64_t> StateStore::journal_begin(const std::string& operation, const std::string& env,
                                               const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT INTO journal (operation, env, tenant, started_at) VALUES (?1, ?2, ?3, ?4))sql",
                                                  "begin journal entry"));
  TRY(insert.bind(1, operation).bind(2, env).bind(3, tenant).bind(4, unix_now()).run());
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
}

Status StateStore::journal_step(std::int64_t id, const std::string& step) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement update, Statement::prepare(db_, "UPDATE journal SET step = ?1 WHERE id = ?2",
                                                  "record journal step"));
  TRY(update.bind(1, step).bind(2, id).run());
  if (sqlite3_changes(db_) == 0) {
    return make_error("state database: no journal entry " + std::to_string(id));
  }
  return {};
}

Status StateStore::journal_finish(std::int64_t id) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement update,
             Statement::prepare(db_, "UPDATE journal SET finished_at = ?1 WHERE id = ?2",
                                "finish journal entry"));
  TRY(update.bind(1, unix_now()).bind(2, id).run());
  if (sqlite3_changes(db_) == 0) {
    return make_error("state database: no journal entry " + std::to_string(id));
  }
  return {};
}

Result<std::vector<JournalEntry>> StateStore::unfinished_operations() {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query, Statement::prepare(db_, R"sql(
      SELECT id, operation, env, tenant, step, started_at FROM journal
      WHERE finished_at IS NULL ORDER BY id)sql",
                                                 "list unfinished operations"));
  std::vector<JournalEntry> entries;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    entries.push_back({query.integer(0), query.text(1), query.text(2), query.text(3), query.text(4),
                       query.integer(5)});
  }
  return entries;
}

Status StateStore::record_sleep(const std::string& env, const std::string& tenant,
                                SleepState state) {
  std::lock_guard lock(mutex_);
  // `since` is when the sleep began: a later step keeps it.
  TRY_ASSIGN(Statement upsert, Statement::prepare(db_, R"sql(
      INSERT INTO sleeping (env, tenant, state, since) VALUES (?1, ?2, ?3, ?4)
      ON CONFLICT (env, tenant) DO UPDATE SET state = excluded.state)sql",
                                                  "record sleep"));
  return upsert.bind(1, env)
      .bind(2, tenant)
      .bind(3, std::string(sleep_state_name(state)))
      .bind(4, unix_now())
      .run();
}

Status StateStore::forget_sleep(const std::string& env, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove,
             Statement::prepare(db_, "DELETE FROM sleeping WHERE env = ?1 AND tenant = ?2",
                                "forget sleep"));
  return remove.bind(1, env).bind(2, tenant).run();
}

Result<std::map<std::string, SleepRecord>> StateStore::sleeping(const std::string& env) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT tenant, state, since FROM sleeping WHERE env = ?1",
                                "list sleeping tenants"));
  query.bind(1, env);
  std::map<std::string, SleepRecord> records;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    const std::string state = query.text(1);
    records[query.text(0)] = SleepRecord{
        state == "sleeping" ? SleepState::Sleeping
                            : state == "waking" ? SleepState::Waking : SleepState::Asleep,
        query.integer(2)};
  }
  return records;
}

Result<std::optional<SleepRecord>> StateStore::sleep_record(const std::string& env,
                                                            const std::string& tenant) {
  TRY_ASSIGN(auto records, sleeping(env));
  const auto found = records.find(tenant);
  if (found == records.end()) return std::optional<SleepRecord>();
  return std::optional<SleepRecord>(found->second);
}

std::string_view sleep_state_name(SleepState state) {
  switch (state) {
    case SleepState::Sleeping: return "sleeping";
    case SleepState::Asleep: return "asleep";
    case SleepState::Waking: return "waking";
  }
  return "asleep";
}

Status StateStore::put_secret_row(const std::string& scope, const std::string& name,
                                  const Bytes& sealed) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT OR REPLACE INTO secrets (scope, name, sealed, updated_at)
      VALUES (?1, ?2, ?3, ?4))sql",
                                                  "store secret"));
  return insert.bind(1, scope).bind(2, name).bind(3, sealed).bind(4, unix_now()).run();
}

Result<bool> StateStore::put_secret_row_if_absent(const std::string& scope, const std::string& name,
                                                  const Bytes& sealed) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT OR IGNORE INTO secrets (scope, name, sealed, updated_at)
      VALUES (?1, ?2, ?3, ?4))sql",
                                                  "store secret"));
  TRY(insert.bind(1, scope).bind(2, name).bind(3, sealed).bind(4, unix_now()).run());
  return sqlite3_changes(db_) > 0;
}

Result<std::optional<Bytes>> StateStore::get_secret_row(const std::string& scope,
                                                        const std::string& name) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT sealed FROM secrets WHERE scope = ?1 AND name = ?2",
                                "read secret"));
  query.bind(1, scope).bind(2, name);
  TRY_ASSIGN(bool has_row, query.step());
  if (!has_row) return std::optional<Bytes>();
  return std::optional<Bytes>(query.blob(0));
}

Result<std::vector<std::string>> StateStore::secret_names(const std::string& scope) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT name FROM secrets WHERE scope = ?1 ORDER BY name",
                                "list secrets"));
  query.bind(1, scope);
  std::vector<std::string> names;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    names.push_back(query.text(0));
  }
  return names;
}

Status StateStore::delete_secret_row(const std::string& scope, const std::string& name) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove,
             Statement::prepare(db_, "DELETE FROM secrets WHERE scope = ?1 AND name = ?2",
                                "delete a secret"));
  return remove.bind(1, scope).bind(2, name).run();
}

Status StateStore::delete_secret_scope(const std::string& scope) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove,
             Statement::prepare(db_, "DELETE FROM secrets WHERE scope = ?1", "delete secrets"));
  return remove.bind(1, scope).run();
}

Result<int> StateStore::route_priority(const std::string& env, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement existing, Statement::prepare(db_, R"sql(
      SELECT priority FROM route_priorities WHERE env = ?1 AND tenant = ?2)sql",
                                                    "read route priority"));
  existing.bind(1, env).bind(2, tenant);
  TRY_ASSIGN(bool found, existing.step());
  if (found) return static_cast<int>(existing.integer(0));
  // The lowest free multiple of the step: gaps leave room for rules placed by hand.
  TRY_ASSIGN(Statement allocate, Statement::prepare(db_, R"sql(
      INSERT INTO route_priorities (env, tenant, priority)
      SELECT ?1, ?2, MIN(candidate) FROM (
        SELECT ?3 AS candidate
        UNION ALL SELECT priority + ?3 FROM route_priorities WHERE env = ?1
      ) WHERE candidate NOT IN (SELECT priority FROM route_priorities WHERE env = ?1)
      RETURNING priority)sql",
                                                    "allocate route priority"));
  allocate.bind(1, env).bind(2, tenant).bind(3, std::int64_t{kRoutePriorityStep});
  TRY_ASSIGN(bool allocated, allocate.step());
  if (!allocated) return database_error(db_, "allocate route priority");
  const int priority = static_cast<int>(allocate.integer(0));
  TRY(allocate.step());  // finish the statement so the insert is complete
  if (priority > kMaxRoutePriority) {
    return make_error("environment '" + env + "' has no free route priority left (max " +
                      std::to_string(kMaxRoutePriority) + "): delete unused tenants");
  }
  return priority;
}

Status StateStore::release_route_priority(const std::string& env, const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove, Statement::prepare(
                                   db_, "DELETE FROM route_priorities WHERE env = ?1 AND tenant = ?2",
                                   "release route priority"));
  return remove.bind(1, env).bind(2, tenant).run();
}

Result<std::map<std::string, int>> StateStore::route_priorities(const std::string& env) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query, Statement::prepare(
                                  db_, "SELECT tenant, priority FROM route_priorities WHERE env = ?1",
                                  "list route priorities"));
  query.bind(1, env);
  std::map<std::string, int> out;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    out[query.text(0)] = static_cast<int>(query.integer(1));
  }
  return out;
}

Status StateStore::record_operation(const OperationRecord& op) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT INTO operations (id, kind, tenant, source_env, target_env, snapshot_id, status,
                              step, error, result_fingerprint, started_at, finished_at, swap)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULLIF(?12, 0), ?13)
      ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, snapshot_id = excluded.snapshot_id,
        status = excluded.status, step = excluded.step, error = excluded.error,
        result_fingerprint = excluded.result_fingerprint,
        finished_at = excluded.finished_at, swap = excluded.swap)sql",
                                                  "record operation"));
  return insert.bind(1, op.id)
      .bind(2, op.kind)
      .bind(3, op.tenant)
      .bind(4, op.source_env)
      .bind(5, op.target_env)
      .bind(6, op.snapshot_id)
      .bind(7, op.status)
      .bind(8, op.step)
      .bind(9, op.error)
      .bind(10, op.result_fingerprint)
      .bind(11, op.started_at ? op.started_at : unix_now())
      .bind(12, op.finished_at)
      .bind(13, op.swap)
      .run();
}

namespace {
constexpr std::string_view kOperationColumns =
    "id, kind, tenant, source_env, target_env, snapshot_id, status, step, error, "
    "result_fingerprint, started_at, COALESCE(finished_at, 0), swap";

OperationRecord operation_from(const Statement& row) {
  return {row.text(0),     row.text(1),     row.text(2), row.text(3), row.text(4),
          row.text(5),     row.text(6),     row.text(7), row.text(8), row.text(9),
          row.integer(10), row.integer(11), row.text(12)};
}

constexpr std::string_view kSnapshotColumns =
    "id, env, tenant, path, fingerprint, reason, bytes, created_at";

SnapshotRecord snapshot_from(const Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3),
          row.text(4), row.text(5), row.integer(6), row.integer(7)};
}
}  // namespace

Result<std::vector<OperationRecord>> StateStore::operations(const std::string& id) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT " + std::string(kOperationColumns) +
                                         " FROM operations WHERE ?1 = '' OR id = ?1 "
                                         // rowid: the order they were started in (an
                                         // update keeps it)
                                         "ORDER BY rowid DESC",
                                "list operations"));
  query.bind(1, id);
  std::vector<OperationRecord> out;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    out.push_back(operation_from(query));
  }
  return out;
}

Status StateStore::record_snapshot(const SnapshotRecord& snapshot) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement insert, Statement::prepare(db_, R"sql(
      INSERT OR REPLACE INTO snapshots (id, env, tenant, path, fingerprint, reason, bytes,
                                        created_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql",
                                                  "record snapshot"));
  return insert.bind(1, snapshot.id)
      .bind(2, snapshot.env)
      .bind(3, snapshot.tenant)
      .bind(4, snapshot.path)
      .bind(5, snapshot.fingerprint)
      .bind(6, snapshot.reason)
      .bind(7, snapshot.bytes)
      .bind(8, snapshot.created_at ? snapshot.created_at : unix_now())
      .run();
}

Result<std::vector<SnapshotRecord>> StateStore::snapshots(const std::string& env,
                                                          const std::string& tenant) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT " + std::string(kSnapshotColumns) +
                                         " FROM snapshots WHERE env = ?1 AND (?2 = '' OR tenant = ?2) "
                                         "ORDER BY created_at DESC, rowid DESC",
                                "list snapshots"));
  query.bind(1, env).bind(2, tenant);
  std::vector<SnapshotRecord> out;
  while (true) {
    TRY_ASSIGN(bool has_row, query.step());
    if (!has_row) break;
    out.push_back(snapshot_from(query));
  }
  return out;
}

Result<std::optional<SnapshotRecord>> StateStore::snapshot(const std::string& id) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement query,
             Statement::prepare(db_, "SELECT " + std::string(kSnapshotColumns) +
                                         " FROM snapshots WHERE id = ?1",
                                "read snapshot"));
  query.bind(1, id);
  TRY_ASSIGN(bool found, query.step());
  if (!found) return std::optional<SnapshotRecord>();
  return std::optional<SnapshotRecord>(snapshot_from(query));
}

Status StateStore::forget_snapshot(const std::string& id) {
  std::lock_guard lock(mutex_);
  TRY_ASSIGN(Statement remove,
             Statement::prepare(db_, "DELETE FROM snapshots WHERE id = ?1", "forget snapshot"));
  return remove.bind(1, id).run();
}

}  // namespace wpfleet
