#include "backends/aws/tenant_data.h"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "backends/aws/aws_backend.h"
#include "backends/aws/database_access.h"
#include "backends/aws/one_off_task.h"
#include "backends/aws/platform.h"
#include "backends/aws/site_install.h"
#include "backends/aws/database_sql.h"
#include "backends/aws/task_files.h"
#include "backends/aws/transfer_bucket.h"
#include "backends/aws/transfer_tasks.h"
#include "backends/aws/tenant_secret.h"
#include "backends/aws/waiting.h"
#include "backends/content_summary.h"
#include "backends/directory_swap.h"
#include "backends/mysql_staging.h"
#include "backends/wordpress_install.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/safe_tree.h"

namespace wpfleet::aws_backend {

namespace {

// www-data in the wordpress image: the user the access point gives the tenant's tasks.
constexpr Owner kWwwData{33, 33};

// How the tenant's content is reached: each half directly (`database`, `files` set) or
// through transfer tasks (unset).
struct Reach {
  Connected cloud;
  TenantNames names;
  std::optional<MysqlStaging> database;
  std::optional<DirectorySwap> files;
  // The tenant's directory below the EFS root: its access point's path.
  std::string files_dir() const { return names.access_point_path.substr(1); }
};

Result<Reach> reach(AwsPlatforms& platforms, const TenantContext& ctx) {
  TRY_ASSIGN(const AwsSettings* aws, aws_settings(ctx.env));
  TRY_ASSIGN(Connected cloud, platforms.connect(ctx.env));
  Reach r{cloud, tenant_names(ctx.env.name, ctx.tenant.id), std::nullopt, std::nullopt};
  if (aws->db_access == AwsSettings::DbAccess::Direct) {
    MysqlServer server;
    server.location = direct_endpoint(ctx.env, cloud.platform);
    server.account_host = "%";  // RDS sees wpfleet's address, whatever it is
    const Environment& env = ctx.env;
    aws::Client& client = cloud.client;
    const PlatformResources& platform = cloud.platform;
    r.database.emplace(
        [&client, &env, &platform] { return connect_as_master(client, env, platform); },
        std::move(server),
        StagedDatabases{r.names.database, r.names.database + "_staging",
                        r.names.database + "_previous"});
  }
  if (aws->files_access == AwsSettings::FilesAccess::Direct) {
    // The access point's path is "/{tenant}": the same directory below the EFS root.
    r.files.emplace(*aws->efs_mount, r.files_dir(), SwapMethod::TwoRenames);
  }
  return r;
}

// The tenant's own credentials, from its secret (what its tasks connect with).
MysqlEndpoint tenant_endpoint(const Reach& d, const Environment& env, const TenantSecret& secret) {
  MysqlEndpoint endpoint = direct_endpoint(env, d.cloud.platform);
  endpoint.user = d.names.db_user;
  endpoint.password = secret.value.value("password", "");
  endpoint.database = d.names.database;
  return endpoint;
}

Result<MysqlEndpoint> tenant_endpoint(const Reach& d, const Environment& env) {
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
Status redeploy(const TenantContext& ctx, const Reach& d) {
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

std::unique_ptr<TransferTask> new_task(const TenantContext& ctx, const Reach& d, TransferKind kind,
                                       TransferTasks& tasks) {
  return std::make_unique<TransferTask>(d.cloud, ctx.env, d.names, kind, tasks);
}

// As the tenant's own database user, on its database.
Status run_tenant_sql(const TenantContext& ctx, const Reach& d, TransferTasks& transfers_,
                      const std::vector<std::string>& statements) {
  if (!d.database) {
    auto task = new_task(ctx, d, TransferKind::Database, transfers_);
    TRY_ASSIGN(aws::S3Upload * upload, task->input());
    TRY(upload->write(sql_script(statements)));
    return task->run({"sql", d.names.database});
  }
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  TRY_ASSIGN(auto client, MysqlClient::connect(endpoint));
  for (const auto& statement : statements) TRY(client->execute(statement));
  return {};
}

// A mark that outlives the process: a file beside the tenant's on the direct path, an
// object in the transfer bucket on the task path.
struct Note {
  std::function<Result<bool>()> exists;
  std::function<Status()> write;
  std::function<Status()> remove;
};

Note bucket_note(aws::Client& client, const Environment& env, const std::string& key,
                 const std::string& text) {
  const std::string bucket = transfer_bucket_name(env);
  aws::Client* c = &client;
  return {[c, bucket, key]() -> Result<bool> {
            TRY_ASSIGN(auto objects, aws::S3(*c).list(bucket, key));
            for (const auto& object : objects) {
              if (object.key == key) return true;
            }
            return false;
          },
          [c, bucket, key, text]() -> Status {
            auto upload = aws::S3(*c).upload(bucket, key);
            TRY(upload->write(text));
            return upload->finish();
          },
          [c, bucket, key] { return aws::S3(*c).remove(bucket, key); }};
}

// Says that a put-back of the files moved them and the tenant's tasks are yet to be
// replaced.
Note redeploy_note(const TenantContext& ctx, const Reach& d) {
  if (d.files) {
    const std::filesystem::path note =
        std::filesystem::path(*ctx.env.aws->efs_mount) / (d.files_dir() + ".redeploying");
    return {[note]() -> Result<bool> {
              std::error_code absent;
              return std::filesystem::exists(note, absent);
            },
            [note] { return write_file_atomic(note, "", 0600); },
            [note]() -> Status {
              std::error_code absent;
              std::filesystem::remove(note, absent);
              return {};
            }};
  }
  return bucket_note(d.cloud.client, ctx.env, redeploy_note_key(d.names.log_prefix),
                     "the files were put back; the service is being redeployed\n");
}

// On the task paths: that a swap may have left a previous database or directory. Written
// before the swap and removed once the previous is discarded, so that discarding one that
// cannot exist (the usual case, before every swap) costs a read, not two tasks.
Note previous_note(const TenantContext& ctx, const Reach& d) {
  return bucket_note(d.cloud.client, ctx.env, previous_note_key(d.names.log_prefix),
                     "a swap may have left previous content\n");
}

bool any_task_half(const Reach& d) { return !d.database || !d.files; }

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
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (!d.database) {
    std::vector<std::string> op = {"dump", d.names.database};
    op.insert(op.end(), tables.begin(), tables.end());
    return new_task(ctx, d, TransferKind::Database, transfers_)->run(op, sink);
  }
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  return dump_with_mariadb_dump(endpoint, tables, sink);
}

Result<std::map<std::string, std::uint64_t>> AwsTenantData::row_counts(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.database) return d.database->live_row_counts();
  TRY_ASSIGN(std::string counts, new_task(ctx, d, TransferKind::Database, transfers_)->run_for_text({"counts", d.names.database}));
  return parse_transfer_counts(counts);
}

namespace {

// The dump goes to the transfer bucket as it comes; the task loads it at the end.
class TaskLoad final : public SqlLoad {
 public:
  TaskLoad(std::unique_ptr<TransferTask> task, aws::S3Upload& upload, std::string database)
      : task_(std::move(task)), upload_(upload), database_(std::move(database)) {}
  Status write(std::string_view sql) override { return upload_.write(sql); }
  Status finish() override { return task_->run({"load", database_}); }

