#include "backends/local/audit.h"

#include <grp.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "backends/local/audit_probe.h"
#include "backends/local/database.h"
#include "backends/local/identity.h"
#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/runtime.h"
#include "backends/local/templates.h"
#include "platform/platform_users.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/process.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

bool TenantAudit::ok() const {
  for (const auto& check : checks) {
    if (!check.ok) return false;
  }
  return true;
}

namespace {
AuditCheck passed(std::string name, std::string detail) {
  return {std::move(name), true, std::move(detail)};
}
AuditCheck failed(std::string name, std::string detail) {
  return {std::move(name), false, std::move(detail)};
}

std::string octal(mode_t mode) {
  std::ostringstream out;
  out << std::oct << (mode & 07777);
  return out.str();
}

std::string joined(const std::vector<std::string>& items, const std::string& separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// What a path must look like: owner, group (when given) and the mode bits it must not have.
struct Expected {
  fs::path path;
  uid_t owner;
  std::optional<gid_t> group;
  mode_t forbidden_bits;
  std::string why;
};

std::optional<std::string> mismatch(const Expected& want) {
  struct stat st {};
  if (::lstat(want.path.c_str(), &st) != 0) return want.path.string() + " is missing";
  std::vector<std::string> wrong;
  if (S_ISLNK(st.st_mode)) wrong.push_back("is a symlink");
  if (st.st_uid != want.owner) wrong.push_back("owner uid " + std::to_string(st.st_uid));
  if (want.group && st.st_gid != *want.group) wrong.push_back("group gid " + std::to_string(st.st_gid));
  if (st.st_mode & want.forbidden_bits) wrong.push_back("mode " + octal(st.st_mode));
  if (wrong.empty()) return std::nullopt;
  return want.path.string() + " " + joined(wrong) + " (" + want.why + ")";
}

AuditCheck expect_all(const std::string& name, const std::vector<Expected>& wanted) {
  std::vector<std::string> problems;
  for (const auto& want : wanted) {
    if (auto problem = mismatch(want)) problems.push_back(*problem);
  }
  if (problems.empty()) return passed(name, std::to_string(wanted.size()) + " paths as expected");
  return failed(name, joined(problems, "; ") + "; `wpfleet apply` restores them");
}

// Paths of `other` that no other tenant may read or list.
std::vector<std::string> private_paths(const StateLayout& layout, const TenantContext& other) {
  const fs::path site = layout.site_dir(other.env.name, other.tenant.id);
  const fs::path nginx_log = layout.nginx_log_dir() / pool_name(other.env.name, other.tenant.id);
  return {site.string(), (site / "wp-config.php").string(), (site / "wp-content").string(),
          (site / "wp-content" / "uploads").string(), (site / "log" / "php-error.log").string(),
          (site / "log" / "mail.log").string(), nginx_log.string() + ".access.log"};
}

std::vector<std::string> platform_paths(const StateLayout& layout) {
  return {layout.state_db().string(),         layout.secret_key().string(),
          layout.log_dir().string(),          layout.nginx_log_dir().string(),
          (layout.nginx_log_dir() / "access.log").string(),
          layout.nginx_cache_root().string(), (layout.nginx_dir() / "auth").string(),
          layout.mariadb_data().string(),     (layout.tls_dir() / "ca.key").string(),
          (layout.log_dir() / "php-fpm.log").string(),  // every worker's stray output
          (layout.log_dir() / "supervisor.log").string(), "/etc/shadow"};
}

std::vector<std::string> forbidden_for(const StateLayout& layout, const TenantContext& who,
                                       const std::vector<TenantContext>& everyone) {
  std::vector<std::string> paths = platform_paths(layout);
  for (const auto& other : everyone) {
    if (other.env.name == who.env.name && other.tenant.id == who.tenant.id) continue;
    for (auto& path : private_paths(layout, other)) paths.push_back(std::move(path));
  }
  return paths;
}

// The same reads as the tenant's Unix user, outside PHP: what a tenant that got past
// disable_functions (a native extension, a bug) could still do.
AuditCheck unix_reads(const BackendContext& ctx, const TenantContext& who,
                      const std::vector<std::string>& forbidden) {
  if (!isolated_users()) {
    return failed("unix:foreign-files", "tenants share one Unix user (wpfleet was not run as "
                                        "root), so only open_basedir separates them: run "
                                        "`wpfleet up` and `wpfleet apply` as root");
  }
  auto identity = tenant_identity(ctx.layout, who.env.name, who.tenant.id);
  if (!identity) return failed("unix:foreign-files", identity.error().message);
  CommandSpec spec;
  spec.run_as = *identity;
  spec.clear_env = true;
  spec.argv = {"/bin/sh", "-c",
               "for p; do if [ -d \"$p\" ]; then [ -r \"$p\" ] && [ -x \"$p\" ] && echo \"$p\"; "
               "elif [ -r \"$p\" ]; then echo \"$p\"; fi; done",
               "audit"};
  spec.argv.insert(spec.argv.end(), forbidden.begin(), forbidden.end());
  auto output = run_command(spec);
  if (!output) return failed("unix:foreign-files", output.error().message);
  std::vector<std::string> readable;
  std::istringstream lines(output->out);
  for (std::string line; std::getline(lines, line);) readable.push_back(line);
  if (readable.empty()) {
    return passed("unix:foreign-files",
                  std::to_string(forbidden.size()) + " paths refused to the tenant's Unix user");
  }
  return failed("unix:foreign-files", "the tenant's Unix user can read " + joined(readable) +
                                          ": `wpfleet apply` restores owners and modes");
}

std::string lookalike_database(const std::string& db) {
  std::string lookalike = db;
  for (char& c : lookalike) c = c == '_' ? 'X' : c;
  return lookalike;
}

// Runs the probe through the tenant's pool, on the environment's direct socket.
std::vector<AuditCheck> php_probe(const BackendContext& ctx, const TenantContext& who,
                                  const std::vector<std::string>& forbidden,
                                  const std::vector<TenantContext>& everyone) {
  const std::string db = database_name(who.env.name, who.tenant.id);
  nlohmann::json databases = nlohmann::json::array();
  for (const auto& other : everyone) {
    const std::string name = database_name(other.env.name, other.tenant.id);
    if (name != db) databases.push_back(name);
  }
  auto pool = read_file(pool_file(ctx.layout, who.env.name, who.tenant.id));
  std::string sendmail;
  if (pool) {
    for (const auto& setting : pool_php_settings(*pool)) {
      if (setting.name == "sendmail_path") sendmail = setting.value;
    }
  }
  const nlohmann::json request_body = {{"functions", disabled_php_functions()},
                                       {"forbidden", forbidden},
                                       {"databases", databases},
                                       {"lookalike", lookalike_database(db)},
                                       {"sendmail_path", sendmail}};
  HttpRequest request;
  request.method = "POST";
  request.url = "http://" + who.hosts.front() + kAuditProbeUri;
  request.unix_socket = ctx.layout.nginx_direct_socket(who.env.name).string();
  request.headers = {"Content-Type: application/json"};
  request.body = request_body.dump();
  request.timeout = std::chrono::seconds(30);
  auto reply = http_request(request);
  const std::string fix = ": check `wpfleet verify " + who.tenant.id + " -e " + who.env.name +
                          "`, then `wpfleet apply`";
  if (!reply) return {failed("php:probe", "the probe did not run (" + reply.error().message + ")" + fix)};
  auto answer = nlohmann::json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || !answer.is_object() || !answer.contains("checks")) {
    return {failed("php:probe", "the probe answered HTTP " + std::to_string(reply->status) + ": " +
                                    reply->body.substr(0, 300) + fix)};
  }
  std::vector<AuditCheck> checks;
  for (const auto& check : answer["checks"]) {
    const bool ok = check.value("ok", false);
    // What the probe got past comes from the pool's settings, the modes and the grants
    // that apply writes: the same repair as every other check here.
    checks.push_back({"php:" + check.value("name", "?"), ok,
                      check.value("detail", "") + (ok ? "" : "; `wpfleet apply` restores the "
                                                                "pool, modes and grants, then "
                                                                "`wpfleet audit` again")});
  }
  if (isolated_users()) {
    auto identity = tenant_identity(ctx.layout, who.env.name, who.tenant.id);
    const long uid = answer.value("uid", -1L);
    if (!identity || uid != static_cast<long>(identity->uid)) {
      checks.push_back(failed("php:identity", "the pool runs PHP as uid " + std::to_string(uid) +
                                                  ", not the tenant's own user" + fix));
    } else {
      checks.push_back(passed("php:identity", "PHP runs as the tenant's own user"));
    }
  }
  return checks;
}

// The pool file as apply wrote it still confines the tenant (a hand edit would show here
// before anything else notices).
AuditCheck pool_settings(const BackendContext& ctx, const TenantContext& who) {
  auto pool = read_file(pool_file(ctx.layout, who.env.name, who.tenant.id));
  if (!pool) return failed("pool", pool.error().message + ": run `wpfleet apply`");
  std::string disabled, basedir;
  for (const auto& setting : pool_php_settings(*pool)) {
    if (setting.name == "disable_functions") disabled = setting.value;
    if (setting.name == "open_basedir") basedir = setting.value;
  }
  std::vector<std::string> missing;
  const std::string listed = "," + disabled + ",";
  for (const auto& function : disabled_php_functions()) {
    if (listed.find("," + function + ",") == std::string::npos) missing.push_back(function);
  }
  std::vector<std::string> problems;
  if (!missing.empty()) problems.push_back("disable_functions lacks " + joined(missing));
  const std::string site = ctx.layout.site_dir(who.env.name, who.tenant.id).string();
  std::istringstream parts(basedir);
  for (std::string part; std::getline(parts, part, ':');) {
    const bool allowed = part.starts_with(site + "/") || part == ctx.layout.core_dir(who.env.core).string() + "/" ||
                         part == ctx.layout.php_support_dir().string() + "/";
    if (!allowed) problems.push_back("open_basedir allows " + part);
  }
  if (basedir.empty()) problems.push_back("open_basedir is not set");
  if (isolated_users() && pool->find("\nuser = " + unix_user(ctx.layout, who.env.name, who.tenant.id) + "\n") ==
                              std::string::npos) {
    problems.push_back("the pool does not run as the tenant's user");
  }
  if (problems.empty()) return passed("pool", "php_admin settings confine the pool");
  return failed("pool", pool_file(ctx.layout, who.env.name, who.tenant.id).string() + ": " +
                            joined(problems, "; ") + "; `wpfleet apply` rewrites it");
}

AuditCheck tenant_files(const BackendContext& ctx, const TenantContext& who) {
  if (!isolated_users()) return failed("files", "no per-tenant Unix users (not run as root)");
  auto identity = tenant_identity(ctx.layout, who.env.name, who.tenant.id);
  if (!identity) return failed("files", identity.error().message);
  const fs::path site = ctx.layout.site_dir(who.env.name, who.tenant.id);
  const gid_t group = identity->gid;
  return expect_all(
      "files",
      {{site, 0, group, 0027, "root:tenant 0750: other tenants may not enter"},
       {site / "wp-config.php", 0, group, 0137, "root:tenant 0640: it holds the DB password"},
       {site / "log", 0, group, 0027, "root-owned: the tenant may not plant links for root"},
       {site / "wp-content", identity->uid, group, 0002, "the tenant's, not world-writable"}});
}

AuditCheck web_server_rules(const BackendContext& ctx, const TenantContext& who) {
  const fs::path site_file = ctx.layout.nginx_sites() / (pool_name(who.env.name, who.tenant.id) + ".conf");
  auto text = read_file(site_file);
  if (!text) return failed("nginx", text.error().message + ": run `wpfleet apply`");
  if (text->find("disable_symlinks if_not_owner") == std::string::npos) {
    return failed("nginx", site_file.string() + " serves symlinks the tenant plants in wp-content "
                                                "(to another tenant's files or the page cache): "
                                                "`wpfleet apply` rewrites it");
  }
  return passed("nginx", "symlinks the tenant plants are not served");
}

AuditCheck database_grants(const BackendContext& ctx, const TenantContext& who) {
  auto client = connect_as_root(ctx);
  if (!client) return failed("grants", client.error().message);
  auto problems = grant_problems(**client, who.env.name, who.tenant.id);
  if (!problems) return failed("grants", problems.error().message);
  if (problems->empty()) return passed("grants", "its database user reaches its own database only");
  return failed("grants", database_user(who.env.name, who.tenant.id) + ": " + joined(*problems, "; ") +
                              "; `wpfleet apply` takes wider grants back");
}
}  // namespace

