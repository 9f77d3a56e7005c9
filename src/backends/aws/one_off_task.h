// A one-off Fargate task (the database SQL on db_access = "task", the WordPress
// installer): run it, wait for it to stop, and let its exit code and log lines decide.
// Secret values never travel in the overrides (DescribeTasks shows those to anyone
// allowed to list tasks): a task gets them through its task definition's `secrets`.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

struct OneOffTask {
  std::string task_definition;  // family:revision or ARN
  std::string container;        // the container whose command is replaced and exit code read
  std::vector<std::string> command;
  std::string log_group;         // where the container's awslogs go
  std::string log_stream_prefix;
  std::string started_by = "wpfleet";
  // What a failed task's error tells the user to run once its log's problem is fixed.
  std::string rerun = "`wpfleet apply`";
};

struct TaskPolling {
  std::chrono::milliseconds first_wait{200};  // doubles up to max_wait between DescribeTasks
  std::chrono::milliseconds max_wait{5000};
  std::chrono::seconds timeout{900};
};

// Runs the task in the environment's subnets and security groups (no public IP) and
// waits until it stops. Succeeds when the container exited 0; otherwise the error names
// the task, its exit code or stop reason, and quotes the last lines of its log stream
// "<prefix>/<container>/<task id>".
Status run_one_off_task(aws::Client& client, const Environment& env,
                        const PlatformResources& platform, const OneOffTask& task,
                        const TaskPolling& polling = {});

// A task definition's container `environment` and `secrets` entries; a secret's value is
// one key of its JSON, the current version.
nlohmann::json environment_entry(const std::string& name, const std::string& value);
nlohmann::json secret_entry(const std::string& name, const std::string& secret_arn,
                            const std::string& key);

// A container's logConfiguration: the awslogs driver into `group`, streams
// "<prefix>/<container>/<task id>".
nlohmann::json awslogs_configuration(const std::string& group, const std::string& region,
                                     const std::string& prefix);

// Makes the inline policy `policy` on the execution role `role` allow GetSecretValue on
// `secret` (an ARN or an ARN pattern), unless it already does: ECS reads a task's
// `secrets` as that role, and refuses to start the task otherwise.
Status ensure_role_reads_secret(aws::Client& client, const std::string& role,
                                const std::string& policy, const std::string& secret);

struct TaskRevision {
  nlohmann::json definition;  // DescribeTaskDefinition's taskDefinition
  Tags tags;
};

// The family's latest ACTIVE revision (the user's own, or one wpfleet left behind).
Result<std::optional<TaskRevision>> latest_active_revision(aws::Client& client,
                                                           const std::string& family);

// What of a task definition (registered input or DescribeTaskDefinition's answer)
// decides whether a revision is the one wanted: the same shape means reuse.
nlohmann::json task_definition_shape(const nlohmann::json& task_definition);

// Runs `task` on a revision of wpfleet's made from `input` (RegisterTaskDefinition's
// input, tagged `tags`), and deregisters that revision once the task stopped: such
// revisions name one tenant's secrets. The family's latest revision is used again when
// it is wpfleet's and has the same shape (one a run interrupted before deregistering
// left behind); the user's own revisions are never used, nor deregistered. `latest` is
// the family's latest active revision when the caller has it already.
Status run_on_own_revision(aws::Client& client, const Environment& env,
                           const PlatformResources& platform, const nlohmann::json& input,
                           const Tags& tags, const std::optional<TaskRevision>& latest,
                           OneOffTask task, const TaskPolling& polling = {});

}  // namespace wpfleet::aws_backend