 private:
  std::unique_ptr<TransferTask> task_;
  aws::S3Upload& upload_;
  std::string database_;
};

}  // namespace

Result<std::unique_ptr<SqlLoad>> AwsTenantData::load_staging_database(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.database) return d.database->load();
  auto task = new_task(ctx, d, TransferKind::Database, transfers_);
  TRY_ASSIGN(aws::S3Upload * upload, task->input());
  return std::unique_ptr<SqlLoad>(new TaskLoad(std::move(task), *upload, d.names.database + "_staging"));
}

Result<std::map<std::string, std::uint64_t>> AwsTenantData::staged_row_counts(
    const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.database) return d.database->staged_row_counts();
  TRY_ASSIGN(std::string counts,
             new_task(ctx, d, TransferKind::Database, transfers_)->run_for_text({"counts", d.names.database + "_staging"}));
  return parse_transfer_counts(counts);
}

// On the task path there is no connection of wpfleet's: one stream, through the bucket.
Result<std::optional<MysqlEndpoint>> AwsTenantData::database_endpoint(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (!d.database) return std::optional<MysqlEndpoint>();
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(d, ctx.env));
  return std::optional<MysqlEndpoint>(std::move(endpoint));
}

Result<std::unique_ptr<StagingDatabase>> AwsTenantData::open_staging_database(
    const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (!d.database) return std::unique_ptr<StagingDatabase>();
  return d.database->open();
}

Result<UniqueFd> AwsTenantData::staging_files(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.files) return d.files->fresh_staging();
  return local_staging_.fresh(ctx.env.name + "/" + ctx.tenant.id);
}

