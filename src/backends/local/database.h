// Database on `local`: a MariaDB database and a user with privileges on it alone, on
// the platform's MariaDB server, reached over its Unix socket.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/registry.h"
#include "util/mysql_client.h"

namespace wpfleet::local {

Result<std::unique_ptr<MysqlClient>> connect_as_root(const BackendContext& ctx);

// The endpoint a tenant's own credentials use (what its wp-config says).
Result<MysqlEndpoint> tenant_endpoint(const BackendContext& ctx, const std::string& env,
                                      const std::string& tenant);

// What the tenant's database user may do beyond its own database (global privileges,
// grants on other databases or on wildcard patterns, table grants elsewhere), each as
// a sentence; empty when it reaches its own database alone.
Result<std::vector<std::string>> grant_problems(MysqlClient& root, const std::string& env,
                                                const std::string& tenant);

class DatabaseProvider final : public ResourceProvider {
 public:
  explicit DatabaseProvider(BackendContext& ctx) : ctx_(ctx) {}
  ResourceKind kind() const override { return ResourceKind::Database; }
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
