// Route on `local`: the tenant's nginx server blocks (public, behind the environment's
// edge policy; and direct, on the environment's private socket), plus what the edge of
// its environment needs: the basic-auth password file, the page-cache zone and TLS
// certificates from wpfleet's local CA.
#pragma once

#include <mutex>

#include "backends/local/reloads.h"
#include "backends/local/templates.h"
#include "backends/registry.h"

namespace wpfleet::local {

class RouteProvider final : public ResourceProvider {
 public:
  RouteProvider(BackendContext& ctx, std::shared_ptr<Reloads> reloads)
      : ctx_(ctx), reloads_(std::move(reloads)) {}
  ResourceKind kind() const override { return ResourceKind::Route; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  Status commit() override;
  // Target health, as an ALB health check sees it: GET / on the direct socket.
  Status check(const TenantContext& ctx) override;
  std::vector<LogSource> logs(const TenantContext& ctx) const override;
  Status secret_changed(const Environment& env, const std::string& name) override;

 private:
  NginxSiteInput site_input(const TenantContext& ctx) const;
  Status ensure_environment_files(const Environment& env);
  // The environment's basic auth credentials hash; true when it was (re)written.
  Result<bool> ensure_credentials_file(const Environment& env);
  Status ensure_certificate(const TenantContext& ctx);
  BackendContext& ctx_;
  std::shared_ptr<Reloads> reloads_;
  ReloadBatch batch_;
  std::mutex environment_files_mutex_;  // tenants of one environment share its files
};

}  // namespace wpfleet::local
