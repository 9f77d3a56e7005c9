#include "backends/registry.h"

#include "backends/aws/aws_backend.h"
#include "backends/local/local_backend.h"

namespace wpfleet {

namespace {
struct BackendEntry {
  const char* name;
  Providers (*make_providers)(BackendContext& ctx);
  std::unique_ptr<TenantData> (*make_tenant_data)(BackendContext& ctx);
};

constexpr BackendEntry kBackends[] = {
    {"local", &local::make_local_providers, &local::make_local_tenant_data},
    {"aws", &aws_backend::make_aws_providers, &aws_backend::make_aws_tenant_data},
};

Result<const BackendEntry*> find_backend(const std::string& backend) {
  for (const auto& entry : kBackends) {
    if (backend == entry.name) return &entry;
  }
  return make_error("backend '" + backend + "' is not available; use \"local\"");
}
}  // namespace

Result<Providers> make_providers(const std::string& backend, BackendContext& ctx) {
  TRY_ASSIGN(const BackendEntry* entry, find_backend(backend));
  return entry->make_providers(ctx);
}

Result<std::unique_ptr<TenantData>> make_tenant_data(const std::string& backend,
                                                     BackendContext& ctx) {
  TRY_ASSIGN(const BackendEntry* entry, find_backend(backend));
  return entry->make_tenant_data(ctx);
}

}  // namespace wpfleet
