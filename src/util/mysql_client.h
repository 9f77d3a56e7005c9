// A thin MariaDB Connector/C client: connect, run statements, read rows as strings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

struct st_mysql;

namespace wpfleet {

struct MysqlEndpoint {
  std::string socket;      // a Unix socket path, or empty to use host/port
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string user;
  std::string password;
  std::string database;    // may be empty
};

using Row = std::vector<std::optional<std::string>>;  // nullopt = SQL NULL

class MysqlClient {
 public:
  static Result<std::unique_ptr<MysqlClient>> connect(const MysqlEndpoint& endpoint,
                                                      unsigned timeout_seconds = 5);
  ~MysqlClient();
  MysqlClient(const MysqlClient&) = delete;
  MysqlClient& operator=(const MysqlClient&) = delete;

  Status execute(const std::string& sql);
  Result<std::vector<Row>> query(const std::string& sql);

  // A quoted string literal, escaped for this connection's character set.
  std::string quote(const std::string& value);

  // MariaDB's error number of the last failed statement (0 if none).
  unsigned last_errno() const;

 private:
  explicit MysqlClient(st_mysql* handle) : handle_(handle) {}
  st_mysql* handle_;
};

// `name` quoted as an identifier (backticks doubled).
std::string quote_identifier(const std::string& name);

// The database `name` alone, quoted for GRANT/REVOKE ... ON <this>.*: there `_` and `%`
// are wildcards (a grant on `dev_a_db` also reaches `devXaXdb`), so they are escaped.
std::string quote_grant_database(const std::string& name);

}  // namespace wpfleet
