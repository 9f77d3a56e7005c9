// A tenant's content reached through one-off Fargate tasks (db_access = "task",
// files_access = "task"): for an RDS instance and an EFS that only the VPC reaches, as
// on the user's platform. Each task runs one op of transfer_task.sh (its contract is
// in the script's header) and exchanges bytes with wpfleet through the environment's
// transfer bucket, under wpfleet/transfer/{tenant}/{run}/: "in", written by wpfleet
// before the task starts, and "out", written by the task once its op succeeded. Both
// go when the run ends; the bucket's lifecycle removes what a killed run left.
//
// The task reaches those two objects by presigned URLs (GET in, PUT out), which are
// credentials: they travel in the secret {env}-{tenant}-wpfleet-transfer, given to the
// task through its task definition's `secrets` (RunTask overrides show in DescribeTasks
// to anyone allowed to list tasks), and it is blanked after the run.
//
// Database ops run in a revision of the user's db-init family (its mysql client image,
// the master and tenant passwords from their secrets: db_init_task.h); file ops in a
// revision of {env}-wpfleet-files made from the tenant's own WordPress image (sh, curl,
// tar) with the EFS root mounted, since the staging and previous directories are
// siblings of the tenant's, outside what its access point shows.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aws/s3.h"
#include "backends/aws/db_init_task.h"
#include "backends/aws/names.h"
#include "backends/aws/platform.h"
#include "backends/content_summary.h"
#include "backends/tenant_data.h"

namespace wpfleet::aws_backend {

enum class TransferKind { Database, Files };

// Where file ops find the EFS root in their container (EFS_ROOT).
inline constexpr const char* kTransferEfsRoot = "/mnt/efs-root";

// What the transfer tasks of one process share: the db-init runs, and whether the
// execution role may read each environment's transfer secrets (checked once).
class TransferTasks {
 public:
  DbInitTasks& database() { return database_; }
  Status ensure_secret_policy(aws::Client& client, const Environment& env,
                              const PlatformResources& platform);
  // The environment's transfer bucket, made as apply makes it when it is missing: the
  // source of a promote may be an environment wpfleet never applied.
  Status ensure_bucket(aws::Client& client, const Environment& env);
  // Once per tenant and process, after its interrupted runs' tasks have stopped: removes
  // the objects those runs left under `prefix` (dumps, archives), but `keep`.
  Status remove_leftovers(aws::Client& client, const std::string& bucket, const std::string& prefix,
                          const std::string& keep);

 private:
  DbInitTasks database_;
  std::mutex mutex_;
  std::set<std::string> policy_ready_;  // environment names
  std::set<std::string> bucket_ready_;  // environment names
  std::set<std::string> tidied_;        // "bucket/prefix"
};

// Under the transfer bucket: a tenant's runs, the note of a put-back still redeploying,
// and the note that a swap may have left previous content.
std::string transfer_prefix(const std::string& tenant);
std::string redeploy_note_key(const std::string& tenant);
std::string previous_note_key(const std::string& tenant);

class TransferTask {
 public:
  TransferTask(Connected cloud, const Environment& env, TenantNames names, TransferKind kind,
               TransferTasks& tasks);
  TransferTask(const TransferTask&) = delete;
  TransferTask& operator=(const TransferTask&) = delete;
  ~TransferTask();

  // The op's input object, to be written before run().
  Result<aws::S3Upload*> input();
  // Runs the op (`op` is its name and arguments) and hands its output object to
  // `output` (when given). An error names the task, its exit code and its last log lines.
  Status run(const std::vector<std::string>& op, const ByteSink& output = nullptr);
  // The same, the output whole (ops whose output is a few lines).
  Result<std::string> run_for_text(const std::vector<std::string>& op);

 private:
  std::string key(const std::string& name) const { return prefix_ + name; }
  Status named() const;
  Status publish_urls();
  Status run_task(const std::vector<std::string>& op);
  void clean_up();

  Connected cloud_;
  const Environment& env_;
  TenantNames names_;
  TransferKind kind_;
  TransferTasks& tasks_;
  std::string bucket_;
  std::string prefix_;  // wpfleet/transfer/{tenant}/{run}/, empty when no run name could be drawn
  std::string unnamed_;  // why not
  std::unique_ptr<aws::S3Upload> input_;
  std::string secret_arn_;
};

// The outputs of `counts` ("table<TAB>rows" lines), `summarize` of a database
// ("table<TAB>rows<TAB>checksum") and `summarize` of files ("count<TAB>bytes<TAB>digest").
Result<std::map<std::string, std::uint64_t>> parse_transfer_counts(const std::string& text);
Result<std::map<std::string, TableSummary>> parse_table_summaries(const std::string& text);
Result<FilesSummary> parse_files_summary(const std::string& text);

}  // namespace wpfleet::aws_backend
