#include "backends/resource.h"

namespace wpfleet {

std::string_view kind_name(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::Identity: return "identity";
    case ResourceKind::Secrets: return "secrets";
    case ResourceKind::Database: return "database";
    case ResourceKind::Storage: return "storage";
    case ResourceKind::Runtime: return "runtime";
    case ResourceKind::Route: return "route";
    case ResourceKind::Site: return "site";
  }
  return "unknown";
}

std::optional<ResourceKind> kind_from_name(std::string_view name) {
  for (ResourceKind kind : kApplyOrder) {
    if (kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace wpfleet
