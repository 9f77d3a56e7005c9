// Site on `local`: WordPress installed in the tenant's database (title, admin user,
// search-engine visibility from the fleet file) and answering 200 through nginx.
// Installed means complete: every core table, the admin user, and the marker option
// the installer writes last. A first install left incomplete (a crash) is dropped and
// done again; a site wpfleet applied before and that lost parts is repaired in place.
#pragma once

#include <thread>
#include <vector>

#include "backends/local/reloads.h"
#include "backends/registry.h"

namespace wpfleet::local {

class SiteProvider final : public ResourceProvider {
 public:
  SiteProvider(BackendContext& ctx, std::shared_ptr<Reloads> reloads)
      : ctx_(ctx), reloads_(std::move(reloads)) {}
  ResourceKind kind() const override { return ResourceKind::Site; }
  std::string fingerprint(const TenantContext& ctx) const override;
  Result<std::set<std::string>> existing(const Environment& env,
                                         const std::set<std::string>& candidates) override;
  // Makes the environment's template database (template_db.h) while the earlier kinds
  // of its new tenants are made.
  void prepare(const Environment& env) override;
  Result<std::string> ensure(const TenantContext& ctx) override;
  Status remove(const Environment& env, const std::string& tenant_id) override;
  // Fails unless every core table, the admin user and the completion marker are there.
  Status check(const TenantContext& ctx) override;
  // Drops every table of the tenant's database: a WordPress install interrupted
  // half-way cannot be resumed, only redone.
  Status discard_interrupted(const Environment& env, const std::string& tenant_id) override;

 private:
  BackendContext& ctx_;
  std::shared_ptr<Reloads> reloads_;
  std::vector<std::jthread> preparing_;  // last: joined before the rest goes
};

}  // namespace wpfleet::local
