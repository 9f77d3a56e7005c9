// TenantData on `local`: mariadb-dump with the tenant's own credentials; staging and
// previous databases beside the live one (`<db>__staging`, `<db>__previous`) swapped
// with one multi-table RENAME TABLE; staging and previous wp-content directories beside
// the live one, swapped with renameat2(RENAME_EXCHANGE). Each swap is atomic: the site
// sees the old content or the new, never a mix. Every dump is loaded as a MariaDB user
// made for that load, which reaches the staging database alone; the files, which the
// tenant's PHP may be changing, are only read through descriptors (util/safe_tree.h).
#pragma once

#include "backends/registry.h"
#include "backends/tenant_data.h"

namespace wpfleet::local {

class LocalTenantData final : public TenantData {
 public:
  explicit LocalTenantData(BackendContext& ctx) : ctx_(ctx) {}
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
  Result<std::optional<bool>> admin_password_logs_in(const TenantContext& ctx) override;
  std::string running_core(const TenantContext& ctx) override;
  Status run_php(const TenantContext& ctx, const std::string& php,
                 const std::string& input) override;
  Status run_sql(const TenantContext& ctx, const std::string& sql) override;

  // The new value (new_tenant_secret) is pending under pending_secret_name in the
  // state's secret store until WordPress has it.
  Status rotate_admin_password(const TenantContext& ctx) override;

 private:
  std::filesystem::path site_dir(const TenantContext& ctx) const;
  // `php` with WordPress loaded, as the tenant; what it printed.
  Result<std::string> run_wordpress(const TenantContext& ctx, const std::string& php,
                                    const std::string& input);
  BackendContext& ctx_;
};

}  // namespace wpfleet::local
