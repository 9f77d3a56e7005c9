#include "backends/local/site.h"

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "backends/local/database.h"
#include "backends/local/names.h"
#include "backends/local/runtime.h"
#include "backends/local/secrets.h"
#include "backends/local/template_db.h"
#include "backends/local/wp_runner.h"
#include "util/crypto.h"
#include "util/http_client.h"

namespace wpfleet::local {

namespace {
// The installer, run as the tenant (local_install_php). Whether tables are missing was
// read from the database before (install_state), so it comes with the input.
//
// A database cloned from the template (template_db.h) is made this site's instead of
// installed: the template's URL replaced by the site's wherever WordPress wrote it (post
// GUIDs, the sample and privacy pages, the admin's profile), the admin's e-mail and
// password (hashed here, by WordPress), the dates of the sample content and of the
// admin's registration set to now, and every time WordPress scheduled (cron events, the
// admin e-mail check) moved on by the template's age, so the site looks installed now.
// Title, e-mail option, visibility, the URL options and the completion marker follow, as
// after wp_install().
const std::string& install_script() {
  static const std::string script = local_install_php(R"php(
if ($in['from_template']) $made_from_template = function () use ($in, $password) {
    global $wpdb;
    $from = $in['template_url'];
    $url = $in['url'];
    $admin = get_user_by('login', $in['admin_user']);
    if (!$admin) { fwrite(STDERR, "the template has no admin user\n"); define('WPFLEET_DONE', true); exit(1); }
    $age = time() - strtotime($admin->user_registered . ' UTC');
    $now = current_time('mysql');
    $now_gmt = current_time('mysql', true);
    $wpdb->query($wpdb->prepare("UPDATE $wpdb->posts SET post_date = %s, post_date_gmt = %s, post_modified = %s, post_modified_gmt = %s, guid = REPLACE(guid, %s, %s), post_content = REPLACE(post_content, %s, %s)",
        $now, $now_gmt, $now, $now_gmt, $from, $url, $from, $url));
    $wpdb->query($wpdb->prepare("UPDATE $wpdb->comments SET comment_date = %s, comment_date_gmt = %s", $now, $now_gmt));
    $wpdb->update($wpdb->users, ['user_email' => $in['admin_email'], 'user_url' => $url, 'user_registered' => $now_gmt], ['ID' => $admin->ID]);
    wp_set_password($password, $admin->ID);
    // wp_install() turns pingbacks off on a hidden site; the template was made hidden.
    update_option('default_pingback_flag', $in['public'] ? 1 : 0);
    // The template's address was never this site's: no "admin email changed" notice to it.
    remove_action('update_option_admin_email', 'wp_site_admin_email_change_notification');
    update_option('admin_email_lifespan', (int) get_option('admin_email_lifespan') + $age);
    $cron = [];
    foreach ((array) _get_cron_array() as $time => $events) $cron[$time + $age] = $events;
    _set_cron_array($cron);
    delete_option($in['template_marker']);
};
)php");
  return script;
}

constexpr auto kHealthTimeout = std::chrono::seconds(30);

// The option the installer writes last.
constexpr const char* kInstalledMarker = "wpfleet_installed";

// How much of a WordPress install a tenant's database holds.
struct InstallState {
  bool any_table = false;
  std::vector<std::string> missing_tables;
  bool admin_user = false;
  bool marker = false;

  bool complete() const { return missing_tables.empty() && admin_user && marker; }

