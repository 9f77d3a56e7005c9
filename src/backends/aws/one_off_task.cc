#include "backends/aws/one_off_task.h"

#include <algorithm>
#include <thread>

#include "backends/aws/secret_policy.h"

namespace wpfleet::aws_backend {

namespace {

using nlohmann::json;

std::string fix_then(const OneOffTask& task) { return "fix what its log says, then run " + task.rerun; }

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

std::string task_id(const std::string& task_arn) {
  return task_arn.substr(task_arn.rfind('/') + 1);
}

// The last lines the task wrote to its log stream, or why they cannot be read.
std::string log_tail(aws::Client& client, const OneOffTask& task, const std::string& id) {
  const std::string stream = task.log_stream_prefix + "/" + task.container + "/" + id;
  auto events = client.json(aws::kLogs, "GetLogEvents",
                            {{"logGroupName", task.log_group},
                             {"logStreamName", stream},
                             {"startFromHead", false},
                             {"limit", 20}});
  std::string where = "log " + task.log_group + ", stream " + stream;
  if (!events) return where + " (unreadable: " + events.error().message + ")";
  std::string lines;
  for (const auto& event : events->value("events", nlohmann::json::array())) {
    lines += "\n  " + event.value("message", "");
  }
  return where + (lines.empty() ? " (empty)" : ":" + lines);
}

nlohmann::json run_task_input(const Environment& env, const PlatformResources& platform,
                              const OneOffTask& task) {
  return {{"cluster", platform.cluster_arn},
          {"taskDefinition", task.task_definition},
          {"launchType", "FARGATE"},
          {"count", 1},
          {"startedBy", task.started_by},
          {"networkConfiguration",
           {{"awsvpcConfiguration",
             {{"subnets", env.aws->subnets},
              {"securityGroups", env.aws->security_groups},
              {"assignPublicIp", "DISABLED"}}}}},
          {"overrides",
           {{"containerOverrides", {{{"name", task.container}, {"command", task.command}}}}}}};
}

}  // namespace

Status run_one_off_task(aws::Client& client, const Environment& env,
                        const PlatformResources& platform, const OneOffTask& task,
                        const TaskPolling& polling) {
  TRY_ASSIGN(nlohmann::json started,
             client.json(aws::kEcs, "RunTask", run_task_input(env, platform, task)));
  const auto& tasks = started.value("tasks", nlohmann::json::array());
  if (tasks.empty()) {
    std::string reason = "no reason given";
    for (const auto& failure : started.value("failures", nlohmann::json::array())) {
      reason = failure.value("reason", reason);
    }
    return make_error("ECS could not start a task of " + task.task_definition + " in " +
                      where(env) + ": " + reason +
                      "; fix that (capacity, subnets, the task definition), then run "
                      "`wpfleet apply`");
  }
  const std::string arn = tasks[0].value("taskArn", "");
  const std::string id = task_id(arn);
  const auto deadline = std::chrono::steady_clock::now() + polling.timeout;
  auto wait = polling.first_wait;
  for (;;) {
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, polling.max_wait);
    TRY_ASSIGN(nlohmann::json described,
               client.json(aws::kEcs, "DescribeTasks",
                           {{"cluster", platform.cluster_arn}, {"tasks", {arn}}}));
    const auto& found = described.value("tasks", nlohmann::json::array());
    if (found.empty()) {
      return make_error("task " + id + " of " + task.task_definition +
                        " is no longer known to ECS, so its outcome is unknown: run "
                        "`wpfleet apply` to run it again");
    }
    const nlohmann::json& state = found[0];
    if (state.value("lastStatus", "") != "STOPPED") {
      if (std::chrono::steady_clock::now() > deadline) {
        return make_error("task " + id + " of " + task.task_definition + " is still " +
                          state.value("lastStatus", "") + " after " +
                          std::to_string(polling.timeout.count()) +
                          "s; stop it with `aws ecs stop-task` and see its " +
                          log_tail(client, task, id));
      }
      continue;
    }
    for (const auto& container : state.value("containers", nlohmann::json::array())) {
      if (container.value("name", "") != task.container) continue;
      if (container.contains("exitCode") && container["exitCode"] == 0) return {};
      const std::string how =
          container.contains("exitCode")
              ? "exited with code " + container["exitCode"].dump()
              : "stopped without an exit code (" + state.value("stoppedReason", "no reason") + ")";
      return make_error("task " + id + " of " + task.task_definition + " " + how + " (" +
                        fix_then(task) + "); " + log_tail(client, task, id));
    }
    return make_error("task " + id + " of " + task.task_definition + " stopped (" +
                      state.value("stoppedReason", "no reason") + ") and has no container '" +
                      task.container + "' (" + fix_then(task) + "); " +
                      log_tail(client, task, id));
  }
}

