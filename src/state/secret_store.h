// Secrets encrypted at rest. Values are sealed with AES-256-GCM under a key kept in a
// separate 0600 key file next to the state database; the secret's scope and name are
// the associated data, so a row copied to another name does not decrypt.
//
// Scopes: "platform" (e.g. the MariaDB root password), "<env>" (environment-wide, e.g.
// basic auth) and "<env>/<tenant>" (a tenant's DB password, salts, admin password).
// Values are never logged; the CLI prints one only when asked for it by name.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "state/store.h"
#include "util/crypto.h"
#include "util/result.h"

namespace wpfleet {

class SecretStore {
 public:
  // Loads the key from key_path, creating it (32 random bytes, mode 0600) if absent.
  // A key file with the wrong size or permissions wider than 0600 is an error.
  static Result<SecretStore> open(StateStore& store, const std::filesystem::path& key_path);

  Result<std::string> get(const std::string& scope, const std::string& name) const;
  // The stored value, or a new one from `generate` stored first.
  Result<std::string> ensure(const std::string& scope, const std::string& name,
                             const std::function<Result<std::string>()>& generate) const;
  Status put(const std::string& scope, const std::string& name, const std::string& value) const;
  Result<std::vector<std::string>> names(const std::string& scope) const;
  Status remove(const std::string& scope, const std::string& name) const;
  Status remove_scope(const std::string& scope) const;

 private:
  SecretStore(StateStore& store, Bytes key) : store_(&store), key_(std::move(key)) {}
  StateStore* store_;
  Bytes key_;
};

std::string tenant_secret_scope(const std::string& env, const std::string& tenant);

// A rotation that must reach something outside the store (WordPress's admin user, say)
// stores the new value under the secret's name with this suffix first, and makes it
// current once the rest took it. A pending secret left behind is a rotation a crash
// stopped: the next rotation finishes it with that value.
inline constexpr std::string_view kPendingSuffix = ".pending";
std::string pending_secret_name(const std::string& name);

// The environment-scoped secret that gates an environment behind basic auth.
inline constexpr const char* kBasicAuthPassword = "basic-auth-password";
// The tenant-scoped secret with the WordPress admin user's password, by this name in
// `wpfleet secret get` and `secret rotate` whatever the backend keeps it as.
inline constexpr const char* kAdminPassword = "admin-password";

}  // namespace wpfleet