  std::string missing() const {
    std::vector<std::string> parts;
    if (!missing_tables.empty()) {
      std::string tables;
      for (const auto& table : missing_tables) tables += (tables.empty() ? "" : ", ") + table;
      parts.push_back("the tables " + tables);
    }
    if (!admin_user) parts.push_back(std::string("the admin user '") + kAdminUser + "'");
    if (!marker)
      parts.push_back(std::string("the completion marker (option ") + kInstalledMarker + ")");
    std::string text;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      text += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    }
    return text;
  }
};

std::string core_table(const char* name) { return std::string(kTablePrefix) + name; }

// Core tables present, by database, among `databases`: one query for any number of sites.
Result<std::map<std::string, std::set<std::string>>> core_tables_by_database(
    MysqlClient& root, const std::set<std::string>& databases) {
  std::map<std::string, std::set<std::string>> found;
  if (databases.empty()) return found;
  std::string in;
  for (const auto& db : databases) in += (in.empty() ? "" : ", ") + root.quote(db);
  TRY_ASSIGN(auto rows, root.query("SELECT table_schema, table_name FROM information_schema.tables "
                                   "WHERE table_schema IN (" +
                                   in + ")"));
  for (const auto& row : rows) {
    if (row[0] && row[1]) found[*row[0]].insert(*row[1]);
  }
  return found;
}

// Each database's install state, in two queries for any number of sites (plan asks it
// of every one): which core tables exist, then, in one UNION, whether the admin user and
// the completion marker are there, asked only of tables that exist.
Result<std::map<std::string, InstallState>> install_states(MysqlClient& root,
                                                           const std::set<std::string>& databases) {
  TRY_ASSIGN(auto tables, core_tables_by_database(root, databases));
  std::map<std::string, InstallState> states;
  std::string rows_sql;
  for (const auto& db : databases) {
    const std::set<std::string>& present = tables[db];
    InstallState& state = states[db];
    state.any_table = !present.empty();
    for (const char* name : kCoreTables) {
      if (!present.count(core_table(name))) state.missing_tables.push_back(core_table(name));
    }
    if (!state.any_table) continue;
    const auto exists_in = [&](const char* table, const std::string& where) {
      if (!present.count(core_table(table))) return std::string("0");
      return "EXISTS(SELECT 1 FROM " + quote_identifier(db) + "." +
             quote_identifier(core_table(table)) + " WHERE " + where + ")";
    };
    rows_sql += std::string(rows_sql.empty() ? "" : " UNION ALL ") + "SELECT " + root.quote(db) +
                ", " + exists_in("users", "user_login = " + root.quote(kAdminUser)) + ", " +
                exists_in("options", "option_name = " + root.quote(kInstalledMarker));
  }
  if (rows_sql.empty()) return states;
  TRY_ASSIGN(auto rows, root.query(rows_sql));
  for (const auto& row : rows) {
    if (!row[0]) continue;
    InstallState& state = states[*row[0]];
    state.admin_user = row[1].value_or("0") == "1";
    state.marker = row[2].value_or("0") == "1";
  }
  return states;
}

Result<InstallState> install_state(const BackendContext& backend, const std::string& env,
                                   const std::string& tenant) {
  TRY_ASSIGN(auto root, connect_as_root(backend));
  const std::string db = database_name(env, tenant);
  TRY_ASSIGN(auto states, install_states(*root, {db}));
  return states[db];
}

// wpfleet's own requests address the site directly, past the edge (basic auth, TLS,
// page cache), as the ALB's health check addresses its target.
HttpRequest direct_home_page_request(const BackendContext& backend, const TenantContext& ctx) {
  HttpRequest request;
  request.url = "http://" + ctx.hosts.front() + ":" + std::to_string(ctx.env.listen.port) + "/";
  request.unix_socket = backend.layout.nginx_direct_socket(ctx.env.name).string();
  request.timeout = std::chrono::seconds(10);
  return request;
}

Status wait_until_home_page_answers(const BackendContext& backend, const TenantContext& ctx) {
  const auto deadline = std::chrono::steady_clock::now() + kHealthTimeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = http_request(direct_home_page_request(backend, ctx));
    if (reply && reply->status == 200) return {};
    last = reply ? "HTTP " + std::to_string(reply->status) : reply.error().message;
    // Short: a new site usually answers at the first or second try.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return make_error("the home page " + ctx.home_url + "/ did not answer 200 within 30 s (last: " +
                    last + "): see `wpfleet logs " + ctx.tenant.id + " -e " + ctx.env.name +
                    "` and `wpfleet status`");
}

// Fills the tenant's empty database from its core's template. Whatever stands in the way
// (a template that cannot be made, a failed copy) is told on stderr and the site is
// installed as without a template, from an empty database again.
bool clone_from_template(const BackendContext& backend, const TenantContext& ctx) {
  const std::string core = tenant_core(backend.layout, ctx.env.name, ctx.tenant.id);
  const std::string db = database_name(ctx.env.name, ctx.tenant.id);
  Status cloned = [&]() -> Status {
    TRY_ASSIGN(std::string template_db, ensure_template_database(backend, core));
    TRY_ASSIGN(auto root, connect_as_root(backend));
    return clone_template_database(*root, template_db, db);
  }();
  if (cloned) return true;
  std::cerr << ctx.env.name << "/" << ctx.tenant.id
            << " site: installing WordPress without a template (" << cloned.error().message
            << ")\n";
  return false;
}
}  // namespace

void SiteProvider::prepare(const Environment& env) {
  preparing_.emplace_back([this, env] {
    if (ensure_environment_core(ctx_, env)) (void)ensure_template_database(ctx_, env.core);
  });
}

std::string SiteProvider::fingerprint(const TenantContext& ctx) const {
  return sha256_hex("site-v1\n" + ctx.tenant.title + "\n" + ctx.tenant.admin_email + "\n" +
                    (ctx.env.production ? "public" : "hidden") + "\n" + ctx.home_url);
}