json environment_entry(const std::string& name, const std::string& value) {
  return {{"name", name}, {"value", value}};
}

json secret_entry(const std::string& name, const std::string& secret_arn, const std::string& key) {
  // "<arn>:<json key>:<version stage>:<version id>", the current version.
  return {{"name", name}, {"valueFrom", secret_arn + ":" + key + "::"}};
}

json awslogs_configuration(const std::string& group, const std::string& region,
                           const std::string& prefix) {
  return {{"logDriver", "awslogs"},
          {"options",
           {{"awslogs-group", group}, {"awslogs-region", region}, {"awslogs-stream-prefix", prefix}}}};
}

Status ensure_role_reads_secret(aws::Client& client, const std::string& role,
                                const std::string& policy, const std::string& secret) {
  auto current = client.query(aws::kIam, "GetRolePolicy", {{"RoleName", role}, {"PolicyName", policy}});
  if (!current && current.error().code != "NoSuchEntity") return std::move(current).error();
  if (current &&
      policy_allows_secret_read(current->select_node("//PolicyDocument").node().child_value(), secret)) {
    return {};
  }
  TRY(client.query(aws::kIam, "PutRolePolicy",
                   {{"RoleName", role}, {"PolicyName", policy}, {"PolicyDocument", secret_read_policy({secret})}}));
  return {};
}

Result<std::optional<TaskRevision>> latest_active_revision(aws::Client& client,
                                                           const std::string& family) {
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
  if (latest.empty()) return std::optional<TaskRevision>();
  TRY_ASSIGN(json described,
             client.json(aws::kEcs, "DescribeTaskDefinition",
                         {{"taskDefinition", latest}, {"include", {"TAGS"}}}));
  TaskRevision revision;
  revision.definition = described.value("taskDefinition", json::object());
  revision.tags = tags_from_json(described.value("tags", json::array()), kEcsTagMembers);
  return std::optional<TaskRevision>(std::move(revision));
}

json task_definition_shape(const json& task_definition) {
  json containers = json::array();
  for (const auto& container : task_definition.value("containerDefinitions", json::array())) {
    containers.push_back({{"name", container.value("name", "")},
                          {"image", container.value("image", "")},
                          {"environment", sorted_by_name(container.value("environment", json()))},
                          {"secrets", sorted_by_name(container.value("secrets", json()))},
                          {"mountPoints", container.value("mountPoints", json::array())},
                          {"logConfiguration", container.value("logConfiguration", json())}});
  }
  return {{"family", task_definition.value("family", "")},
          {"networkMode", task_definition.value("networkMode", "")},
          {"requiresCompatibilities", task_definition.value("requiresCompatibilities", json())},
          {"cpu", task_definition.value("cpu", "")},
          {"memory", task_definition.value("memory", "")},
          {"executionRoleArn", task_definition.value("executionRoleArn", "")},
          {"volumes", sorted_by_name(task_definition.value("volumes", json()))},
          {"containerDefinitions", containers}};
}

Status run_on_own_revision(aws::Client& client, const Environment& env,
                           const PlatformResources& platform, const json& input, const Tags& tags,
                           const std::optional<TaskRevision>& latest, OneOffTask task,
                           const TaskPolling& polling) {
  std::string arn;
  if (latest && has_tags(latest->tags, tags) &&
      task_definition_shape(latest->definition) == task_definition_shape(input)) {
    arn = latest->definition.value("taskDefinitionArn", "");
  }
  if (arn.empty()) {
    TRY_ASSIGN(json registered, client.json(aws::kEcs, "RegisterTaskDefinition", input));
    arn = registered.value(json::json_pointer("/taskDefinition/taskDefinitionArn"), "");
  }
  task.task_definition = arn;
  Status ran = run_one_off_task(client, env, platform, task, polling);
  // Should this fail, what is left names ARNs (no values), and the next run of the same
  // shape uses it again while it is the family's latest, so the run's own outcome stands.
  (void)client.json(aws::kEcs, "DeregisterTaskDefinition", {{"taskDefinition", arn}});
  return ran;
}

}  // namespace wpfleet::aws_backend
