#include "backends/aws/one_off_task.h"

#include <algorithm>
#include <thread>

namespace wpfleet::aws_backend {

namespace {

constexpr const char* kFixThenApply = "fix what its log says, then run `wpfleet apply`";

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
                        kFixThenApply + "); " + log_tail(client, task, id));
    }
    return make_error("task " + id + " of " + task.task_definition + " stopped (" +
                      state.value("stoppedReason", "no reason") + ") and has no container '" +
                      task.container + "' (" + kFixThenApply + "); " +
                      log_tail(client, task, id));
  }
}

}  // namespace wpfleet::aws_backend
