// The database SQL run by a one-off Fargate task (db_access = "task", as the user does
// today: RDS sits in private subnets that only the VPC reaches). The task is a revision
// of the user's db-init family (db_init_task_definition, "{env}-generic-db-init") made
// for the run: container "mysql-client" with the family's own image, and the passwords
// (the master's, the tenant's) given through `secrets` from Secrets Manager, so they
// never appear in the RunTask overrides or in environment values (DescribeTasks and
// DescribeTaskDefinition show those to anyone allowed to list). Its logs go to the
// environment's log group as "db-init/mysql-client/<task id>", where the user's guide
// looks for them; its exit code decides.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "aws/client.h"
#include "backends/aws/names.h"
#include "backends/aws/one_off_task.h"
#include "backends/aws/platform.h"

namespace wpfleet::aws_backend {

inline constexpr const char* kDbInitContainer = "mysql-client";
inline constexpr const char* kDbInitStreamPrefix = "db-init";
inline constexpr const char* kDbInitDefaultImage = "mysql:8.0";

// What a db-init revision is made of.
struct DbInitDefinition {
  std::string family;
  std::string tenant;  // WPFLEET_TENANT: one revision per tenant, so no two runs share one
  std::string image;
  std::string execution_role_arn;
  std::string log_group;
  std::string region;
  std::string master_secret_arn;
  std::string tenant_secret_arn;  // empty: the statements need no tenant password
  // A transfer task's (transfer_tasks.h): TENANT_DB_USER, and IN_URL and OUT_URL from
  // this secret. Empty: none.
  std::string transfer_secret_arn;
  std::string tenant_db_user;
  std::string db_host;
  int db_port = 3306;
  Tags tags;
};

// The RegisterTaskDefinition input: Fargate, awsvpc, 256 CPU units, 512 MiB; MYSQL_PWD
// and MASTER_USER from the master secret's password and username, TENANT_DB_PASSWORD
// from the tenant secret's password; DB_HOST, DB_PORT and WPFLEET_TENANT (not secret)
// as environment.
nlohmann::json db_init_task_definition(const DbInitDefinition& definition);

// The inline policy on the execution role that lets db-init tasks read the master secret.
std::string db_init_policy_name(const std::string& env);

struct DbInitJob {
  std::string tenant;
  std::vector<std::string> statements;  // made with kTaskPasswordSql when they need the password
  std::string tenant_secret_arn;        // where TENANT_DB_PASSWORD comes from; empty: none
  std::string done_message;             // printed to the task's log on success
  // A transfer task's instead: its command and what it needs (DbInitDefinition).
  std::vector<std::string> command;
  std::string transfer_secret_arn;
  std::string tenant_db_user;
  std::string rerun = "`wpfleet apply`";  // what a failure tells the user to run again
  std::string started_by = "wpfleet";     // RunTask's startedBy, which ListTasks filters on
};

// Runs jobs; one object for the provider, shared by its threads.
class DbInitTasks {
 public:
  explicit DbInitTasks(TaskPolling polling = {}) : polling_(polling) {}

  // Registers the job's revision (or reuses an identical one of wpfleet's), runs it,
  // waits for its exit code and deregisters it (it names one tenant's secret). A task
  // that fails is an error naming its log stream and quoting its last lines.
  Status run(aws::Client& client, const Environment& env, const PlatformResources& platform,
             const DbInitJob& job);

 private:
  // The execution role may read the master secret: checked (and put) once per environment.
  Status ensure_master_policy(aws::Client& client, const Environment& env,
                              const PlatformResources& platform);

  TaskPolling polling_;
  std::mutex mutex_;
  std::set<std::string> policy_ready_;  // environment names
};

}  // namespace wpfleet::aws_backend
