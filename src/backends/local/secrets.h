// A tenant's secrets in the encrypted local store: its database password, WordPress
// salts and the admin password. Generated once from the CSPRNG, never rotated
// implicitly, never printed.
#pragma once

#include "backends/registry.h"

namespace wpfleet::local {

inline constexpr const char* kDbPassword = "db-password";
// The admin password is kAdminPassword (state/secret_store.h): commands name it on
// every backend.
inline constexpr const char* kWpSalts = "wp-salts";  // 8 lines: AUTH_KEY .. NONCE_SALT

// A new value for the tenant secret `name`, from the CSPRNG: what apply stores first and
// a rotation replaces it with.
Result<std::string> new_tenant_secret(const std::string& name);

class SecretsProvider final : public ResourceProvider {
 public:
  explicit SecretsProvider(BackendContext& ctx) : ctx_(ctx) {}
  ResourceKind kind() const override { return ResourceKind::Secrets; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  Status check(const TenantContext& ctx) override;

 private:
  BackendContext& ctx_;
};

}  // namespace wpfleet::local
