// Storage on `local`: the tenant's own directory under the state dir — wp-content
// (themes, plugins, uploads) owned by the tenant's user, a private tmp and its logs.
// The directory itself and log/ stay wpfleet's (root:<tenant group> 0750), so the
// tenant can replace neither its config nor a log that root writes, and other tenants
// cannot enter. Running as root, this never resolves a name inside the tenant's trees.
#pragma once

#include "backends/registry.h"

namespace wpfleet::local {

class StorageProvider final : public ResourceProvider {
 public:
  explicit StorageProvider(BackendContext& ctx) : ctx_(ctx) {}
  ResourceKind kind() const override { return ResourceKind::Storage; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  Status check(const TenantContext& ctx) override;

 private:
  Status content_writable(const std::string& env, const std::string& tenant);
  BackendContext& ctx_;
};

}  // namespace wpfleet::local
