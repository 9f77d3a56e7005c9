#include "backends/local/storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backends/local/identity.h"
#include "platform/platform_users.h"
#include "util/fs.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {
// The subdirectories the tenant's user owns and writes.
constexpr const char* kTenantOwnedDirs[] = {"wp-content", "wp-content/themes",
                                            "wp-content/plugins", "wp-content/uploads",
                                            "tmp", "log"};

// Themes shipped with core are linked, not copied: one read-only copy for all tenants.
Status link_core_themes(const fs::path& core_themes, const fs::path& tenant_themes) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(core_themes, ec)) {
    const fs::path link = tenant_themes / entry.path().filename();
    if (fs::symlink_status(link).type() != fs::file_type::not_found) continue;
    fs::create_directory_symlink(entry.path(), link, ec);
    if (ec) return make_error("cannot link theme " + link.string() + ": " + ec.message());
  }
  if (ec) return make_error("cannot list " + core_themes.string() + ": " + ec.message());
  return {};
}
}  // namespace

std::string StorageProvider::fingerprint(const TenantContext&) const { return "storage-v1"; }

// A wp-content the tenant cannot write counts as missing, so that plan shows the drift
// and apply repairs it.
Result<std::set<std::string>> StorageProvider::existing(const Environment& env,
                                                        const std::set<std::string>& candidates) {
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    if (content_writable(env.name, tenant)) found.insert(tenant);
  }
  return found;
}

Result<std::string> StorageProvider::ensure(const TenantContext& ctx) {
  const fs::path site = ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(RunAs owner, tenant_identity(ctx_.layout, ctx.env.name, ctx.tenant.id));
  TRY(make_dirs(site, 0755));
  for (const char* dir : kTenantOwnedDirs) {
    TRY(ensure_directory(site / dir, dir == std::string("tmp") ? 0700 : 0755, owner));
  }
  TRY(link_core_themes(ctx_.layout.core_dir() / "wp-content" / "themes",
                       site / "wp-content" / "themes"));
  return std::string(R"({"path":")" + site.string() + "\"}");
}

Status StorageProvider::remove(const Environment& env, const std::string& tenant_id) {
  return remove_tree(ctx_.layout.site_dir(env.name, tenant_id));
}

Status StorageProvider::content_writable(const std::string& env, const std::string& tenant) {
  const fs::path content = ctx_.layout.site_dir(env, tenant) / "wp-content";
  TRY_ASSIGN(RunAs owner, tenant_identity(ctx_.layout, env, tenant));
  struct stat st {};
  if (stat(content.c_str(), &st) != 0) {
    return make_error(content.string() + " is missing: run `wpfleet apply`");
  }
  if (st.st_uid != owner.uid || (st.st_mode & S_IWUSR) == 0) {
    return make_error(content.string() +
                      " is not writable by the tenant's user: run `wpfleet apply` to restore "
                      "its owner and mode");
  }
  return {};
}

Status StorageProvider::check(const TenantContext& ctx) {
  return content_writable(ctx.env.name, ctx.tenant.id);
}

}  // namespace wpfleet::local
