#include "backends/aws/tenant_data.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "backends/aws/aws_backend.h"
#include "backends/aws/database_access.h"
#include "backends/aws/one_off_task.h"
#include "backends/aws/platform.h"
#include "backends/aws/site_install.h"
#include "backends/aws/tenant_secret.h"
#include "backends/aws/waiting.h"
#include "backends/content_summary.h"
#include "backends/directory_swap.h"
#include "backends/mysql_staging.h"
#include "backends/wordpress_install.h"
#include "util/crypto.h"
#include "util/fs.h"

namespace wpfleet::aws_backend {

namespace {

// www-data in the wordpress image: the user the access point gives the tenant's tasks.
constexpr Owner kWwwData{33, 33};

// What the direct paths need of an environment's settings; an error naming the
// setting when one is missing. The task paths are not built: that is said plainly.
Status check_direct(const Environment& env) {
  TRY_ASSIGN(const AwsSettings* aws, aws_settings(env));
  std::string missing;
  if (aws->db_access != AwsSettings::DbAccess::Direct) {
    missing += "db_access = \"direct\" (with db_host/db_port when the RDS endpoint is not "
               "reachable as it is)";
  }
  if (aws->files_access != AwsSettings::FilesAccess::Direct || !aws->efs_mount) {
    missing += std::string(missing.empty() ? "" : " and ") +
               "files_access = \"direct\" with efs_mount (the directory where the "
               "environment's EFS root is mounted on this machine)";
  }
  if (missing.empty()) return {};
  return make_error("moving content (export, import, promote, snapshot, rollback, "
                    "search-replace) on aws environment '" + env.name +
                    "' works only on the direct paths so far: set " + missing + " in [environments." +
                    env.name + ".aws]. Moving it through one-off Fargate tasks and the transfer "
                    "bucket (db_access/files_access = \"task\") is not built yet");
}

// The tenant's content on the direct paths: its databases on the server, its files
// in the mounted EFS, and the client that finds the server and the secrets.
struct Direct {
  Connected cloud;
  TenantNames names;
  MysqlStaging database;
  DirectorySwap files;
};

Result<Direct> direct(AwsPlatforms& platforms, const TenantContext& ctx) {
  TRY(check_direct(ctx.env));
  TRY_ASSIGN(Connected cloud, platforms.connect(ctx.env));
  TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
  MysqlServer server;
  server.location = direct_endpoint(ctx.env, cloud.platform);
  server.account_host = "%";  // RDS sees wpfleet's address, whatever it is
  const Environment& env = ctx.env;
  aws::Client& client = cloud.client;
  const PlatformResources& platform = cloud.platform;
  MysqlStaging database(
      [&client, &env, &platform] { return connect_as_master(client, env, platform); },
      std::move(server),
      StagedDatabases{names.database, names.database + "_staging", names.database + "_previous"});
  // The access point's path is "/{tenant}": the same directory below the EFS root.
  DirectorySwap files(*env.aws->efs_mount, names.access_point_path.substr(1),
                      SwapMethod::TwoRenames);
  return Direct{cloud, std::move(names), std::move(database), std::move(files)};
}

// The tenant's own credentials, from its secret (what its tasks connect with).
MysqlEndpoint tenant_endpoint(const Direct& d, const Environment& env, const TenantSecret& secret) {
  MysqlEndpoint endpoint = direct_endpoint(env, d.cloud.platform);
  endpoint.user = d.names.db_user;
  endpoint.password = secret.value.value("password", "");
  endpoint.database = d.names.database;
  return endpoint;
}

Result<MysqlEndpoint> tenant_endpoint(const Direct& d, const Environment& env) {
  TRY_ASSIGN(const TenantSecret secret, tenant_secret(d.cloud.client, env, d.names));
  return tenant_endpoint(d, env, secret);
}

// A rolling deployment starts the new tasks, waits for the load balancer to find them
// healthy, then drains the old ones (300 s by default): minutes.
constexpr std::chrono::seconds kRolloutPoll{5};
constexpr std::chrono::minutes kRolloutTimeout{20};

// What is left of the deployment `id` of the service: nullopt once it is the service's
// only deployment with tasks and ECS says it is done (its rolloutState, or all its tasks
// running where ECS reports none).
Result<std::optional<std::string>> rollout_pending(aws::Client& client, const std::string& cluster,
                                                   const std::string& service, const std::string& id) {
  TRY_ASSIGN(const nlohmann::json answer,
             client.json(aws::kEcs, "DescribeServices", {{"cluster", cluster}, {"services", {service}}}));
  const auto services = answer.value("services", nlohmann::json::array());
  if (services.empty()) return make_error("the service " + service + " is gone");
  std::optional<nlohmann::json> ours;
  long old_tasks = 0;
  for (const auto& deployment : services[0].value("deployments", nlohmann::json::array())) {
    if (deployment.value("id", "") == id) {
      ours = deployment;
    } else {
      old_tasks += deployment.value("runningCount", 0L);
    }
  }
  // ECS's circuit breaker fails a deployment whose tasks do not start, and rolls back.
  if (!ours || ours->value("rolloutState", "") == "FAILED") {
    const std::string reason = ours ? ours->value("rolloutStateReason", "") : "";
    return make_error("its deployment " + id + " failed" +
                      (reason.empty() ? std::string(" (ECS no longer lists it)") : " (" + reason + ")"));
  }
  const long running = ours->value("runningCount", 0L);
  const long desired = ours->value("desiredCount", 0L);
  const std::string state = ours->value("rolloutState", "");
  const bool done = state.empty() ? running >= desired : state == "COMPLETED";
  if (done && old_tasks == 0) return std::optional<std::string>();
  return std::optional<std::string>(std::to_string(running) + " of " + std::to_string(desired) +
                                    " new tasks running, " + std::to_string(old_tasks) +
                                    " old ones still running");
}

// Makes the tenant's tasks mount the directory that is live now, and waits until only
// such tasks run: until then the old ones serve the directory a swap moved aside, which
// must outlive them (a health check would reach them too).
Status redeploy(const TenantContext& ctx, const Direct& d) {
  const std::string tenant = ctx.env.name + "/" + ctx.tenant.id;
  const std::string& service = d.names.service;
  const std::string& cluster = d.cloud.platform.cluster_arn;
  std::cerr << tenant << ": files swapped; redeploying service " << service
            << " so that its tasks mount them (running tasks keep the files they mounted until "
            << "they are replaced)\n";
  auto updated = d.cloud.client.json(aws::kEcs, "UpdateService",
                                     {{"cluster", cluster}, {"service", service}, {"forceNewDeployment", true}});
  std::string id;
  if (updated) {
    for (const auto& deployment : updated->value("service", nlohmann::json::object())
                                      .value("deployments", nlohmann::json::array())) {
      if (deployment.value("status", "") == "PRIMARY") id = deployment.value("id", "");
    }
  }
  const std::string check = "`aws ecs describe-services --region " + d.cloud.client.config().region +
                            " --cluster " + cluster + " --services " + service +
                            " --query 'services[0].events[:5]'`";
  if (!updated || id.empty()) {
    return make_error("the files of " + tenant + " were swapped, but redeploying its service " +
                      service + " failed (" +
                      (updated ? std::string("ECS named no new deployment") : updated.error().message) +
                      "), so its running tasks still serve the files they mounted: see " + check +
                      ", then run the command again");
  }
  const Wait wait{"ECS to replace the tasks of service " + service, tenant + ": ", kRolloutPoll,
                  kRolloutTimeout, "it usually takes a few minutes"};
  Status rolled = wait_until_done(
      wait, [&] { return rollout_pending(d.cloud.client, cluster, service, id); },
      "its events say why (tasks that cannot start or fail the load balancer's health check): see " +
          check + ", fix that, then run the command again");
  if (!rolled) {
    return make_error("the files of " + tenant + " were swapped, but the new tasks of its service " +
                      service + " did not take over: " + rolled.error().message);
  }
  return {};
}

// phpass's own base-64 alphabet and byte order (WordPress's class-phpass.php).
constexpr std::string_view kItoa64 =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string phpass_encode64(const std::string& input) {
  std::string out;
  const std::size_t count = input.size();
  std::size_t i = 0;
  while (i < count) {
    unsigned value = static_cast<unsigned char>(input[i++]);
    out += kItoa64[value & 0x3f];
    if (i < count) value |= static_cast<unsigned>(static_cast<unsigned char>(input[i])) << 8;
    out += kItoa64[(value >> 6) & 0x3f];
    if (i++ >= count) break;
    if (i < count) value |= static_cast<unsigned>(static_cast<unsigned char>(input[i])) << 16;
    out += kItoa64[(value >> 12) & 0x3f];
    if (i++ >= count) break;
    out += kItoa64[(value >> 18) & 0x3f];
  }
  return out;
}

}  // namespace

Result<std::string> wordpress_password_hash(const std::string& password) {
  TRY_ASSIGN(Bytes salt_bytes, random_bytes(6));
  // "$P$B": 2^13 rounds of MD5, WordPress's own setting (PasswordHash(8, true)).
  const std::string setting =
      "$P$B" + phpass_encode64(std::string(salt_bytes.begin(), salt_bytes.end()));
  std::string hash = md5_bytes(setting.substr(4, 8) + password);
  for (int round = 0; round < (1 << 13); ++round) hash = md5_bytes(hash + password);
  return setting + phpass_encode64(hash);
}

Status AwsTenantData::dump_database(const TenantContext& ctx,
                                    const std::vector<std::string>& tables, const ByteSink& sink) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  return dump_with_mariadb_dump(endpoint, tables, sink);
}

