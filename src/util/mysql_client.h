// A thin MariaDB Connector/C client: connect, run statements, read rows as strings.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

// What a result column's values are: what a dump writes as an unquoted number, as a
// quoted string (binary strings too: any bytes), or as hex (BIT and spatial values,
// raw bytes that are no text).
enum class ValueKind { Number, String, Bits };

// One row as the server sent it: each value's bytes, or nullopt for NULL. Valid only
// during the callback.
using RawRow = std::vector<std::optional<std::string_view>>;

class MysqlClient {
 public:
  static Result<std::unique_ptr<MysqlClient>> connect(const MysqlEndpoint& endpoint,
                                                      unsigned timeout_seconds = 5);
  ~MysqlClient();
  MysqlClient(const MysqlClient&) = delete;
  MysqlClient& operator=(const MysqlClient&) = delete;

  Status execute(std::string_view sql);
  Result<std::vector<Row>> query(const std::string& sql);
  // Reads the rows of `sql` one at a time as the server sends them, never the whole
  // result in memory: `on_columns` once with each column's kind, then `on_row` per row.
  Status stream(const std::string& sql,
                const std::function<Status(const std::vector<ValueKind>&)>& on_columns,
                const std::function<Status(const RawRow&)>& on_row);

  // Runs `insert` (one row of `?` placeholders) for `rows` rows in one round trip
  // (MariaDB's array binding): `values` holds rows x columns values, row after row, each
  // its bytes or nullopt for NULL, sent as strings the server converts as it would
  // literals. No value is parsed as SQL.
  Status insert_rows(const std::string& insert, std::size_t rows,
                     const std::vector<std::optional<std::string_view>>& values);

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
