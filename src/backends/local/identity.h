// Identity on `local`: one Unix system user (and group) per tenant and environment,
// which owns the tenant's files and runs its PHP. Only when wpfleet runs as root.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <optional>

#include "backends/registry.h"
#include "util/process.h"

namespace wpfleet::local {

// uid/gid of the user that runs this tenant's PHP: its own user when isolated, the
// invoking user otherwise.
Result<RunAs> tenant_identity(const StateLayout& layout, const std::string& env,
                              const std::string& tenant);

class IdentityProvider final : public ResourceProvider {
 public:
  explicit IdentityProvider(BackendContext& ctx) : ctx_(ctx) {}
  ResourceKind kind() const override { return ResourceKind::Identity; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;

 private:
  BackendContext& ctx_;
  std::mutex passwd_mutex_;  // useradd/userdel lock /etc/passwd: one at a time
};

}  // namespace wpfleet::local
