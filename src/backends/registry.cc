#include "backends/registry.h"

#include "backends/local/local_backend.h"

namespace wpfleet {

namespace {
struct BackendEntry {
  const char* name;
  Providers (*make)(BackendContext& ctx);
};

constexpr BackendEntry kBackends[] = {
    {"local", &local::make_local_providers},
};
}  // namespace

Result<Providers> make_providers(const std::string& backend, BackendContext& ctx) {
  for (const auto& entry : kBackends) {
    if (backend == entry.name) return entry.make(ctx);
  }
  return make_error("backend '" + backend + "' is not available; use \"local\"");
}

}  // namespace wpfleet