Result<std::map<std::string, std::uint64_t>> AwsTenantData::row_counts(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.database.live_row_counts();
}

Result<std::unique_ptr<SqlLoad>> AwsTenantData::load_staging_database(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.database.load();
}

Result<std::map<std::string, std::uint64_t>> AwsTenantData::staged_row_counts(
    const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.database.staged_row_counts();
}

Result<std::optional<MysqlEndpoint>> AwsTenantData::database_endpoint(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  return std::optional<MysqlEndpoint>(std::move(endpoint));
}

Result<std::unique_ptr<StagingDatabase>> AwsTenantData::open_staging_database(
    const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.database.open();
}

Result<UniqueFd> AwsTenantData::staging_files(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.files.fresh_staging();
}

Status AwsTenantData::read_files(const TenantContext& ctx, const TreeVisitor& visit) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.files.read_live(visit);
}

Status AwsTenantData::adopt_staged_files(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  return d.files.adopt_staging(kWwwData);
}

Status AwsTenantData::swap_in_staging(const TenantContext& ctx, const SwapScope& scope) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  if (scope.database) TRY(d.database.swap_in(scope.replace_all_tables));
  if (!scope.files) return {};
  TRY(d.files.swap_in());
  return redeploy(ctx, d);
}

Status AwsTenantData::restore_previous(const TenantContext& ctx, const SwapScope& scope) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  if (scope.database) TRY(d.database.restore_previous(scope.replace_all_tables));
  if (!scope.files) return {};
  // Written before the files move back and removed once the tasks are replaced: a
  // put-back killed in between leaves it, and the next one, which finds no files to
  // move, redeploys all the same.
  const std::filesystem::path note =
      std::filesystem::path(*ctx.env.aws->efs_mount) / (d.names.access_point_path.substr(1) + ".redeploying");
  std::error_code absent;
  const bool noted = std::filesystem::exists(note, absent);
  if (!noted) TRY(write_file_atomic(note, "", 0600));
  TRY_ASSIGN(const bool moved, d.files.restore_previous());
  if (moved || noted) TRY(redeploy(ctx, d));
  std::filesystem::remove(note, absent);
  return {};
}

