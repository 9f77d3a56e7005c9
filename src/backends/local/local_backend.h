// The `local` backend: everything on this machine, under the state directory.
#pragma once

#include "backends/registry.h"

namespace wpfleet::local {

// When wpfleet runs as root each tenant gets its own Unix user; otherwise tenants share
// the invoking user and isolation rests on open_basedir alone.
bool isolated_users();

Providers make_local_providers(BackendContext& ctx);
std::unique_ptr<TenantData> make_local_tenant_data(BackendContext& ctx);

}  // namespace wpfleet::local
