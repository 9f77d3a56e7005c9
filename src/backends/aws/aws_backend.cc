#include "backends/aws/aws_backend.h"

#include "backends/aws/providers.h"

namespace wpfleet::aws_backend {

namespace {

// Content commands (export, import, promote, snapshot, rollback) need a TenantData;
// the aws one is not written yet, and every call says so.
class UnavailableTenantData : public TenantData {
 public:
  Status dump_database(const TenantContext& ctx, const std::vector<std::string>&,
                       const ByteSink&) override {
    return unavailable(ctx);
  }
  Result<std::map<std::string, std::uint64_t>> row_counts(const TenantContext& ctx) override {
    return unavailable(ctx);
  }
  Result<std::unique_ptr<SqlLoad>> load_staging_database(const TenantContext& ctx) override {
    return unavailable(ctx);
  }
  Result<std::map<std::string, std::uint64_t>> staged_row_counts(
      const TenantContext& ctx) override {
    return unavailable(ctx);
  }
  Result<UniqueFd> staging_files(const TenantContext& ctx) override { return unavailable(ctx); }
  Status read_files(const TenantContext& ctx, const TreeVisitor&) override {
    return unavailable(ctx);
  }
  Status adopt_staged_files(const TenantContext& ctx) override { return unavailable(ctx); }
  Status swap_in_staging(const TenantContext& ctx, const SwapScope&) override {
    return unavailable(ctx);
  }
  Status restore_previous(const TenantContext& ctx, const SwapScope&) override {
    return unavailable(ctx);
  }
  Status discard_previous(const TenantContext& ctx) override { return unavailable(ctx); }
  Status discard_staging(const TenantContext& ctx) override { return unavailable(ctx); }
  Result<std::string> content_fingerprint(const TenantContext& ctx) override {
    return unavailable(ctx);
  }
  Status reset_admin_password(const TenantContext& ctx) override { return unavailable(ctx); }
  Status run_php(const TenantContext& ctx, const std::string&, const std::string&) override {
    return unavailable(ctx);
  }
  Status run_sql(const TenantContext& ctx, const std::string&) override {
    return unavailable(ctx);
  }

 private:
  static Error unavailable(const TenantContext& ctx) {
    return make_error("moving content (export, import, promote, snapshot, rollback, "
                      "search-replace) does not work on aws environments yet, and '" +
                      ctx.env.name + "' is one; use it on local environments");
  }
};

}  // namespace

Providers make_aws_providers(BackendContext& ctx) {
  auto platforms = std::make_shared<AwsPlatforms>(aws::Environment::current());
  Providers providers;
  providers.push_back(make_identity_provider(platforms));
  providers.push_back(make_secrets_provider(platforms));
  providers.push_back(make_database_provider(platforms));
  providers.push_back(make_storage_provider(platforms));
  providers.push_back(make_runtime_provider(platforms, &ctx.store));
  providers.push_back(make_route_provider(platforms));
  providers.push_back(make_site_provider(platforms));
  return providers;
}

std::unique_ptr<TenantData> make_aws_tenant_data(BackendContext& /*ctx*/) {
  return std::make_unique<UnavailableTenantData>();
}

}  // namespace wpfleet::aws_backend
