#include "backends/aws/db_init_task.h"

#include <algorithm>
#include <optional>

#include "backends/aws/database_sql.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

// The image the user runs their db-init tasks with: their mysql-client container's.
std::string image_of(const json& definition) {
  const json containers = definition.value("containerDefinitions", json::array());
  for (const auto& container : containers) {
    if (container.value("name", "") == kDbInitContainer) return container.value("image", "");
  }
  return containers.empty() ? "" : containers[0].value("image", "");
}

Tags db_init_tags(const std::string& env) {
  return {{"wpfleet:env", env}, {kManagedByKey, kManagedByValue}};
}

}  // namespace

json db_init_task_definition(const DbInitDefinition& d) {
  json secrets = json::array({secret_entry("MYSQL_PWD", d.master_secret_arn, "password"),
                              secret_entry("MASTER_USER", d.master_secret_arn, "username")});
  if (!d.tenant_secret_arn.empty()) {
    secrets.push_back(secret_entry("TENANT_DB_PASSWORD", d.tenant_secret_arn, "password"));
  }
  json environment = json::array({environment_entry("DB_HOST", d.db_host),
                                  environment_entry("DB_PORT", std::to_string(d.db_port)),
                                  environment_entry("WPFLEET_TENANT", d.tenant)});
  if (!d.transfer_secret_arn.empty()) {
    secrets.push_back(secret_entry("IN_URL", d.transfer_secret_arn, "in_url"));
    secrets.push_back(secret_entry("OUT_URL", d.transfer_secret_arn, "out_url"));
    environment.push_back(environment_entry("TENANT_DB_USER", d.tenant_db_user));
  }
  json container = {
      {"name", kDbInitContainer},
      {"image", d.image},
      {"essential", true},
      // The container may use the task's whole memory (Fargate needs no container limit,
      // but a limit equal to the task's is valid and some tools add them up).
      {"memory", 512},
      {"environment", environment},
      {"secrets", secrets},
      {"logConfiguration", awslogs_configuration(d.log_group, d.region, kDbInitStreamPrefix)}};
  json input = {{"family", d.family},
                {"networkMode", "awsvpc"},
                {"requiresCompatibilities", {"FARGATE"}},
                {"cpu", "256"},
                {"memory", "512"},
                {"executionRoleArn", d.execution_role_arn},
                {"containerDefinitions", {container}}};
  if (!d.tags.empty()) input["tags"] = tags_json(d.tags, kEcsTagMembers);
  return input;
}

std::string db_init_policy_name(const std::string& env) {
  return env + "-ecs-secrets-access-wpfleet-db-init";
}

Status DbInitTasks::ensure_master_policy(aws::Client& client, const Environment& env,
                                         const PlatformResources& platform) {
  std::lock_guard lock(mutex_);
  if (policy_ready_.count(env.name)) return {};
  TRY(ensure_role_reads_secret(client, env.aws->execution_role, db_init_policy_name(env.name),
                               platform.master_secret_arn));
  policy_ready_.insert(env.name);
  return {};
}

Status DbInitTasks::run(aws::Client& client, const Environment& env,
                        const PlatformResources& platform, const DbInitJob& job) {
  const AwsSettings& aws = *env.aws;
  TRY(ensure_master_policy(client, env, platform));
  TRY_ASSIGN(std::optional<TaskRevision> latest,
             latest_active_revision(client, aws.db_init_task_definition));

  DbInitDefinition wanted;
  wanted.family = aws.db_init_task_definition;
  wanted.tenant = job.tenant;
  wanted.image = latest ? image_of(latest->definition) : "";
  if (wanted.image.empty()) wanted.image = kDbInitDefaultImage;
  wanted.execution_role_arn = platform.execution_role_arn;
  wanted.log_group = aws.log_group;
  wanted.region = aws.region;
  wanted.master_secret_arn = platform.master_secret_arn;
  wanted.tenant_secret_arn = job.tenant_secret_arn;
  wanted.transfer_secret_arn = job.transfer_secret_arn;
  wanted.tenant_db_user = job.tenant_db_user;
  wanted.db_host = platform.rds_address;
  wanted.db_port = platform.rds_port;
  wanted.tags = db_init_tags(env.name);
  OneOffTask task;
  task.container = kDbInitContainer;
  task.command = job.command.empty()
                     ? std::vector<std::string>{"sh", "-c",
                                                db_init_shell_script(job.statements, job.done_message)}
                     : job.command;
  task.rerun = job.rerun;
  task.started_by = job.started_by;
  task.log_group = aws.log_group;
  task.log_stream_prefix = kDbInitStreamPrefix;
  // Revisions differ by tenant, so a parallel run of another tenant never deregisters
  // the one this run is using.
  return run_on_own_revision(client, env, platform, db_init_task_definition(wanted), wanted.tags,
                             latest, std::move(task), polling_);
}

}  // namespace wpfleet::aws_backend