Status AwsTenantData::read_files(const TenantContext& ctx, const TreeVisitor& visit) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.files) return d.files->read_live(visit);
  // The archive and the tree unpacked from it, both of root's alone.
  TRY_ASSIGN(PrivateDir work, PrivateDir::create("files"));
  TRY_ASSIGN(UniqueFd root, open_dir(work.path()));
  const std::filesystem::path archive = work.path() / "files.tar";
  {
    TRY_ASSIGN(UniqueFd out, create_file_beneath(root.get(), "files.tar", 0600));
    TRY(new_task(ctx, d, TransferKind::Files, transfers_)->run({"pack", d.files_dir()}, [&](std::string_view piece) -> Status {
      Status written = write_all(out.get(), piece);
      if (!written) return make_error("cannot write " + archive.string() + ": " + written.error().message);
      return {};
    }));
  }
  TRY_ASSIGN(UniqueFd tree, make_dirs_beneath(root.get(), "files", 0700));
  TRY(unpack_tar_beneath(archive, tree.get()));
  return walk_tree(tree.get(), visit);
}

Status AwsTenantData::adopt_staged_files(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.files) return d.files->adopt_staging(kWwwData);
  // The staged tree goes to the EFS as an archive, unpacked there into the staging
  // directory, which the task gives to www-data.
  const std::string key = ctx.env.name + "/" + ctx.tenant.id;
  TRY_ASSIGN(UniqueFd staged, local_staging_.open(key));
  auto task = new_task(ctx, d, TransferKind::Files, transfers_);
  TRY_ASSIGN(aws::S3Upload * upload, task->input());
  TRY(upload_tree_as_tar(staged.get(), *upload));
  TRY(task->run({"unpack", d.files_dir()}));
  // Staged on the EFS now: the copy here (the tenant's content) goes at once.
  local_staging_.remove(key);
  return {};
}

Status AwsTenantData::swap_in_staging(const TenantContext& ctx, const SwapScope& scope) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (any_task_half(d)) TRY(previous_note(ctx, d).write());
  const std::string mode = scope.replace_all_tables ? "all" : "staged";
  if (scope.database) {
    if (d.database) {
      TRY(d.database->swap_in(scope.replace_all_tables));
    } else {
      const std::string& live = d.names.database;
      TRY(new_task(ctx, d, TransferKind::Database, transfers_)->run({"move", live + "_staging", live, live + "_previous", mode}));
    }
  }
  if (!scope.files) return {};
  if (d.files) {
    TRY(d.files->swap_in());
  } else {
    TRY(new_task(ctx, d, TransferKind::Files, transfers_)->run({"swap", d.files_dir()}));
  }
  return redeploy(ctx, d);
}

Status AwsTenantData::restore_previous(const TenantContext& ctx, const SwapScope& scope) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (scope.database) {
    if (d.database) {
      TRY(d.database->restore_previous(scope.replace_all_tables));
    } else {
      const std::string& live = d.names.database;
      auto task = new_task(ctx, d, TransferKind::Database, transfers_);
      TRY(task->run({"move", live + "_previous", live, live + "_staging",
                     scope.replace_all_tables ? "all" : "staged"}));
      TRY(new_task(ctx, d, TransferKind::Database, transfers_)->run({"drop", live + "_staging"}));
    }
  }
  if (!scope.files) return {};
  // Noted before the files move back and removed once the tasks are replaced: a
  // put-back killed in between leaves it, and the next one, which finds no files to
  // move, redeploys all the same.
  const Note note = redeploy_note(ctx, d);
  TRY_ASSIGN(const bool noted, note.exists());
  if (!noted) TRY(note.write());
  bool moved = false;
  if (d.files) {
    TRY_ASSIGN(moved, d.files->restore_previous());
  } else {
    TRY_ASSIGN(std::string outcome, new_task(ctx, d, TransferKind::Files, transfers_)->run_for_text({"restore", d.files_dir()}));
    moved = outcome.starts_with("moved");
  }
  if (moved || noted) TRY(redeploy(ctx, d));
  return note.remove();
}

Status AwsTenantData::discard_previous(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  const Note note = previous_note(ctx, d);
  bool noted = false;
  if (any_task_half(d)) {
    TRY_ASSIGN(noted, note.exists());
  }
  if (d.database) {
    TRY(d.database->discard_previous());
  } else if (noted) {
    TRY(new_task(ctx, d, TransferKind::Database, transfers_)->run({"drop", d.names.database + "_previous"}));
  }
  if (d.files) {
    TRY(d.files->discard_previous());
  } else if (noted) {
    TRY(new_task(ctx, d, TransferKind::Files, transfers_)->run({"discard", d.files_dir(), "previous"}));
  }
  return noted ? note.remove() : Status{};
}

