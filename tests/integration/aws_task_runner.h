// Stands in for Fargate in tests: runs a task the AwsProxy started (TaskRun) on this
// machine, its command as the container would with its environment, the database host
// and EFS volumes it names mapped to their local stand-ins (a loopback MariaDB, a
// directory). For AwsProxy::set_task_runner.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "aws_fake.h"

namespace wpfleet::testing {

struct TaskHostMap {
  struct Address {
    std::string host;
    std::uint16_t port = 0;
  };
  // DB_HOST as the task gets it (an RDS address) -> where that database is here.
  std::map<std::string, Address> databases;
  // EFS file system id -> the directory standing in for its root "/".
  std::map<std::string, std::filesystem::path> file_systems;
};

// Runs the task's command (entryPoint + command) with its environment and nothing else
// of this process's but a PATH and an empty HOME: DB_HOST and DB_PORT mapped by
// `hosts.databases`, and each variable whose value is an EFS mount's containerPath set
// to the local directory of that file system (below its access point's root, else the
// volume's rootDirectory). Runs as the container's numeric "user" if it sets one, else
// as root. stdout and stderr, interleaved, are the log lines; the exit code is the
// process's (137 when killed). A task this cannot place (an EFS file system without a
// directory, no command) is not started: exit code 1 and a line saying why.
TaskOutcome run_task_here(const TaskRun& run, const TaskHostMap& hosts);

}  // namespace wpfleet::testing