Status AwsTenantData::discard_previous(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY(d.database.discard_previous());
  return d.files.discard_previous();
}

Status AwsTenantData::discard_staging(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY(d.database.discard_staging());
  return d.files.discard_staging();
}

Result<std::string> AwsTenantData::content_fingerprint(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  ContentSummary summary;
  TRY(d.database.summarize(summary));
  TRY(d.files.summarize(summary.files));
  return format_content_summary(summary);
}

// By SQL, with a hash WordPress checks (wordpress_password_hash): the password stays
// in Secrets Manager and this process, where a one-off task would need it in its
// task definition's secrets and a minute to start.
Status AwsTenantData::reset_admin_password(const TenantContext& ctx) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY_ASSIGN(TenantSecret secret, tenant_secret(d.cloud.client, ctx.env, d.names));
  const auto held = secret.value.find(kAdminPasswordKey);
  const std::string password =
      held != secret.value.end() && held->is_string() ? held->get<std::string>() : "";
  if (password.empty()) {
    return make_error("secret " + d.names.secret + " holds no " + kAdminPasswordKey +
                      ", which the admin user's password comes from: run `wpfleet apply`, which "
                      "fills it in");
  }
  TRY_ASSIGN(std::string hash, wordpress_password_hash(password));
  TRY_ASSIGN(auto client, MysqlClient::connect(tenant_endpoint(d, ctx.env, secret)));
  // Content from elsewhere brings its own users; the admin's sessions go with its
  // password, as wp_set_password does.
  const std::string admin = client->quote(kAdminUser);
  TRY(client->execute("UPDATE wp_users SET user_pass = " + client->quote(hash) +
                      ", user_activation_key = '' WHERE user_login = " + admin));
  return client->execute(
      "DELETE m FROM wp_usermeta m JOIN wp_users u ON u.ID = m.user_id "
      "WHERE u.user_login = " + admin + " AND m.meta_key = 'session_tokens'");
}

// A one-off task of the tenant's own task definition (its image, its database
// credentials), as the installer runs: hooks need WordPress loaded where the site is.
Status AwsTenantData::run_php(const TenantContext& ctx, const std::string& php,
                              const std::string& input) {
  if (!input.empty()) {
    return make_error("PHP with input on its stdin cannot run in a one-off task of " +
                      ctx.env.name + "/" + ctx.tenant.id + " (a task has no stdin)");
  }
  TRY(check_direct(ctx.env));
  TRY_ASSIGN(Connected cloud, platforms_->connect(ctx.env));
  const TenantNames names = tenant_names(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(auto command,
             wordpress_php_command("require '/var/www/html/wp-load.php';\n" + php, "the hook's PHP"));
  OneOffTask task;
  task.task_definition = names.family;  // its latest revision, the runtime's
  task.container = names.container;
  task.command = std::move(command);
  task.log_group = ctx.env.aws->log_group;
  task.log_stream_prefix = names.log_prefix;
  task.started_by = "wpfleet-php";
  std::cerr << ctx.env.name << "/" << ctx.tenant.id << ": running PHP in a one-off task of "
            << names.family << "\n";
  return run_one_off_task(cloud.client, ctx.env, cloud.platform, task);
}

Status AwsTenantData::run_sql(const TenantContext& ctx, const std::string& sql) {
  TRY_ASSIGN(Direct d, direct(*platforms_, ctx));
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  TRY_ASSIGN(auto client, MysqlClient::connect(endpoint));
  return client->execute(sql);
}

}  // namespace wpfleet::aws_backend
