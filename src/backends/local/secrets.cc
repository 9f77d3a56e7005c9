#include "backends/local/secrets.h"

#include <array>

namespace wpfleet::local {

namespace {
constexpr std::array<const char*, 3> kTenantSecrets = {kDbPassword, kAdminPassword, kWpSalts};

Result<std::string> generate_salts() {
  std::string salts;
  for (int i = 0; i < 8; ++i) {
    TRY_ASSIGN(std::string salt, random_password(64));
    salts += salt + "\n";
  }
  return salts;
}

bool has_all(const std::vector<std::string>& names) {
  for (const char* wanted : kTenantSecrets) {
    bool found = false;
    for (const auto& name : names) found = found || name == wanted;
    if (!found) return false;
  }
  return true;
}
}  // namespace

Result<std::string> new_tenant_secret(const std::string& name) {
  if (name == kWpSalts) return generate_salts();
  return random_password(name == kAdminPassword ? 24 : 32);
}

std::string SecretsProvider::fingerprint(const TenantContext&) const { return "secrets-v1"; }

Result<std::set<std::string>> SecretsProvider::existing(const Environment& env,
                                                        const std::set<std::string>& candidates) {
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    TRY_ASSIGN(auto names, ctx_.secrets.names(tenant_secret_scope(env.name, tenant)));
    if (has_all(names)) found.insert(tenant);
  }
  return found;
}

Result<std::string> SecretsProvider::ensure(const TenantContext& ctx) {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  std::string detail = "{\"secrets\":[";
  for (const char* name : kTenantSecrets) {
    TRY(ctx_.secrets.ensure(scope, name, [&] { return new_tenant_secret(name); }));
    detail += std::string(detail.back() == '[' ? "" : ",") + "\"" + name + "\"";
  }
  return detail + "]}";
}

Status SecretsProvider::remove(const Environment& env, const std::string& tenant_id) {
  return ctx_.secrets.remove_scope(tenant_secret_scope(env.name, tenant_id));
}

Status SecretsProvider::check(const TenantContext& ctx) {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  for (const char* name : kTenantSecrets) TRY(ctx_.secrets.get(scope, name));
  return {};
}

}  // namespace wpfleet::local
