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

Status MysqlClient::execute(const std::string& sql) {
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
