// The SQL that makes a tenant's database and user on the RDS instance, and removes them:
// one text for both ways wpfleet reaches the server (db_access = "direct": wpfleet runs
// each statement itself; "task": a one-off task pipes them to the mysql client), so the
// two paths cannot drift apart. Pure text, no connection.
#pragma once

#include <string>
#include <vector>

namespace wpfleet::aws_backend {

// `value` as an SQL string literal: in quotes, with backslash, quote and NUL escaped
// (for names, which have no character set to care about; a password on the direct path
// is quoted by the connection, MysqlClient::quote).
std::string sql_string(const std::string& value);

// The account 'user'@'%': the tenant's tasks connect from any address of the VPC.
std::string db_account(const std::string& user);

// The database (utf8mb4), the user with the password `password_sql` (an SQL expression,
// e.g. a quoted literal), the password converged when the user existed with another
// one, and every privilege on that database alone: the grant names the database with
// `_` and `%` escaped, since they are wildcards in grants (a grant on `a_db` reaches
// `aXdb` too). Idempotent: every statement may run again.
std::vector<std::string> create_database_sql(const std::string& database, const std::string& user,
                                             const std::string& password_sql);

// Drops the database and the user; nothing missing is an error.
std::vector<std::string> drop_database_sql(const std::string& database, const std::string& user);

// The statements as one script for the mysql client, each ended by ";\n".
std::string sql_script(const std::vector<std::string>& statements);

// On the task path the tenant's password is a shell variable of the task (from its task
// definition's `secrets`), never text of the command: statements made with
// kTaskPasswordSql as `password_sql` get it from there.
inline constexpr const char* kTaskPasswordPlaceholder = "@@WPFLEET_TENANT_DB_PASSWORD@@";
inline constexpr const char* kTaskPasswordSql = "'@@WPFLEET_TENANT_DB_PASSWORD@@'";

// The `sh -c` script of the db-init task: it escapes $TENANT_DB_PASSWORD for an SQL
// string literal (backslash and quote) when the statements need it, pipes the script to
// `mysql -h "$DB_HOST" -P "$DB_PORT" -u "$MASTER_USER"` (which reads MYSQL_PWD from its
// environment), and prints `done_message` once the client succeeded. The SQL is passed
// in single quotes, so nothing in it is expanded by the shell.
std::string db_init_shell_script(const std::vector<std::string>& statements,
                                 const std::string& done_message);

// `text` as one shell word that the shell takes literally.
std::string shell_quote(const std::string& text);

}  // namespace wpfleet::aws_backend