Status AwsTenantData::discard_staging(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  if (d.database) {
    TRY(d.database->discard_staging());
  } else {
    TRY(new_task(ctx, d, TransferKind::Database, transfers_)->run({"drop", d.names.database + "_staging"}));
  }
  if (d.files) return d.files->discard_staging();
  local_staging_.remove(ctx.env.name + "/" + ctx.tenant.id);
  return new_task(ctx, d, TransferKind::Files, transfers_)->run({"discard", d.files_dir(), "staging"});
}

Result<std::string> AwsTenantData::content_fingerprint(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  ContentSummary summary;
  if (d.database) {
    TRY(d.database->summarize(summary));
  } else {
    TRY_ASSIGN(std::string tables,
               new_task(ctx, d, TransferKind::Database, transfers_)->run_for_text({"summarize", d.names.database}));
    TRY_ASSIGN(summary.tables, parse_table_summaries(tables));
  }
  if (d.files) {
    TRY(d.files->summarize(summary.files));
  } else {
    TRY_ASSIGN(std::string files, new_task(ctx, d, TransferKind::Files, transfers_)->run_for_text({"summarize", d.files_dir()}));
    TRY_ASSIGN(summary.files, parse_files_summary(files));
  }
  return format_content_summary(summary);
}

namespace {

// By SQL, with a hash WordPress checks (wordpress_password_hash): the password stays
// in Secrets Manager and this process; on the task path the statements (the hash in
// them) reach the task as its input object, never in its command.
Status set_admin_password(const TenantContext& ctx, const Reach& d, TransferTasks& transfers,
                          const std::string& password) {
  TRY_ASSIGN(std::string hash, wordpress_password_hash(password));
  // Content from elsewhere brings its own users; the admin's sessions go with its
  // password, as wp_set_password does.
  const std::string admin = sql_string(kAdminUser);
  return run_tenant_sql(
      ctx, d, transfers,
      {"UPDATE wp_users SET user_pass = " + sql_string(hash) +
           ", user_activation_key = '' WHERE user_login = " + admin,
       "DELETE m FROM wp_usermeta m JOIN wp_users u ON u.ID = m.user_id "
       "WHERE u.user_login = " + admin + " AND m.meta_key = 'session_tokens'"});
}

Status put_secret_json(aws::Client& client, const std::string& arn, const nlohmann::json& value) {
  TRY_ASSIGN(std::string token, random_request_token());
  TRY(client.json(aws::kSecretsManager, "PutSecretValue",
                  {{"SecretId", arn}, {"SecretString", value.dump()}, {"ClientRequestToken", token}}));
  return {};
}

}  // namespace

Status AwsTenantData::reset_admin_password(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  TRY_ASSIGN(TenantSecret secret, tenant_secret(d.cloud.client, ctx.env, d.names));
  const auto held = secret.value.find(kAdminPasswordKey);
  const std::string password =
      held != secret.value.end() && held->is_string() ? held->get<std::string>() : "";
  if (password.empty()) {
    return make_error("secret " + d.names.secret + " holds no " + kAdminPasswordKey +
                      ", which the admin user's password comes from: run `wpfleet apply`, which "
                      "fills it in");
  }
  return set_admin_password(ctx, d, transfers_, password);
}

Status AwsTenantData::rotate_admin_password(const TenantContext& ctx) {
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  TRY_ASSIGN(TenantSecret secret, tenant_secret(d.cloud.client, ctx.env, d.names));
  nlohmann::json value = secret.value;
  std::string password = value.value(kPendingAdminPasswordKey, "");
  if (password.empty()) {
    TRY_ASSIGN(password, random_password(kGeneratedPasswordLength));
    value[kPendingAdminPasswordKey] = password;
    TRY(put_secret_json(d.cloud.client, secret.arn, value));
  }
  TRY(set_admin_password(ctx, d, transfers_, password));
  value[kAdminPasswordKey] = password;
  value.erase(kPendingAdminPasswordKey);
  return put_secret_json(d.cloud.client, secret.arn, value);
}

// A one-off task of the tenant's own task definition (its image, its database
// credentials), as the installer runs: hooks need WordPress loaded where the site is.
Status AwsTenantData::run_php(const TenantContext& ctx, const std::string& php,
                              const std::string& input) {
  if (!input.empty()) {
    return make_error("PHP with input on its stdin cannot run in a one-off task of " +
                      ctx.env.name + "/" + ctx.tenant.id + " (a task has no stdin)");
  }
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
  TRY_ASSIGN(Reach d, reach(*platforms_, ctx));
  return run_tenant_sql(ctx, d, transfers_, {sql});
}

}  // namespace wpfleet::aws_backend
