// Runtime on `local`: the tenant's wp-config and its own php-fpm pool (running as the
// tenant's user, pm = ondemand, open_basedir limited to core + its own directory).
#pragma once

#include <mutex>
#include <thread>
#include <vector>

#include "backends/local/reloads.h"
#include "backends/local/templates.h"
#include "backends/registry.h"
#include "util/process.h"

namespace wpfleet::local {

// The tenant's files in `env`, with the core of the environment's `core`.
SiteFiles site_files(const StateLayout& layout, const Environment& env, const std::string& tenant);

// Whether the environment's core is there, wpfleet's, with its version.php; else the
// error says how apply makes it again (the runtime counts as missing meanwhile).
Status core_present(const StateLayout& layout, const Environment& env);

// Makes the environment's core unless it is there (a release is downloaded: progress on
// stderr).
Status ensure_environment_core(const BackendContext& ctx, const Environment& env);

// The tenant's php-fpm pool file, whose php_admin settings confine its PHP everywhere.
std::filesystem::path pool_file(const StateLayout& layout, const std::string& env,
                                const std::string& tenant);

// The core a pool file's tenant runs: its core line, or Debian's for a pool written
// before environments chose their core.
std::filesystem::path pool_core(const StateLayout& layout, const std::string& pool_file_text);

// The core the tenant's pool runs, as an environment's `core` names it ("debian", a
// release); empty when the tenant has no pool file (not applied).
std::string tenant_core(const StateLayout& layout, const std::string& env, const std::string& tenant);

class RuntimeProvider final : public ResourceProvider {
 public:
  RuntimeProvider(BackendContext& ctx, std::shared_ptr<Reloads> reloads)
      : ctx_(ctx), reloads_(std::move(reloads)) {}
  ResourceKind kind() const override { return ResourceKind::Runtime; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  // Makes the environment's core and compiles it (compile_wordpress_core) while the
  // earlier kinds of its new tenants are made.
  void prepare(const Environment& env) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  Status commit() override;
  Status check(const TenantContext& ctx) override;
  // "WordPress <version>" of the core the tenant's pool runs.
  std::string describe(const TenantContext& ctx) override;
  std::vector<LogSource> logs(const TenantContext& ctx) const override;

 private:
  SiteConfigInput public_config_input(const TenantContext& ctx) const;
  Result<SiteConfigInput> site_config_input(const TenantContext& ctx) const;
  PoolInput pool_input(const TenantContext& ctx) const;
  std::vector<std::filesystem::path> written_files(const std::string& env,
                                                   const std::string& tenant) const;
  // wpfleet's programs for tenant PHP (StateLayout::php_support_dir).
  struct SupportFile {
    std::filesystem::path path;
    std::string content;
    mode_t mode;
    bool intact() const;  // this content and mode, owned by us
  };
  std::vector<SupportFile> support_files() const;
  bool support_files_intact() const;
  Status ensure_support_files();
  Status ensure_cli_opcache(const TenantContext& ctx, const RunAs& identity);
  bool config_private(const std::string& env, const std::string& tenant) const;
  BackendContext& ctx_;
  std::shared_ptr<Reloads> reloads_;
  ReloadBatch batch_;
  std::mutex support_files_mutex_;
  std::vector<std::jthread> preparing_;  // last: joined before the rest goes
};

}  // namespace wpfleet::local