// Only a complete install counts: a half-installed site is not adopted, so that plan
// shows it and apply finishes it.
Result<std::set<std::string>> SiteProvider::existing(const Environment& env,
                                                      const std::set<std::string>& candidates) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  std::map<std::string, std::string> tenant_of;  // database -> tenant
  std::set<std::string> databases;
  for (const auto& tenant : candidates) {
    tenant_of[database_name(env.name, tenant)] = tenant;
    databases.insert(database_name(env.name, tenant));
  }
  TRY_ASSIGN(auto states, install_states(*client, databases));
  std::set<std::string> found;
  for (const auto& [db, state] : states) {
    if (state.complete()) found.insert(tenant_of[db]);
  }
  return found;
}

Result<std::string> SiteProvider::ensure(const TenantContext& ctx) {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(std::string admin_password, ctx_.secrets.get(scope, kAdminPassword));
  TRY_ASSIGN(InstallState state, install_state(ctx_, ctx.env.name, ctx.tenant.id));
  if (state.any_table && !state.complete()) {
    // Recorded once: its tables hold content to repair, not a first install to redo.
    TRY_ASSIGN(bool recorded, ctx_.store.has_resource(ctx.env.name, ctx.tenant.id,
                                                      std::string(kind_name(ResourceKind::Site))));
    if (!recorded) {
      TRY(discard_interrupted(ctx.env, ctx.tenant.id));
      state = InstallState{};
    }
  }
  bool from_template = false;
  if (!state.any_table) {
    from_template = clone_from_template(ctx_, ctx);
    if (!from_template) TRY(discard_interrupted(ctx.env, ctx.tenant.id));
  }
  const nlohmann::json input = {
      {"host", ctx.hosts.front()},
      {"url", ctx.home_url},
      {"from_template", from_template},
      {"template_url", kTemplateUrl},
      {"template_marker", kTemplateMarker},
      {"marker", kInstalledMarker},
      {"create_missing_tables", state.any_table && !state.missing_tables.empty()},
      {"title", ctx.tenant.title},
      {"admin_user", kAdminUser},
      {"admin_email", ctx.tenant.admin_email},
      {"admin_password", admin_password},
      {"public", ctx.env.production}};
  // While the installer runs, once php-fpm and nginx serve the new configuration, a
  // request for wp-admin/install.php (which only reads: the copy counts as installed)
  // loads core from opcache's file cache into the shared memory the reload emptied and
  // has php-fpm fork the tenant's first worker, so that the first page pays for neither.
  std::jthread warm_up;
  if (from_template) {
    warm_up = std::jthread([&] {
      if (!reloads_->finish()) return;
      HttpRequest request = direct_home_page_request(ctx_, ctx);
      request.url += "wp-admin/install.php";
      (void)http_request(request);
    });
  }
  TRY_ASSIGN(CommandOutput output,
             run_wordpress_php(ctx_, ctx.env.name, ctx.tenant.id, install_script(), input.dump()));
  // The new tenant's php-fpm and nginx reloads ran meanwhile (reloads.h).
  TRY(reloads_->finish());
  if (warm_up.joinable()) warm_up.join();
  TRY(wait_until_home_page_answers(ctx_, ctx));
  auto result = nlohmann::json::parse(output.out, nullptr, false);
  const std::string version = result.is_object() ? result.value("version", "") : "";
  return nlohmann::json({{"url", ctx.home_url + "/"},
                         {"admin_user", kAdminUser},
                         {"wordpress", version}})
      .dump();
}

Status SiteProvider::check(const TenantContext& ctx) {
  TRY_ASSIGN(InstallState state, install_state(ctx_, ctx.env.name, ctx.tenant.id));
  if (state.complete()) return {};
  return make_error("the WordPress install of " + ctx.env.name + "/" + ctx.tenant.id +
                    " is incomplete, missing " + state.missing() +
                    ": run `wpfleet apply` to finish it");
}

// The site lives in the tenant's database and wp-content: removing those removes it.
Status SiteProvider::remove(const Environment&, const std::string&) { return {}; }

Status SiteProvider::discard_interrupted(const Environment& env, const std::string& tenant_id) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  const std::string db = database_name(env.name, tenant_id);
  TRY_ASSIGN(auto rows, client->query("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = " + client->quote(db)));
  for (const auto& row : rows) {
    if (row[0]) {
      TRY(client->execute("DROP TABLE IF EXISTS " + quote_identifier(db) + "." +
                          quote_identifier(*row[0])));
    }
  }
  return {};
}

}  // namespace wpfleet::local