std::vector<AuditCheck> audit_platform(const BackendContext& ctx) {
  const StateLayout& layout = ctx.layout;
  std::vector<Expected> wanted = {
      {layout.state_db(), ::geteuid(), std::nullopt, 0077, "the state: wpfleet's alone"},
      {layout.secret_key(), ::geteuid(), std::nullopt, 0077, "the key to every secret"},
      {layout.root, ::geteuid(), std::nullopt, 0066, "tenants may pass through, not list"},
      {layout.nginx_log_dir(), ::geteuid(), std::nullopt, 0077,
       "access logs hold password-reset links"},
      {layout.php_support_dir(), 0, std::nullopt, 0022, "root's: tenant PHP runs it"},
      {layout.php_support_dir() / "sendmail", 0, std::nullopt, 0022, "root's: tenant PHP runs it"},
      {layout.php_support_dir() / kMuPluginFile, 0, std::nullopt, 0022,
       "root's: every tenant's WordPress loads it"},
  };
  auto users = platform_users();
  if (users && users->web) {
    wanted.push_back({layout.nginx_cache_root(), users->web->uid, std::nullopt, 0077,
                      "cached pages of protected environments: nginx's workers only"});
  }
  return {expect_all("platform", wanted)};
}

std::vector<TenantAudit> audit_tenants(BackendContext& ctx, const std::vector<TenantContext>& audited,
                                       const std::vector<TenantContext>& everyone) {
  std::vector<TenantAudit> results;
  for (const auto& who : audited) {
    TenantAudit audit{who.env.name, who.tenant.id, {}};
    const auto forbidden = forbidden_for(ctx.layout, who, everyone);
    for (auto& check : php_probe(ctx, who, forbidden, everyone)) audit.checks.push_back(std::move(check));
    audit.checks.push_back(unix_reads(ctx, who, forbidden));
    audit.checks.push_back(pool_settings(ctx, who));
    audit.checks.push_back(tenant_files(ctx, who));
    audit.checks.push_back(web_server_rules(ctx, who));
    audit.checks.push_back(database_grants(ctx, who));
    results.push_back(std::move(audit));
  }
  return results;
}

}  // namespace wpfleet::local
