// TenantData on `aws`. Each half of the content is reached one of two ways.
//
// Directly: wpfleet itself reaches the environment's database server (db_access =
// "direct": RDS over TCP, db_host/db_port) and the directory where its EFS root is
// mounted here (files_access = "direct": efs_mount, each tenant's files under
// {efs_mount}/{tenant} as its access point /{tenant} shows them to its tasks at
// wp-content). The database half is local's (mysql_staging.h): `{tenant}_db_staging`
// and `{tenant}_db_previous` beside `{tenant}_db`, one RENAME TABLE, loads as a
// throw-away user that reaches staging alone, dumps with the tenant's own credentials
// from its secret. The files half is directory_swap.h with two renames (NFS has no
// RENAME_EXCHANGE): `{tenant}.staging`, `{tenant}.previous`.
//
// Through tasks ("task", for an RDS and EFS only the VPC reaches): every step is one
// op of a one-off Fargate task (transfer_tasks.h) that does the same thing in the VPC,
// with the same names and the same crash semantics, and exchanges dumps and file
// archives with wpfleet through the environment's transfer bucket. Staged files are
// gathered here first (task_files.h) and sent as one archive when they are adopted.
//
// A task mounted its access point's directory when it started and keeps it, so after
// every swap of the files the tenant's service is redeployed (ECS forceNewDeployment),
// and the swap waits until only new tasks run: the directory moved aside is discarded
// after that, never under a task that still has it mounted. A put-back notes that it is
// redeploying (`{tenant}.redeploying` beside the files, or an object in the transfer
// bucket) until its tasks are replaced, so that one killed after moving the files still
// redeploys when it runs again.
//
// The tenant's PHP writes its files as www-data (uid 33 on EFS): they are only read
// through descriptors (util/safe_tree.h), or by tar in a task, which stores links as links.
#pragma once

#include "backends/aws/providers.h"
#include "backends/aws/task_files.h"
#include "backends/aws/transfer_tasks.h"
#include "backends/tenant_data.h"

namespace wpfleet::aws_backend {

class AwsTenantData final : public TenantData {
 public:
  explicit AwsTenantData(SharedPlatforms platforms) : platforms_(std::move(platforms)) {}
  Status dump_database(const TenantContext& ctx, const std::vector<std::string>& tables,
                       const ByteSink& sink) override;
  Result<std::map<std::string, std::uint64_t>> row_counts(const TenantContext& ctx) override;
  Result<std::unique_ptr<SqlLoad>> load_staging_database(const TenantContext& ctx) override;
  Result<std::map<std::string, std::uint64_t>> staged_row_counts(const TenantContext& ctx) override;
  Result<std::optional<MysqlEndpoint>> database_endpoint(const TenantContext& ctx) override;
  Result<std::unique_ptr<StagingDatabase>> open_staging_database(const TenantContext& ctx) override;
  Result<UniqueFd> staging_files(const TenantContext& ctx) override;
  Status read_files(const TenantContext& ctx, const TreeVisitor& visit) override;
  Status adopt_staged_files(const TenantContext& ctx) override;
  Status swap_in_staging(const TenantContext& ctx, const SwapScope& scope) override;
  Status restore_previous(const TenantContext& ctx, const SwapScope& scope) override;
  Status discard_previous(const TenantContext& ctx) override;
  Status discard_staging(const TenantContext& ctx) override;
  Result<std::string> content_fingerprint(const TenantContext& ctx) override;
  Status reset_admin_password(const TenantContext& ctx) override;
  // The new value is pending under kPendingAdminPasswordKey in the tenant's secret until
  // WordPress has it.
  Status rotate_admin_password(const TenantContext& ctx) override;
  Status run_php(const TenantContext& ctx, const std::string& php,
                 const std::string& input) override;
  Status run_sql(const TenantContext& ctx, const std::string& sql) override;

 private:
  SharedPlatforms platforms_;
  TransferTasks transfers_;     // files_access / db_access = "task"
  LocalStaging local_staging_;  // files_access = "task": staged trees, before they are sent
};

// A WordPress password hash of `password` (phpass portable, "$P$B..." with a random
// salt), which every WordPress version checks (6.8 and later rehash it with bcrypt at
// the next login).
Result<std::string> wordpress_password_hash(const std::string& password);

}  // namespace wpfleet::aws_backend
