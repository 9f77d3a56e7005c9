#include "backends/local/database.h"

#include "backends/local/names.h"
#include "backends/local/secrets.h"
#include "platform/platform.h"

namespace wpfleet::local {

namespace {
std::string account(MysqlClient& client, const std::string& user) {
  return client.quote(user) + "@'localhost'";
}

// How mysql.db stores a grant made with quote_grant_database(db).
std::string grant_pattern(const std::string& db) {
  const std::string quoted = quote_grant_database(db);
  return quoted.substr(1, quoted.size() - 2);
}

Result<std::set<std::string>> column_set(MysqlClient& client, const std::string& sql) {
  TRY_ASSIGN(auto rows, client.query(sql));
  std::set<std::string> values;
  for (const auto& row : rows) {
    if (!row.empty() && row[0]) values.insert(*row[0]);
  }
  return values;
}

// A grant's database pattern with an unescaped `_` or `%` reaches other databases too.
bool has_wildcard(const std::string& pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') ++i;
    else if (pattern[i] == '_' || pattern[i] == '%') return true;
  }
  return false;
}
}  // namespace

Result<std::unique_ptr<MysqlClient>> connect_as_root(const BackendContext& ctx) {
  TRY_ASSIGN(MysqlEndpoint endpoint, mariadb_root_endpoint(ctx.layout, ctx.secrets));
  auto client = MysqlClient::connect(endpoint);
  if (!client) {
    return make_error(client.error().message + "; is the platform running? (`wpfleet up`)");
  }
  return client;
}

Result<MysqlEndpoint> tenant_endpoint(const BackendContext& ctx, const std::string& env,
                                      const std::string& tenant) {
  MysqlEndpoint endpoint;
  endpoint.socket = ctx.layout.mariadb_socket().string();
  endpoint.user = database_user(env, tenant);
  endpoint.database = database_name(env, tenant);
  TRY_ASSIGN(endpoint.password, ctx.secrets.get(tenant_secret_scope(env, tenant), kDbPassword));
  return endpoint;
}

Result<std::vector<std::string>> grant_problems(MysqlClient& root, const std::string& env,
                                                const std::string& tenant) {
  const std::string user = root.quote(database_user(env, tenant));
  const std::string own = grant_pattern(database_name(env, tenant));
  std::vector<std::string> problems;
  TRY_ASSIGN(auto global, column_set(root, "SELECT JSON_VALUE(Priv, '$.access') FROM "
                                           "mysql.global_priv WHERE Host = 'localhost' AND "
                                           "User = " + user + " AND JSON_VALUE(Priv, '$.access') <> 0"));
  if (!global.empty()) problems.push_back("has global privileges (on *.*)");
  TRY_ASSIGN(auto patterns, column_set(root, "SELECT Db FROM mysql.db WHERE User = " + user));
  for (const auto& pattern : patterns) {
    if (pattern == own) continue;
    problems.push_back("has a grant on `" + pattern + "`" +
                       (has_wildcard(pattern) ? ", a wildcard pattern" : ""));
  }
  TRY_ASSIGN(auto tables, column_set(root, "SELECT CONCAT(Db, '.', Table_name) FROM "
                                           "mysql.tables_priv WHERE User = " + user +
                                           " AND Db <> " + root.quote(database_name(env, tenant))));
  for (const auto& table : tables) problems.push_back("has a grant on table " + table);
  return problems;
}

std::string DatabaseProvider::fingerprint(const TenantContext&) const { return "database-v1"; }

Result<std::set<std::string>> DatabaseProvider::existing(const Environment& env,
                                                         const std::set<std::string>& candidates) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY_ASSIGN(auto databases, column_set(*client, "SHOW DATABASES"));
  // A user without its exact grant (a database name with `_` unescaped is a wildcard
  // pattern) counts as missing too, so that plan shows it and apply grants again.
  TRY_ASSIGN(auto grants, column_set(*client, "SELECT CONCAT(User, ' ', Db) FROM mysql.db "
                                              "WHERE Host = 'localhost' AND Select_priv = 'Y'"));
  std::set<std::string> wildcard_grants;
  for (const auto& grant : grants) {
    const auto space = grant.find(' ');
    if (has_wildcard(grant.substr(space + 1))) wildcard_grants.insert(grant.substr(0, space));
  }
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    const std::string db = database_name(env.name, tenant);
    const std::string user = database_user(env.name, tenant);
    if (databases.count(db) && grants.count(user + " " + grant_pattern(db)) &&
        !wildcard_grants.count(user)) {
      found.insert(tenant);
    }
  }
  return found;
}

Result<std::string> DatabaseProvider::ensure(const TenantContext& ctx) {
  const std::string db = database_name(ctx.env.name, ctx.tenant.id);
  const std::string user = database_user(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(std::string password,
             ctx_.secrets.get(tenant_secret_scope(ctx.env.name, ctx.tenant.id), kDbPassword));
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  const std::string who = account(*client, user);
  // CREATE ... IF NOT EXISTS adopts what exists; ALTER USER converges the password to
  // the stored secret, so an adopted user ends up with credentials wpfleet knows.
  TRY(client->execute("CREATE DATABASE IF NOT EXISTS " + quote_identifier(db) +
                      " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
  TRY(client->execute("CREATE USER IF NOT EXISTS " + who + " IDENTIFIED BY " +
                      client->quote(password)));
  TRY(client->execute("ALTER USER " + who + " IDENTIFIED BY " + client->quote(password)));
  TRY(client->execute("GRANT ALL PRIVILEGES ON " + quote_grant_database(db) + ".* TO " + who));
  // Grants made before names were escaped reach look-alike databases: take them back.
  TRY_ASSIGN(auto old, column_set(*client, "SELECT Db FROM mysql.db WHERE Host = 'localhost' "
                                           "AND User = " + client->quote(user) + " AND Db <> " +
                                           client->quote(grant_pattern(db))));
  for (const auto& pattern : old) {
    TRY(client->execute("REVOKE ALL PRIVILEGES ON " + quote_identifier(pattern) + ".* FROM " + who));
  }
  return std::string(R"({"database":")" + db + R"(","user":")" + user + "\"}");
}

Status DatabaseProvider::remove(const Environment& env, const std::string& tenant_id) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY(client->execute("DROP USER IF EXISTS " +
                      account(*client, database_user(env.name, tenant_id))));
  return client->execute("DROP DATABASE IF EXISTS " +
                         quote_identifier(database_name(env.name, tenant_id)));
}

Status DatabaseProvider::check(const TenantContext& ctx) {
  TRY_ASSIGN(auto endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  auto client = MysqlClient::connect(endpoint);
  if (!client) {
    return make_error("the tenant's own database login fails (" + client.error().message +
                      "): run `wpfleet apply` to restore its user and grants");
  }
  return {};
}

}  // namespace wpfleet::local
