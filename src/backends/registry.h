// The explicit table of backends: a backend name from the fleet file -> the providers
// that implement its resource kinds. No static registration.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/provider.h"
#include "backends/tenant_data.h"
#include "platform/layout.h"
#include "state/secret_store.h"
#include "state/store.h"

namespace wpfleet {

struct BackendContext {
  StateLayout layout;
  StateStore& store;
  SecretStore& secrets;
};

using Providers = std::vector<std::unique_ptr<ResourceProvider>>;  // in kApplyOrder

Result<Providers> make_providers(const std::string& backend, BackendContext& ctx);
Result<std::unique_ptr<TenantData>> make_tenant_data(const std::string& backend,
                                                     BackendContext& ctx);

}  // namespace wpfleet
