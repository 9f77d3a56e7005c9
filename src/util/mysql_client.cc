#include "util/mysql_client.h"

#include <mysql.h>

namespace wpfleet {

namespace {
Error client_error(st_mysql* handle, const std::string& what) {
  return make_error(what + ": " + mysql_error(handle) + " (MariaDB error " +
                    std::to_string(mysql_errno(handle)) + ")");
}
}  // namespace

Result<std::unique_ptr<MysqlClient>> MysqlClient::connect(const MysqlEndpoint& endpoint,
                                                          unsigned timeout_seconds) {
  MYSQL* handle = mysql_init(nullptr);
  if (!handle) return make_error("out of memory creating a MariaDB client");
  mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_seconds);
  mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // A row as long as the server allows (a dump may stream one of hundreds of MB).
  const unsigned long max_packet = 1UL << 30;
  mysql_options(handle, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  const char* socket = endpoint.socket.empty() ? nullptr : endpoint.socket.c_str();
  const char* host = socket ? "localhost" : endpoint.host.c_str();
  const char* db = endpoint.database.empty() ? nullptr : endpoint.database.c_str();
  if (!mysql_real_connect(handle, host, endpoint.user.c_str(), endpoint.password.c_str(), db,
                          socket ? 0 : endpoint.port, socket, 0)) {
    Error error = client_error(handle, "cannot connect to MariaDB as '" + endpoint.user + "' at " +
                                           (socket ? endpoint.socket
                                                   : endpoint.host + ":" +
                                                         std::to_string(endpoint.port)));
    mysql_close(handle);
    return error;
  }
  return std::unique_ptr<MysqlClient>(new MysqlClient(handle));
}

MysqlClient::~MysqlClient() { mysql_close(handle_); }

Status MysqlClient::execute(std::string_view sql) {
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) {
    return client_error(handle_, "MariaDB statement failed");
  }
  // Drain any result so the connection is ready for the next statement.
  if (MYSQL_RES* res = mysql_store_result(handle_)) mysql_free_result(res);
  return {};
}

Result<std::vector<Row>> MysqlClient::query(const std::string& sql) {
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) {
    return client_error(handle_, "MariaDB query failed");
  }
  std::vector<Row> rows;
  MYSQL_RES* res = mysql_store_result(handle_);
  if (!res) return rows;
  const unsigned columns = mysql_num_fields(res);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* lengths = mysql_fetch_lengths(res);
    Row out;
    out.reserve(columns);
    for (unsigned i = 0; i < columns; ++i) {
      if (row[i]) {
        out.emplace_back(std::string(row[i], lengths[i]));
      } else {
        out.emplace_back(std::nullopt);
      }
    }
    rows.push_back(std::move(out));
  }
  mysql_free_result(res);
  return rows;
}

Status MysqlClient::stream(const std::string& sql,
                           const std::function<Status(const std::vector<ValueKind>&)>& on_columns,
                           const std::function<Status(const RawRow&)>& on_row) {
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) {
    return client_error(handle_, "MariaDB query failed");
  }
  MYSQL_RES* res = mysql_use_result(handle_);
  if (!res) return client_error(handle_, "MariaDB query returned no rows");
  // Every row must be fetched before the connection can be used again, even after an error.
  struct Free {
    MYSQL_RES* res;
    ~Free() {
      while (mysql_fetch_row(res)) {
      }
      mysql_free_result(res);
    }
  } free_result{res};
  const unsigned columns = mysql_num_fields(res);
  std::vector<ValueKind> kinds;
  for (unsigned i = 0; i < columns; ++i) {
    const MYSQL_FIELD* field = mysql_fetch_field_direct(res, i);
    if (field->type == MYSQL_TYPE_BIT || field->type == MYSQL_TYPE_GEOMETRY) {
      kinds.push_back(ValueKind::Bits);
    } else {
      kinds.push_back(IS_NUM(field->type) ? ValueKind::Number : ValueKind::String);
    }
  }
  TRY(on_columns(kinds));
  RawRow out(columns);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    for (unsigned i = 0; i < columns; ++i) {
      out[i] = row[i] ? std::optional<std::string_view>(std::string_view(row[i], lengths[i]))
                      : std::nullopt;
    }
    TRY(on_row(out));
  }
  if (mysql_errno(handle_) != 0) return client_error(handle_, "reading rows from MariaDB failed");
  return {};
}

Status MysqlClient::insert_rows(const std::string& insert, std::size_t rows,
                                const std::vector<std::optional<std::string_view>>& values) {
  if (rows == 0) return {};
  const std::size_t columns = values.size() / rows;
  MYSQL_STMT* stmt = mysql_stmt_init(handle_);
  if (!stmt) return client_error(handle_, "cannot prepare an insert");
  struct Close {
    MYSQL_STMT* stmt;
    ~Close() { mysql_stmt_close(stmt); }
  } close{stmt};
  const auto failed = [&](const std::string& what) {
    return make_error(what + ": " + mysql_stmt_error(stmt) + " (MariaDB error " +
                      std::to_string(mysql_stmt_errno(stmt)) + ")");
  };
  if (mysql_stmt_prepare(stmt, insert.data(), insert.size()) != 0) return failed("MariaDB statement failed");
  if (mysql_stmt_param_count(stmt) != columns) {
    return make_error("an insert of " + std::to_string(columns) + " values per row has " +
                      std::to_string(mysql_stmt_param_count(stmt)) + " placeholders");
  }
  // Column-wise arrays: per column, each row's pointer, length and NULL indicator.
  std::vector<char*> pointers(values.size());
  std::vector<unsigned long> lengths(values.size());
  std::vector<char> indicators(values.size());
  std::vector<MYSQL_BIND> binds(columns);
  static char empty = 0;
  for (std::size_t c = 0; c < columns; ++c) {
    for (std::size_t r = 0; r < rows; ++r) {
      const auto& value = values[r * columns + c];
      const std::size_t at = c * rows + r;
      pointers[at] = value ? const_cast<char*>(value->empty() ? &empty : value->data()) : &empty;
      lengths[at] = value ? value->size() : 0;
      indicators[at] = value ? STMT_INDICATOR_NONE : STMT_INDICATOR_NULL;
    }
    binds[c] = MYSQL_BIND{};
    binds[c].buffer_type = MYSQL_TYPE_STRING;
    binds[c].buffer = &pointers[c * rows];
    binds[c].length = &lengths[c * rows];
    binds[c].u.indicator = &indicators[c * rows];
  }
  unsigned int size = static_cast<unsigned int>(rows);
  if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &size) != 0 ||
      mysql_stmt_bind_param(stmt, binds.data()) != 0) {
    return failed("cannot bind the rows of an insert");
  }
  if (mysql_stmt_execute(stmt) != 0) return failed("MariaDB statement failed");
  return {};
}

std::string MysqlClient::quote(const std::string& value) {
  std::string out(value.size() * 2 + 1, '\0');
  unsigned long n = mysql_real_escape_string(handle_, out.data(), value.data(), value.size());
  out.resize(n);
  return "'" + out + "'";
}

unsigned MysqlClient::last_errno() const { return mysql_errno(handle_); }

std::string quote_identifier(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string quote_grant_database(const std::string& name) {
  std::string escaped;
  for (char c : name) {
    if (c == '_' || c == '%' || c == '\\') escaped += '\\';
    escaped += c;
  }
  return quote_identifier(escaped);
}

}  // namespace wpfleet
