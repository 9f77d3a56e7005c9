// The tenant's secret in Secrets Manager, `{env}-{tenant}-db-credentials`: the JSON the
// user's scripts write (username, password, database, host, port) plus what wpfleet adds
// to it (WordPress's salts and admin password), read by the tenant's task definitions
// through `secrets`. Its tags also carry wpfleet's marks for what AWS cannot list
// cheaply: that the tenant's database was made and its site installed.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "aws/client.h"
#include "backends/aws/names.h"

namespace wpfleet::aws_backend {

struct TenantSecret {
  std::string arn;
  nlohmann::json value;  // the parsed SecretString (an object); null when only described
  Tags tags;
  bool scheduled_for_deletion = false;  // DeletedDate is set; RestoreSecret brings it back
};

// The secret without its value (one DescribeSecret): for what needs its ARN, tags or
// state only. Nullopt when no secret has the name.
Result<std::optional<TenantSecret>> describe_tenant_secret(aws::Client& client,
                                                           const std::string& name);

// The secret with its value (but for one scheduled for deletion, which cannot be read
// until it is restored). Nullopt when no secret has the name.
Result<std::optional<TenantSecret>> read_tenant_secret(aws::Client& client,
                                                       const std::string& name);

// Secrets Manager's ClientRequestToken ("8-4-4-4-12" hex): derived from `seed` (the
// same for every try at one create, so that a create whose answer was lost is done once),
// or random (a new version for PutSecretValue, which the SDKs make and a raw call must).
std::string request_token(const std::string& seed);
Result<std::string> random_request_token();

// The marks, as tag keys with the value "yes".
inline constexpr const char* kDatabaseReadyMark = "wpfleet:database-ready";
inline constexpr const char* kSiteInstalledMark = "wpfleet:site-installed";

Status set_mark(aws::Client& client, const std::string& secret_arn, const char* mark);

// The keys of the secret's JSON that task definitions read (valueFrom "<arn>:<key>::").
inline constexpr const char* kWordPressKeys[] = {
    "auth_key",  "secure_auth_key",  "logged_in_key",  "nonce_key",
    "auth_salt", "secure_auth_salt", "logged_in_salt", "nonce_salt"};
inline constexpr const char* kAdminPasswordKey = "admin_password";
// A rotation's new admin password until WordPress has it (`secret rotate ... admin-password`):
// while the key is there, the secrets check fails naming the command that finishes it.
inline constexpr const char* kPendingAdminPasswordKey = "admin_password_pending";
// The length of the passwords wpfleet generates into a tenant's secret.
inline constexpr std::size_t kGeneratedPasswordLength = 32;

}  // namespace wpfleet::aws_backend
