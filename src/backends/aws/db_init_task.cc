#include "backends/aws/db_init_task.h"

#include <algorithm>
#include <optional>

#include "backends/aws/database_sql.h"
#include "backends/aws/secret_policy.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

json name_value(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

json from_secret(const std::string& name, const std::string& arn, const std::string& key) {
  // "<arn>:<json key>:<version stage>:<version id>", the current version.
  return {{"name", name}, {"valueFrom", arn + ":" + key + "::"}};
}

// A list of {"name": ...} objects in name order (ECS may answer in another order).
json sorted_by_name(json list) {
  if (!list.is_array()) return json::array();
  std::sort(list.begin(), list.end(), [](const json& a, const json& b) {
    return a.value("name", "") < b.value("name", "");
  });
  return list;
}

// "arn:...:task-definition/<family>:<revision>" -> revision, or nullopt for another family.
std::optional<int> revision_of(const std::string& arn, const std::string& family) {
  const std::string marker = "task-definition/" + family + ":";
  const auto at = arn.find(marker);
  if (at == std::string::npos) return std::nullopt;
  const std::string number = arn.substr(at + marker.size());
  if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit)) return std::nullopt;
  return std::stoi(number);
}

struct Revision {
  json definition;  // DescribeTaskDefinition's taskDefinition
  Tags tags;
};

// The family's latest ACTIVE revision (the user's own, or one wpfleet left behind).
Result<std::optional<Revision>> latest_active(aws::Client& client, const std::string& family) {
  TRY_ASSIGN(json listed, client.json(aws::kEcs, "ListTaskDefinitions",
                                      {{"familyPrefix", family}, {"status", "ACTIVE"},
                                       {"sort", "DESC"}}));
  std::string latest;
  int highest = 0;
  for (const auto& arn : listed.value("taskDefinitionArns", json::array())) {
    const auto revision = revision_of(arn.get<std::string>(), family);
    if (revision && *revision > highest) {
      highest = *revision;
      latest = arn.get<std::string>();
    }
  }
  if (latest.empty()) return std::optional<Revision>();
  TRY_ASSIGN(json described,
             client.json(aws::kEcs, "DescribeTaskDefinition",
                         {{"taskDefinition", latest}, {"include", {"TAGS"}}}));
  Revision revision;
  revision.definition = described.value("taskDefinition", json::object());
  revision.tags = tags_from_json(described.value("tags", json::array()), kEcsTagMembers);
  return std::optional<Revision>(std::move(revision));
}

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
  json secrets = json::array({from_secret("MYSQL_PWD", d.master_secret_arn, "password"),
                              from_secret("MASTER_USER", d.master_secret_arn, "username")});
  if (!d.tenant_secret_arn.empty()) {
    secrets.push_back(from_secret("TENANT_DB_PASSWORD", d.tenant_secret_arn, "password"));
  }
  json container = {
      {"name", kDbInitContainer},
      {"image", d.image},
      {"essential", true},
      // The container may use the task's whole memory (Fargate needs no container limit,
      // but a limit equal to the task's is valid and some tools add them up).
      {"memory", 512},
      {"environment",
       {name_value("DB_HOST", d.db_host), name_value("DB_PORT", std::to_string(d.db_port)),
        name_value("WPFLEET_TENANT", d.tenant)}},
      {"secrets", secrets},
      {"logConfiguration",
       {{"logDriver", "awslogs"},
        {"options",
         {{"awslogs-group", d.log_group},
          {"awslogs-region", d.region},
          {"awslogs-stream-prefix", kDbInitStreamPrefix}}}}}};
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

json db_init_shape(const json& task_definition) {
  json containers = json::array();
  for (const auto& container : task_definition.value("containerDefinitions", json::array())) {
    containers.push_back({{"name", container.value("name", "")},
                          {"image", container.value("image", "")},
                          {"environment", sorted_by_name(container.value("environment", json()))},
                          {"secrets", sorted_by_name(container.value("secrets", json()))},
                          {"logConfiguration", container.value("logConfiguration", json())}});
  }
  return {{"family", task_definition.value("family", "")},
          {"networkMode", task_definition.value("networkMode", "")},
          {"requiresCompatibilities", task_definition.value("requiresCompatibilities", json())},
          {"cpu", task_definition.value("cpu", "")},
          {"memory", task_definition.value("memory", "")},
          {"executionRoleArn", task_definition.value("executionRoleArn", "")},
          {"containerDefinitions", containers}};
}

std::string db_init_policy_name(const std::string& env) {
  return env + "-ecs-secrets-access-wpfleet-db-init";
}

Status DbInitTasks::ensure_master_policy(aws::Client& client, const Environment& env,
                                         const PlatformResources& platform) {
  std::lock_guard lock(mutex_);
  if (policy_ready_.count(env.name)) return {};
  const std::string role = env.aws->execution_role;
  const std::string policy = db_init_policy_name(env.name);
  auto current = client.query(aws::kIam, "GetRolePolicy",
                              {{"RoleName", role}, {"PolicyName", policy}});
  if (!current && current.error().code != "NoSuchEntity") return std::move(current).error();
  const bool allowed =
      current && policy_allows_secret_read(
                     current->select_node("//PolicyDocument").node().child_value(),
                     platform.master_secret_arn);
  if (!allowed) {
    TRY(client.query(aws::kIam, "PutRolePolicy",
                     {{"RoleName", role},
                      {"PolicyName", policy},
                      {"PolicyDocument", secret_read_policy({platform.master_secret_arn})}}));
  }
  policy_ready_.insert(env.name);
  return {};
}

Status DbInitTasks::run(aws::Client& client, const Environment& env,
                        const PlatformResources& platform, const DbInitJob& job) {
  const AwsSettings& aws = *env.aws;
  TRY(ensure_master_policy(client, env, platform));
  TRY_ASSIGN(std::optional<Revision> latest, latest_active(client, aws.db_init_task_definition));

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
  wanted.db_host = platform.rds_address;
  wanted.db_port = platform.rds_port;
  wanted.tags = db_init_tags(env.name);
  const json input = db_init_task_definition(wanted);

  // A revision of wpfleet's identical to this one (left by this tenant's run that was
  // interrupted before it deregistered it) is used again; the user's own revisions never
  // are, nor deregistered. Revisions differ by tenant, so a parallel run of another
  // tenant never deregisters the one this run is using.
  std::string arn;
  if (latest && has_tags(latest->tags, wanted.tags) &&
      db_init_shape(latest->definition) == db_init_shape(input)) {
    arn = latest->definition.value("taskDefinitionArn", "");
  }
  if (arn.empty()) {
    TRY_ASSIGN(json registered, client.json(aws::kEcs, "RegisterTaskDefinition", input));
    arn = registered.value(json::json_pointer("/taskDefinition/taskDefinitionArn"), "");
  }

  OneOffTask task;
  task.task_definition = arn;
  task.container = kDbInitContainer;
  task.command = {"sh", "-c", db_init_shell_script(job.statements, job.done_message)};
  task.log_group = aws.log_group;
  task.log_stream_prefix = kDbInitStreamPrefix;
  Status ran = run_one_off_task(client, env, platform, task, polling_);

  // The revision names the tenant's secret: it goes once its task has stopped. Should
  // this fail, what is left names an ARN (no value) and the tenant's next run reuses it
  // while it is the family's latest, so the run's own outcome stands.
  (void)client.json(aws::kEcs, "DeregisterTaskDefinition", {{"taskDefinition", arn}});
  return ran;
}

}  // namespace wpfleet::aws_backend
