#include "aws_task_runner.h"

#include <unistd.h>

#include <sstream>

#include "harness.h"
#include "util/process.h"

namespace wpfleet::testing {

namespace {

namespace fs = std::filesystem;

TaskOutcome not_started(const std::string& why) {
  return {1, {"run_task_here: the task was not started: " + why}};
}

// "33" or "33:33" -> the user to run as; nothing for root or a user name.
std::optional<RunAs> numeric_user(const std::string& user) {
  if (user.empty() || user.find_first_not_of("0123456789:") != std::string::npos) {
    return std::nullopt;
  }
  const auto colon = user.find(':');
  const auto uid = static_cast<uid_t>(std::stoul(user.substr(0, colon)));
  const auto gid =
      colon == std::string::npos ? uid : static_cast<gid_t>(std::stoul(user.substr(colon + 1)));
  if (uid == 0) return std::nullopt;
  return RunAs{uid, gid};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TaskOutcome run_task_here(const TaskRun& run, const TaskHostMap& hosts) {
  if (run.command.empty()) return not_started("its container gives no command");
  std::map<std::string, std::string> env = run.environment;
  if (const auto host = env.find("DB_HOST"); host != env.end()) {
    if (const auto local = hosts.databases.find(host->second); local != hosts.databases.end()) {
      env["DB_HOST"] = local->second.host;
      env["DB_PORT"] = std::to_string(local->second.port);
    }
  }
  for (const auto& [container_path, mount] : run.efs_mounts) {
    const auto root = hosts.file_systems.find(mount.file_system_id);
    // Never let the command loose on this machine's own path of that name.
    if (root == hosts.file_systems.end()) {
      return not_started("EFS file system " + mount.file_system_id + " (at " + container_path +
                         ") has no local directory in the TaskHostMap");
    }
    const std::string below =
        mount.access_point_root.empty() ? mount.root_directory : mount.access_point_root;
    fs::path local = root->second;
    if (const fs::path inside = fs::path(below).relative_path(); !inside.empty()) local /= inside;
    for (auto& [name, value] : env) {
      if (value == container_path) value = local.string();
    }
  }
  TempDir home;
  env.emplace("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  env["HOME"] = home.path().string();

  CommandSpec spec;
  // Through a shell that sends stderr where stdout goes, so the lines keep their order.
  spec.argv = {"/bin/sh", "-c", "exec \"$@\" 2>&1", "task"};
  spec.argv.insert(spec.argv.end(), run.command.begin(), run.command.end());
  spec.env = std::move(env);
  spec.clear_env = true;
  spec.cwd = "/";
  spec.run_as = numeric_user(run.container.value("user", ""));
  if (spec.run_as && chown(home.path().c_str(), spec.run_as->uid, spec.run_as->gid) != 0) {
    return not_started("cannot give its HOME to user " + run.container.value("user", ""));
  }
  spec.die_with_parent = true;
  spec.timeout = std::chrono::minutes(10);
  auto output = run_command(spec);
  if (!output) return {1, {"run_task_here: " + output.error().message}};
  TaskOutcome outcome{output->exit_code, lines_of(output->out + output->err)};
  if (outcome.exit_code < 0) outcome.exit_code = 137;  // as Docker reports a kill
  return outcome;
}

}  // namespace wpfleet::testing
