// The kinds of resource every backend provides for a tenant in an environment, in the
// order apply creates them (delete runs in reverse). On `local` they are a Unix user,
// secrets in the encrypted store, a MariaDB database, a directory, a php-fpm pool, an
// nginx server block and a WordPress install; on `aws` an IAM policy, Secrets Manager,
// an RDS database, an EFS access point, an ECS service, an ALB rule and the install.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace wpfleet {

enum class ResourceKind { Identity, Secrets, Database, Storage, Runtime, Route, Site };

inline constexpr std::array<ResourceKind, 7> kApplyOrder = {
    ResourceKind::Identity, ResourceKind::Secrets, ResourceKind::Database, ResourceKind::Storage,
    ResourceKind::Runtime,  ResourceKind::Route,   ResourceKind::Site};

std::string_view kind_name(ResourceKind kind);
std::optional<ResourceKind> kind_from_name(std::string_view name);

}  // namespace wpfleet
