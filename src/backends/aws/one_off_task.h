// A one-off Fargate task (the database SQL on db_access = "task", the WordPress
// installer): run it, wait for it to stop, and let its exit code and log lines decide.
// Secret values never travel in the overrides (DescribeTasks shows those to anyone
// allowed to list tasks): a task gets them through its task definition's `secrets`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

struct OneOffTask {
  std::string task_definition;  // family:revision or ARN
  std::string container;        // the container whose command is replaced and exit code read
  std::vector<std::string> command;
  std::string log_group;         // where the container's awslogs go
  std::string log_stream_prefix;
  std::string started_by = "wpfleet";
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

}  // namespace wpfleet::aws_backend
