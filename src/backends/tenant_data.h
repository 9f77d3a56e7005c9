// What moving a tenant's content in and out needs from a backend: a consistent dump of
// its database, a staging area (database and files) to load into beside the live one,
// one swap that makes the staged content live and keeps what it replaced as "previous",
// and a fingerprint of the live content. Export, import, promote, snapshots and
// rollback (src/transfer/) are built on these alone.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/provider.h"
#include "util/mysql_client.h"
#include "util/result.h"
#include "util/safe_tree.h"

namespace wpfleet {

using ByteSink = std::function<Status(std::string_view)>;

// SQL statements streamed into the staging database.
class SqlLoad {
 public:
  virtual ~SqlLoad() = default;
  virtual Status write(std::string_view sql) = 0;
  virtual Status finish() = 0;  // the error of the first failing statement, if any
};

// A fresh, empty staging database that several connections may load at once, as a
// database user that reaches it alone; that user goes when the load finishes.
class StagingDatabase {
 public:
  virtual ~StagingDatabase() = default;
  virtual const MysqlEndpoint& endpoint() const = 0;
  virtual Status finish() = 0;
};

struct SwapScope {
  bool database = true;
  // Live tables missing from the staged set leave too (a full import makes the
  // database exactly the source's); otherwise only staged tables are replaced.
  bool replace_all_tables = true;
  bool files = true;
};

class TenantData {
 public:
  virtual ~TenantData() = default;

  // One transaction, no global lock (so it works on RDS too). `tables` empty = all.
  virtual Status dump_database(const TenantContext& ctx, const std::vector<std::string>& tables,
                               const ByteSink& sink) = 0;
  virtual Result<std::map<std::string, std::uint64_t>> row_counts(const TenantContext& ctx) = 0;

  // Staging starts empty every time; it is never visible to the site.
  virtual Result<std::unique_ptr<SqlLoad>> load_staging_database(const TenantContext& ctx) = 0;
  virtual Result<std::map<std::string, std::uint64_t>> staged_row_counts(
      const TenantContext& ctx) = 0;

  // For copies over several connections at once (util/parallel_dump.h,
  // util/parallel_load.h): where the live database can be read, as the tenant's own
  // database user, and a staging database to load. A backend that offers neither
  // (the default) is copied in the one stream of dump_database and
  // load_staging_database.
  virtual Result<std::optional<MysqlEndpoint>> database_endpoint(const TenantContext&) {
    return std::optional<MysqlEndpoint>();
  }
  virtual Result<std::unique_ptr<StagingDatabase>> open_staging_database(const TenantContext&) {
    return std::unique_ptr<StagingDatabase>();
  }
  // A fresh, empty staging files directory, open. Only wpfleet can write it until
  // adopt_staged_files gives it to the tenant.
  virtual Result<UniqueFd> staging_files(const TenantContext& ctx) = 0;
  // Every entry of the live files, each opened without following symlinks (the tenant
  // may be swapping names while it runs): what is read is what was checked.
  virtual Status read_files(const TenantContext& ctx, const TreeVisitor& visit) = 0;
  // Gives staged files to the tenant (owner and modes) before they go live.
  virtual Status adopt_staged_files(const TenantContext& ctx) = 0;

  // Staged -> live and live -> previous, the database in one atomic step.
  virtual Status swap_in_staging(const TenantContext& ctx, const SwapScope& scope) = 0;
  // Previous -> live again (after a swap that did not verify). Files a crash left
  // half-swapped are told apart and put back too; the database moves in one step, so
  // leave it out of `scope` while its staged tables are still staged.
  virtual Status restore_previous(const TenantContext& ctx, const SwapScope& scope) = 0;
  virtual Status discard_previous(const TenantContext& ctx) = 0;
  virtual Status discard_staging(const TenantContext& ctx) = 0;

  // Changes whenever the live content (database or files) changes, but not when
  // WordPress updates its own bookkeeping (cron, caches, login sessions). A
  // ContentSummary's text (content_summary.h), so that a change can be said.
  virtual Result<std::string> content_fingerprint(const TenantContext& ctx) = 0;

  // Sets the WordPress admin user's password to the environment's stored one: content
  // from elsewhere brings its own users, and `wpfleet secret get ... admin-password`
  // must stay true.
  virtual Status reset_admin_password(const TenantContext& ctx) = 0;
  // Replaces the environment's stored admin password of the tenant with a new random one
  // and sets it in WordPress. Crash-safe: the new value is stored as pending first, set,
  // then made current; one a crash stopped (which verify fails) is finished with its
  // pending value by the next call.
  virtual Status rotate_admin_password(const TenantContext& ctx) = 0;
  // Whether the stored admin password logs the admin user in: false also when there is
  // no admin user. Verify warns on false (whoever relies on `secret get` is locked out);
  // nullopt (the default) is a backend that cannot tell.
  virtual Result<std::optional<bool>> admin_password_logs_in(const TenantContext&) {
    return std::optional<bool>();
  }
  // The WordPress core the tenant runs now: "debian", a release ("6.8.3"), or "" when the
  // backend does not choose it (the default; an aws tenant runs its image). What a core
  // move records as the core to go back to.
  virtual std::string running_core(const TenantContext&) { return ""; }

  // Runs WordPress PHP (WordPress loaded; `input` on its stdin, for secrets) or one SQL
  // statement against the tenant.
  virtual Status run_php(const TenantContext& ctx, const std::string& php,
                         const std::string& input = "") = 0;
  virtual Status run_sql(const TenantContext& ctx, const std::string& sql) = 0;
};

}  // namespace wpfleet
