// database on aws: {tenant}_db (utf8mb4) and {tenant}_user@'%' with every privilege on
// that database alone, on the environment's RDS instance, made with the master
// credentials from master_secret and the password from the tenant's secret. The SQL
// (database_sql.h) is the same on both ways to the server:
//  - db_access = "task" (default): a one-off Fargate task of the db-init family runs it
//    inside the VPC, as the user does today (db_init_task.h);
//  - db_access = "direct": wpfleet connects itself (from inside the VPC or through a
//    tunnel to db_host:db_port).
// AWS cannot list an instance's databases, so on "task" the tenant's secret carries
// the mark kDatabaseReadyMark once the database was made; a secret the user made
// (untagged) came with its database in their scripts.
#include <nlohmann/json.hpp>
#include <optional>

#include "backends/aws/aws_provider.h"
#include "backends/aws/database_access.h"
#include "backends/aws/database_sql.h"
#include "backends/aws/db_init_task.h"
#include "backends/aws/lookups.h"
#include "backends/aws/names.h"
#include "backends/aws/tenant_secret.h"
#include "util/mysql_client.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

std::string text_of(const json& value, const char* key) {
  const auto found = value.find(key);
  return found != value.end() && found->is_string() ? found->get<std::string>() : "";
}

bool is_direct(const Environment& env) {
  return env.aws->db_access == AwsSettings::DbAccess::Direct;
}

