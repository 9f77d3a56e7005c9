// TEMPORARY while the providers are written: each factory below is replaced by the
// provider's own file, and this file is deleted.
#include "backends/aws/providers.h"

namespace wpfleet::aws_backend {
namespace {
class PendingProvider : public ResourceProvider {
 public:
  explicit PendingProvider(ResourceKind kind) : kind_(kind) {}
  ResourceKind kind() const override { return kind_; }
  std::string fingerprint(const TenantContext&) const override { return "pending"; }
  Result<std::set<std::string>> existing(const Environment&, const std::set<std::string>&) override {
    return std::set<std::string>{};
  }
  Result<std::string> ensure(const TenantContext&) override { return make_error("not written yet"); }
  Status remove(const Environment&, const std::string&) override { return make_error("not written yet"); }

 private:
  ResourceKind kind_;
};
}  // namespace
std::unique_ptr<ResourceProvider> make_identity_provider(SharedPlatforms) {
  return std::make_unique<PendingProvider>(ResourceKind::Identity);
}
std::unique_ptr<ResourceProvider> make_secrets_provider(SharedPlatforms) {
  return std::make_unique<PendingProvider>(ResourceKind::Secrets);
}
std::unique_ptr<ResourceProvider> make_database_provider(SharedPlatforms) {
  return std::make_unique<PendingProvider>(ResourceKind::Database);
}
}  // namespace wpfleet::aws_backend
