#include "backends/local/storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "backends/local/identity.h"
#include "backends/local/runtime.h"
#include "util/fs.h"
#include "util/safe_tree.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {
// The subdirectories the tenant's user owns and writes, each after its parent.
struct TenantDir {
  const char* path;
  mode_t mode;
};
constexpr TenantDir kTenantOwnedDirs[] = {{"wp-content", 0755},
                                          {"wp-content/themes", 0755},
                                          {"wp-content/plugins", 0755},
                                          {"wp-content/uploads", 0755},
                                          {"tmp", 0700}};

// The logs live in a directory root owns: php-fpm's master (root) appends to
// php-access.log there, so the tenant must not be able to replace it with a link. The
// logs the tenant's own processes write (PHP's errors, the mail it sends) are made for
// it in advance.
constexpr char kLogDir[] = "log";
constexpr const char* kTenantLogs[] = {"php-error.log", "mail.log"};

// Whether a link the tenant's themes hold points into a core other than `core`: a theme
// of the core it ran before, which its PHP (open_basedir) may no longer read.
bool links_other_core(const StateLayout& layout, const fs::path& core, int dir, const std::string& name) {
  char target[PATH_MAX];
  const ssize_t size = ::readlinkat(dir, name.c_str(), target, sizeof target - 1);
  if (size < 0) return false;  // not a link
  const std::string text(target, static_cast<std::size_t>(size));
  const auto under = [&](const fs::path& root) { return text.starts_with(root.string() + "/"); };
  return !under(core) && (under(layout.core_dir(kDebianCore)) || under(layout.core_store()));
}

// Themes shipped with core are linked, not copied: one read-only copy for all tenants.
// Links into another core (the environment changed its core) are replaced. Only links
// are read here, through the directory's descriptor, never followed.
Status link_core_themes(const StateLayout& layout, const fs::path& core, int tenant_themes) {
  const fs::path core_themes = core / "wp-content" / "themes";
  TRY_ASSIGN(std::vector<std::string> names, list_dir(tenant_themes));
  for (const std::string& name : names) {
    if (links_other_core(layout, core, tenant_themes, name) &&
        ::unlinkat(tenant_themes, name.c_str(), 0) != 0) {
      return make_error("cannot unlink theme " + name + " of the previous core: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(core_themes, ec)) {
    const std::string name = entry.path().filename().string();
    struct stat st {};
    if (::fstatat(tenant_themes, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) continue;
    if (::symlinkat(entry.path().c_str(), tenant_themes, name.c_str()) != 0 && errno != EEXIST) {
      return make_error("cannot link theme " + name + " into the tenant's themes: " +
                        std::strerror(errno));
    }
  }
  if (ec) return make_error("cannot list " + core_themes.string() + ": " + ec.message());
  return {};
}

// Makes log/ root's again (older layouts gave it to the tenant), removes whatever the
// tenant may have planted there (links, hard links, directories), and creates the logs
// its processes write.
Status ensure_log_dir(int site, const Owner& platform, const Owner& tenant) {
  TRY_ASSIGN(UniqueFd log, ensure_dir_at(site, kLogDir, 0750, platform));
  TRY_ASSIGN(std::vector<std::string> names, list_dir(log.get()));
  for (const auto& name : names) TRY(remove_unless_plain_file_at(log.get(), name));
  for (const char* name : kTenantLogs) TRY(ensure_file_at(log.get(), name, 0640, tenant));
  return {};
}

}  // namespace

// The theme links follow the environment's core (Debian's, the first, adds nothing).
std::string StorageProvider::fingerprint(const TenantContext& ctx) const {
  return ctx.env.core == kDebianCore ? "storage-v2" : "storage-v2 core " + ctx.env.core;
}

// Storage that is not as ensure() leaves it (a directory the tenant cannot write, or
// that is a link; logs the tenant could replace) counts as missing, so that plan shows
// the drift and apply repairs it.
Result<std::set<std::string>> StorageProvider::existing(const Environment& env,
                                                        const std::set<std::string>& candidates) {
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    if (content_writable(env.name, tenant)) found.insert(tenant);
  }
  return found;
}

// The site directory is root:<tenant group> 0750: the tenant (and, through that group,
// the web server) may enter it, other tenants may not. Everything inside the tenant's
// trees is reached through descriptors: the tenant's PHP may have put links there.
Result<std::string> StorageProvider::ensure(const TenantContext& ctx) {
  const fs::path site = ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(RunAs identity, tenant_identity(ctx_.layout, ctx.env.name, ctx.tenant.id));
  const Owner tenant{identity.uid, identity.gid};
  const Owner platform{::geteuid(), identity.gid};
  TRY(make_dirs(site.parent_path(), 0755));
  TRY_ASSIGN(UniqueFd parent, open_dir(site.parent_path()));
  TRY_ASSIGN(UniqueFd site_fd, in_dir(site.parent_path(),
                                      ensure_dir_at(parent.get(), site.filename(), 0750, platform)));
  for (const TenantDir& dir : kTenantOwnedDirs) {
    const fs::path path(dir.path);
    TRY_ASSIGN(UniqueFd above, in_dir(site, open_dir_beneath(site_fd.get(), path.parent_path())));
    TRY(in_dir(site, ensure_dir_at(above.get(), path.filename(), dir.mode, tenant)));
  }
  TRY(in_dir(site, ensure_log_dir(site_fd.get(), platform, tenant)));
  TRY_ASSIGN(UniqueFd themes, in_dir(site, open_dir_beneath(site_fd.get(), "wp-content/themes")));
  TRY(ensure_environment_core(ctx_, ctx.env));
  TRY(link_core_themes(ctx_.layout, ctx_.layout.core_dir(ctx.env.core), themes.get()));
  return std::string(R"({"path":")" + site.string() + "\"}");
}

Status StorageProvider::remove(const Environment& env, const std::string& tenant_id) {
  return remove_tree(ctx_.layout.site_dir(env.name, tenant_id));
}

Status StorageProvider::content_writable(const std::string& env, const std::string& tenant) {
  const fs::path site = ctx_.layout.site_dir(env, tenant);
  TRY_ASSIGN(RunAs owner, tenant_identity(ctx_.layout, env, tenant));
  const std::string repair = ": run `wpfleet apply` to restore its owner and mode";
  // lstat: a link counts as what it is, not as what it points to.
  auto stat_of = [&](const fs::path& path) -> Result<struct stat> {
    struct stat st {};
    if (::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return make_error(path.string() + " is missing: run `wpfleet apply`");
    }
    if (!S_ISDIR(st.st_mode)) return make_error(path.string() + " is not a directory" + repair);
    return st;
  };
  for (const TenantDir& dir : kTenantOwnedDirs) {
    TRY_ASSIGN(struct stat st, stat_of(site / dir.path));
    if (st.st_uid != owner.uid || (st.st_mode & S_IWUSR) == 0) {
      return make_error((site / dir.path).string() + " is not writable by the tenant's user" + repair);
    }
  }
  TRY_ASSIGN(struct stat log, stat_of(site / kLogDir));
  if (log.st_uid != ::geteuid()) {
    return make_error((site / kLogDir).string() + " is not wpfleet's, so the tenant could put links "
                      "there for php-fpm to follow" + repair);
  }
  return {};
}

Status StorageProvider::check(const TenantContext& ctx) {
  return content_writable(ctx.env.name, ctx.tenant.id);
}

}  // namespace wpfleet::local
