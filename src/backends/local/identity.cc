#include "backends/local/identity.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "platform/platform_users.h"

namespace wpfleet::local {

namespace {
constexpr int kFirstTenantId = 20000;
constexpr int kLastTenantId = 59999;

// getpwnam() scans /etc/passwd line by line; with a user per tenant that is O(tenants)
// per lookup, and plan looks up every tenant: O(tenants^2). So the user database is read
// once, and read again only after wpfleet itself adds or deletes a user.
class UserDirectory {
 public:
  std::optional<RunAs> find(const std::string& name) {
    std::lock_guard lock(mutex_);
    if (!users_) users_ = read_all();
    auto it = users_->find(name);
    if (it == users_->end()) return std::nullopt;
    return it->second;
  }
  void forget() {
    std::lock_guard lock(mutex_);
    users_.reset();
  }

 private:
  static std::map<std::string, RunAs> read_all() {
    std::map<std::string, RunAs> users;
    setpwent();
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    while (getpwent_r(&entry, buffer, sizeof buffer, &found) == 0 && found) {
      users.emplace(found->pw_name, RunAs{found->pw_uid, found->pw_gid});
    }
    endpwent();
    return users;
  }
  std::mutex mutex_;
  std::optional<std::map<std::string, RunAs>> users_;
};

UserDirectory& user_directory() {
  static UserDirectory directory;
  return directory;
}

std::optional<RunAs> lookup_user(const std::string& name) { return user_directory().find(name); }

Status run_admin_tool(const std::vector<std::string>& argv) {
  CommandSpec spec;
  spec.argv = argv;
  TRY_ASSIGN(auto output, run_command(spec));
  user_directory().forget();
  if (output.exit_code != 0) {
    return make_error(argv[0] + " failed: " + output.err +
                      " (needs root and the Debian package passwd)");
  }
  return {};
}
}  // namespace

Result<RunAs> tenant_identity(const StateLayout& layout, const std::string& env,
                              const std::string& tenant) {
  if (!isolated_users()) return RunAs{getuid(), getgid()};
  const std::string name = unix_user(layout, env, tenant);
  if (auto user = lookup_user(name)) return *user;
  return make_error("the Unix user " + name + " of tenant '" + tenant + "' in " + env +
                    " does not exist: run `wpfleet apply`");
}

namespace {
// nginx's workers serve the tenant's static files from a site directory that only the
// tenant's group may enter (other tenants may not read it), so they join that group.
bool web_user_in_group(const std::string& group_name) {
  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer(1 << 16);
  if (getgrnam_r(group_name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return false;
  }
  for (char** member = found->gr_mem; *member; ++member) {
    if (std::string(*member) == kWebUser) return true;
  }
  return false;
}
}  // namespace

std::string IdentityProvider::fingerprint(const TenantContext&) const { return "identity-v2"; }

Result<std::set<std::string>> IdentityProvider::existing(const Environment& env,
                                                         const std::set<std::string>& candidates) {
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    if (lookup_user(unix_user(ctx_.layout, env.name, tenant))) found.insert(tenant);
  }
  return found;
}

Result<std::string> IdentityProvider::ensure(const TenantContext& ctx) {
  const std::string name = unix_user(ctx_.layout, ctx.env.name, ctx.tenant.id);
  std::lock_guard lock(passwd_mutex_);
  if (!lookup_user(name)) {
    // Not --system: Debian's system range (100-999) runs out after ~900 tenants, and
    // a fleet can have thousands. A range of its own keeps them apart from people.
    TRY(run_admin_tool({"useradd", "-K", "UID_MIN=" + std::to_string(kFirstTenantId),
                        "-K", "UID_MAX=" + std::to_string(kLastTenantId),
                        "-K", "GID_MIN=" + std::to_string(kFirstTenantId),
                        "-K", "GID_MAX=" + std::to_string(kLastTenantId),
                        "--user-group", "--no-create-home",
                        "--home-dir", ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id).string(),
                        "--shell", "/usr/sbin/nologin", "--comment",
                        "wpfleet " + ctx.env.name + "/" + ctx.tenant.id, name}));
  }
  if (!web_user_in_group(name)) TRY(run_admin_tool({"gpasswd", "--add", kWebUser, name}));
  return std::string(R"({"unix_user":")" + name + "\"}");
}

Status IdentityProvider::remove(const Environment& env, const std::string& tenant_id) {
  const std::string name = unix_user(ctx_.layout, env.name, tenant_id);
  std::lock_guard lock(passwd_mutex_);
  auto user = lookup_user(name);
  if (!user) return {};
  // userdel refuses a user with processes (a PHP worker finishing its last request, a
  // cron run): the tenant is being deleted, so they go first.
  TRY(kill_user_processes(user->uid, std::chrono::seconds(10)));
  // userdel keeps a user's own group while it has members, and useradd --user-group
  // would then refuse the name forever.
  if (web_user_in_group(name)) TRY(run_admin_tool({"gpasswd", "--delete", kWebUser, name}));
  return run_admin_tool({"userdel", name});
}

}  // namespace wpfleet::local
