// The rules for single values of a fleet file, apart from TOML and positions.
//
// Each check returns a message of the form "what is wrong; how to fix it"; the parser
// prefixes it with file:line:column. Rules that span values (unique ids, host conflicts)
// live in the parser, which sees the whole file.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "fleet/model.h"
#include "util/result.h"

namespace wpfleet::validate {

// The backends an environment may name. Add one here when its implementation lands.
inline constexpr auto kAvailableBackends = std::to_array<std::string_view>({"local", "aws"});

// Ids that would collide with names wpfleet or the servers use for themselves.
inline constexpr auto kReservedTenantIds =
    std::to_array<std::string_view>({"www", "admin", "root", "mysql", "mariadb", "wpfleet",
                                     "localhost", "default", "all", "none", "api", "mail", "test"});

inline constexpr std::size_t kMaxTenantIdLength = 32;

// S3's rules for a bucket's name, without the dots path-style addressing (aws/s3.h)
// cannot take; and an AWS region's form, e.g. "eu-west-1". ECMAScript regexes.
inline constexpr char kS3BucketPattern[] = R"([a-z0-9][a-z0-9-]{1,61}[a-z0-9])";
inline constexpr char kAwsRegionPattern[] = R"([a-z]{2}(-gov)?-[a-z]+-[0-9])";

Status environment_name(std::string_view name);
Status backend(std::string_view name);
// A domain pattern such as "{tenant}.wpdev.localhost".
Status domain_pattern(std::string_view domain);
Result<ListenAddress> listen_address(std::string_view text);

// PHP limits, each parsed from its fleet-file form into the model's unit.
Result<int> max_children(std::int64_t count);
Result<int> memory_limit_mb(std::string_view size);
Result<int> upload_max_mb(std::string_view size);
Result<int> idle_timeout_s(std::string_view duration);
Result<int> page_cache_s(std::string_view duration);
Status basic_auth_user(std::string_view user);
Status allow_cidr(std::string_view cidr);
Result<Hook> hook(std::string_view text);
// "debian", or a WordPress release number: "6.8" or "6.8.3".
Status core_version(std::string_view core);
Result<int> snapshot_retention(std::int64_t count);
// "500MB", "5GB", "2TB" (binary units, as PHP's sizes: 1GB = 1024MB), 1MB..1024TB, in bytes.
Result<std::uint64_t> snapshot_budget(std::string_view size);
Status webhook_url(std::string_view url);
Result<int> backup_every_s(std::string_view duration);
Result<int> backup_keep(std::int64_t count);
Status backup_destination(std::string_view to);
// An AWS region's form, e.g. "eu-west-1".
Status aws_region(std::string_view region);
Status alert_command(std::string_view command);

// Shape and reserved words only; uniqueness needs the whole fleet.
Status tenant_id(std::string_view id);
Status title(std::string_view title);
Status admin_email(std::string_view email);
Status alias(std::string_view host);
// A tenant's own canonical host name (`domains`).
Status tenant_domain(std::string_view host);

}  // namespace wpfleet::validate
