#include "backends/aws/database_sql.h"

#include "util/mysql_client.h"

namespace wpfleet::aws_backend {

std::string sql_string(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
  return out + "'";
}

std::string db_account(const std::string& user) { return sql_string(user) + "@'%'"; }

std::vector<std::string> create_database_sql(const std::string& database, const std::string& user,
                                             const std::string& password_sql) {
  const std::string account = db_account(user);
  return {
      "CREATE DATABASE IF NOT EXISTS " + quote_identifier(database) +
          " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
      "CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY " + password_sql,
      // An adopted user keeps working with the password its secret holds (the site
      // reads that one), whatever the user was made with.
      "ALTER USER " + account + " IDENTIFIED BY " + password_sql,
      "GRANT ALL PRIVILEGES ON " + quote_grant_database(database) + ".* TO " + account,
  };
}

std::vector<std::string> drop_database_sql(const std::string& database, const std::string& user) {
  return {"DROP DATABASE IF EXISTS " + quote_identifier(database),
          "DROP USER IF EXISTS " + db_account(user)};
}

std::string sql_script(const std::vector<std::string>& statements) {
  std::string script;
  for (const auto& statement : statements) script += statement + ";\n";
  return script;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string db_init_shell_script(const std::vector<std::string>& statements,
                                 const std::string& done_message) {
  const std::string sql = sql_script(statements);
  const std::string placeholder = kTaskPasswordPlaceholder;
  // The SQL in single-quoted pieces, the escaped password between them in double quotes.
  std::string sql_words;
  bool needs_password = false;
  std::size_t from = 0;
  for (;;) {
    const std::size_t at = sql.find(placeholder, from);
    sql_words += shell_quote(sql.substr(from, at == std::string::npos ? at : at - from));
    if (at == std::string::npos) break;
    sql_words += "\"$pw\"";
    needs_password = true;
    from = at + placeholder.size();
  }
  std::string script = "set -eu\n";
  if (needs_password) {
    // POSIX sh alone (no sed, whatever the image has): one character at a time, a
    // backslash doubled and a quote doubled, so the value is one SQL string literal.
    script +=
        "rest=$TENANT_DB_PASSWORD\n"
        "pw=\n"
        "while [ -n \"$rest\" ]; do\n"
        "  c=${rest%\"${rest#?}\"}\n"
        "  rest=${rest#?}\n"
        "  case $c in\n"
        "    \\\\) pw=\"$pw\\\\\\\\\" ;;\n"
        "    \\') pw=\"$pw''\" ;;\n"
        "    *) pw=\"$pw$c\" ;;\n"
        "  esac\n"
        "done\n";
  }
  script += "printf '%s' " + sql_words +
            " | mysql -h \"$DB_HOST\" -P \"$DB_PORT\" -u \"$MASTER_USER\"\n";
  script += "echo " + shell_quote(done_message) + "\n";
  return script;
}

}  // namespace wpfleet::aws_backend
