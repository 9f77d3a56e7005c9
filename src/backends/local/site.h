// Site on `local`: WordPress installed in the tenant's database (title, admin user,
// search-engine visibility from the fleet file) and answering 200 through nginx.
#pragma once

#include "backends/registry.h"

namespace wpfleet::local {

class SiteProvider final : public ResourceProvider {
 public:
  explicit SiteProvider(BackendContext& ctx) : ctx_(ctx) {}
  ResourceKind kind() const override { return ResourceKind::Site; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  // Drops every table of the tenant's database: a WordPress install interrupted
  // half-way cannot be resumed, only redone.
  Status discard_interrupted(const Environment& env, const std::string& tenant_id) override;

 private:
  BackendContext& ctx_;
};

}  // namespace wpfleet::local