std::string server_of(const MysqlEndpoint& endpoint) {
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace

MysqlEndpoint direct_endpoint(const Environment& env, const PlatformResources& platform) {
  MysqlEndpoint endpoint;
  endpoint.host = env.aws->db_host.value_or(platform.rds_address);
  endpoint.port = static_cast<unsigned>(env.aws->db_port.value_or(platform.rds_port));
  return endpoint;
}

Result<std::unique_ptr<MysqlClient>> connect_as_master(aws::Client& client,
                                                       const Environment& env,
                                                       const PlatformResources& platform) {
  TRY_ASSIGN(json answer, client.json(aws::kSecretsManager, "GetSecretValue",
                                      {{"SecretId", platform.master_secret_arn}}));
  const json credentials = json::parse(answer.value("SecretString", ""), nullptr, false);
  MysqlEndpoint endpoint = direct_endpoint(env, platform);
  if (credentials.is_object()) {
    endpoint.user = text_of(credentials, "username");
    endpoint.password = text_of(credentials, "password");
  }
  if (endpoint.user.empty() || endpoint.password.empty()) {
    return make_error("secret " + env.aws->master_secret + " in " + where(env) +
                      " does not hold JSON with username and password: correct it to the RDS "
                      "master credentials, or name the right secret with master_secret in "
                      "[environments." + env.name + ".aws]");
  }
  auto connection = MysqlClient::connect(endpoint);
  if (!connection) {
    return make_error("cannot reach the database server " + server_of(endpoint) +
                      " as the RDS master user (" + connection.error().message +
                      "): with db_access = \"direct\" wpfleet connects itself, so run it inside "
                      "the VPC or through a tunnel named by db_host/db_port in [environments." +
                      env.name + ".aws], or use db_access = \"task\"");
  }
  return connection;
}

Result<TenantSecret> tenant_secret(aws::Client& client, const Environment& env,
                                   const TenantNames& names) {
  TRY_ASSIGN(std::optional<TenantSecret> secret, read_tenant_secret(client, names.secret));
  if (!secret || secret->scheduled_for_deletion || text_of(secret->value, "password").empty()) {
    return make_error("secret " + names.secret + " in " + where(env) +
                      (!secret ? " does not exist"
                               : secret->scheduled_for_deletion ? " is scheduled for deletion"
                                                                : " holds no password") +
                      ", and the database user takes its password from it: run `wpfleet apply`, "
                      "which makes the secret before the database");
  }
  // The site connects with the secret's names: a secret naming another database or
  // user than the tenant's would leave it on one wpfleet does not make.
  for (const auto& [key, wanted] : {std::pair{"username", names.db_user},
                                    std::pair{"database", names.database}}) {
    const std::string held = text_of(secret->value, key);
    if (!held.empty() && held != wanted) {
      return make_error("secret " + names.secret + " has " + key + " '" + held +
                        "', but the tenant's is '" + wanted +
                        "': correct the secret in Secrets Manager (its password must be that "
                        "user's), then run `wpfleet apply`");
    }
  }
  return std::move(*secret);
}

namespace {

class DatabaseProvider : public AwsProvider {
 public:
  using AwsProvider::AwsProvider;

  ResourceKind kind() const override { return ResourceKind::Database; }

  // How wpfleet reaches the server (db_access, db_host) is not part of what is built.
  std::string fingerprint(const TenantContext& ctx) const override {
    if (!ctx.env.aws) return "database-v1";
    const AwsSettings& aws = *ctx.env.aws;
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    return fingerprint_of({"database-v1", aws.region, aws.account_id, aws.rds_instance,
                           aws.master_secret, names.database, names.db_user, names.secret});
  }

  // direct: one query of the server's databases. task: one ListSecrets (paginated).
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override {
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    std::set<std::string> found;
    if (is_direct(env)) {
      TRY_ASSIGN(auto master, connect_as_master(cloud.client, env, cloud.platform));
      TRY_ASSIGN(auto rows, master->query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA"));
      std::set<std::string> databases;
      for (const auto& row : rows) {
        if (!row.empty() && row[0]) databases.insert(*row[0]);
      }
      for (const auto& tenant : candidates) {
        if (databases.count(tenant_names(env.name, tenant).database)) found.insert(tenant);
      }
      return found;
    }
    TRY_ASSIGN(auto secrets, list_environment_secrets(cloud.client, env.name));
    for (const auto& tenant : candidates) {
      const auto secret = secrets.find(tenant_names(env.name, tenant).secret);
      if (secret != secrets.end() && is_ready(secret->second)) found.insert(tenant);
    }
    return found;
  }

  Result<std::string> ensure(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY(check_name_limits(names, ctx.tenant.id));
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    TRY_ASSIGN(TenantSecret secret, tenant_secret(cloud.client, ctx.env, names));
    if (is_direct(ctx.env)) {
      TRY_ASSIGN(auto master, connect_as_master(cloud.client, ctx.env, cloud.platform));
      const std::string password = master->quote(text_of(secret.value, "password"));
      for (const auto& statement : create_database_sql(names.database, names.db_user, password)) {
        TRY(master->execute(statement));
      }
    } else {
      DbInitJob job;
      job.tenant = ctx.tenant.id;
      job.statements = create_database_sql(names.database, names.db_user, kTaskPasswordSql);
      job.tenant_secret_arn = secret.arn;
      job.done_message = "wpfleet: database " + names.database + " and user " + names.db_user +
                         " are ready";
      TRY(tasks_.run(cloud.client, ctx.env, cloud.platform, job));
    }
    TRY(set_mark(cloud.client, secret.arn, kDatabaseReadyMark));
    return json{{"database", names.database},
                {"user", names.db_user},
                {"server", ctx.env.aws->rds_instance},
                {"access", is_direct(ctx.env) ? "direct" : "task"}}
        .dump();
  }

  Status remove(const Environment& env, const std::string& tenant_id) override {
    const TenantNames names = tenant_names(env.name, tenant_id);
    TRY_ASSIGN(Connected cloud, platforms_->connect(env));
    const auto statements = drop_database_sql(names.database, names.db_user);
    if (is_direct(env)) {
      TRY_ASSIGN(auto master, connect_as_master(cloud.client, env, cloud.platform));
      for (const auto& statement : statements) TRY(master->execute(statement));
    } else {
      DbInitJob job;
      job.tenant = tenant_id;
      job.statements = statements;
      job.done_message = "wpfleet: database " + names.database + " and user " + names.db_user +
                         " are dropped";
      TRY(tasks_.run(cloud.client, env, cloud.platform, job));
    }
    // The mark would say the database exists should the secret be restored. A secret
    // gone or scheduled for deletion (InvalidRequestException) has nothing to unmark.
    return ok_if_gone(
        cloud.client.json(aws::kSecretsManager, "UntagResource",
                          {{"SecretId", names.secret}, {"TagKeys", {kDatabaseReadyMark}}}),
        {"ResourceNotFoundException", "InvalidRequestException"});
  }

  Status check(const TenantContext& ctx) override {
    const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
    TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
    TRY_ASSIGN(TenantSecret secret, tenant_secret(cloud.client, ctx.env, names));
    if (!is_direct(ctx.env)) {
      // Only a task inside the VPC reaches the server; what can be seen from here is
      // whether the database was made.
      if (is_ready(secret.tags)) return {};
      return make_error("the database " + names.database + " of " + ctx.tenant.id +
                        " was never made (secret " + names.secret + " has no " +
                        kDatabaseReadyMark + " mark): run `wpfleet apply` to make it");
    }
    MysqlEndpoint endpoint = direct_endpoint(ctx.env, cloud.platform);
    endpoint.user = text_of(secret.value, "username");
    if (endpoint.user.empty()) endpoint.user = names.db_user;
    endpoint.password = text_of(secret.value, "password");
    endpoint.database = names.database;
    auto connection = MysqlClient::connect(endpoint);
    if (!connection) {
      return make_error("the tenant's credentials do not reach " + names.database + " on " +
                        server_of(endpoint) + " (" + connection.error().message +
                        "): run `wpfleet apply` to restore its user, password and grant");
    }
    return {};
  }

 private:
  // The user's own secret (no managed-by tag) came with its database; wpfleet's carries
  // the mark once the database is made.
  static bool is_ready(const Tags& tags) {
    return has_tag_key(tags, kDatabaseReadyMark) || !has_tag_key(tags, kManagedByKey);
  }

  DbInitTasks tasks_;
};

}  // namespace

std::unique_ptr<ResourceProvider> make_database_provider(SharedPlatforms platforms) {
  return std::make_unique<DatabaseProvider>(std::move(platforms));
}

}  // namespace wpfleet::aws_backend
