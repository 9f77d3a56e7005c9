// The database half of TenantData, the same on every backend whose server speaks MySQL
// (local's MariaDB over its socket, RDS over TCP): a consistent dump with the
// tenant's own credentials (mariadb-dump), staging and previous databases beside the
// live one swapped with one multi-table RENAME TABLE (atomic: no query sees a state in
// between), loads as a MariaDB user made for that load which reaches the staging
// database alone, and the tables' half of the content fingerprint. What differs per
// backend is only how the admin connects and where the server is.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/content_summary.h"
#include "backends/tenant_data.h"
#include "util/mysql_client.h"
#include "util/result.h"

namespace wpfleet {

// The databases of one tenant's content.
struct StagedDatabases {
  std::string live;
  std::string staging;   // loaded, never visible to the site
  std::string previous;  // what the last swap replaced, until it is discarded
};

// A connection with the privileges to make databases and users and to grant on them
// (local: root over the socket; RDS: the master user).
using AdminConnector = std::function<Result<std::unique_ptr<MysqlClient>>()>;

// Where the MariaDB tools and a load user's connections reach the server.
struct MysqlServer {
  MysqlEndpoint location;  // socket, or host and port; no user
  // The host part of load users' accounts: 'localhost' over the socket, '%' over TCP
  // (RDS sees wpfleet's address, which it cannot name in advance).
  std::string account_host;
};

// Streams a consistent dump of `endpoint`'s database (`tables` empty: all of it) in
// one transaction without a global lock (which RDS does not allow), as mariadb-dump
// with the credentials in a sealed memfd, never in argv or the environment.
Status dump_with_mariadb_dump(const MysqlEndpoint& endpoint, const std::vector<std::string>& tables,
                              const ByteSink& sink);

class MysqlStaging {
 public:
  MysqlStaging(AdminConnector admin, MysqlServer server, StagedDatabases names)
      : admin_(std::move(admin)), server_(std::move(server)), names_(std::move(names)) {}

  Result<std::map<std::string, std::uint64_t>> live_row_counts();
  Result<std::map<std::string, std::uint64_t>> staged_row_counts();

  // A fresh, empty staging database fed by the mariadb client as a new load user.
  Result<std::unique_ptr<SqlLoad>> load();
  // A fresh, empty staging database and the load user that alone reaches it, for
  // loads over several connections.
  Result<std::unique_ptr<StagingDatabase>> open();

  // Staged tables -> live, the live ones they replace (all of them with
  // `replace_all_tables`) -> previous, in one statement.
  Status swap_in(bool replace_all_tables);
  // Previous tables -> live again, in one statement.
  Status restore_previous(bool replace_all_tables);
  Status discard_previous();
  Status discard_staging();

  // Each live table's rows and checksum, WordPress's own bookkeeping (cron, transients,
  // login sessions) left out, into `summary.tables`.
  Status summarize(ContentSummary& summary);

 private:
  Result<std::unique_ptr<MysqlClient>> connect() const;
  // Moves `from`'s tables to `to` (those of `to` it replaces, or all, going to `aside`).
  Status move_all(MysqlClient& client, const std::string& from, const std::string& to,
                  const std::string& aside, bool replace_all_tables);

  AdminConnector admin_;
  MysqlServer server_;
  StagedDatabases names_;
};

}  // namespace wpfleet
