#include "backends/local/site.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "backends/local/database.h"
#include "backends/local/names.h"
#include "backends/local/secrets.h"
#include "backends/local/wp_runner.h"
#include "util/crypto.h"
#include "util/http_client.h"

namespace wpfleet::local {

namespace {
// Installs WordPress if it is not, then converges the options the fleet file owns.
// The installer's e-mail and its self-requests (testing pretty permalinks over HTTP,
// which cannot resolve *.localhost from PHP) are switched off.
constexpr const char* kInstallScript = R"php(
$in = json_decode(stream_get_contents(STDIN), true);
define('WP_INSTALLING', true);
$_SERVER['HTTP_HOST'] = $in['host'];
$_SERVER['REQUEST_URI'] = '/';
function wp_new_blog_notification() {}
require getenv('WPFLEET_CORE') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
add_filter('pre_http_request', function () { return new WP_Error('wpfleet', 'no HTTP while installing'); });
$installed_now = false;
if (!is_blog_installed()) {
    $pretty = function () { return '/%postname%/'; };
    add_filter('pre_option_permalink_structure', $pretty);
    wp_install($in['title'], $in['admin_user'], $in['admin_email'], $in['public'], '',
               wp_slash($in['admin_password']));
    remove_filter('pre_option_permalink_structure', $pretty);
    update_option('permalink_structure', '/%postname%/');
    flush_rewrite_rules(false);
    $installed_now = true;
}
update_option('blogname', $in['title']);
update_option('admin_email', $in['admin_email']);
update_option('blog_public', $in['public'] ? '1' : '0');
echo json_encode(['installed_now' => $installed_now, 'version' => $GLOBALS['wp_version']]);
)php";

constexpr auto kHealthTimeout = std::chrono::seconds(30);

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
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return make_error("the home page " + ctx.home_url + "/ did not answer 200 within 30 s (last: " +
                    last + "): see `wpfleet logs " + ctx.tenant.id + " -e " + ctx.env.name +
                    "` and `wpfleet status`");
}
}  // namespace

std::string SiteProvider::fingerprint(const TenantContext& ctx) const {
  return sha256_hex("site-v1\n" + ctx.tenant.title + "\n" + ctx.tenant.admin_email + "\n" +
                    (ctx.env.production ? "public" : "hidden") + "\n" + ctx.home_url);
}

Result<std::set<std::string>> SiteProvider::existing(const Environment& env,
                                                      const std::set<std::string>& candidates) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY_ASSIGN(auto rows, client->query("SELECT table_schema FROM information_schema.tables "
                                      "WHERE table_name = 'wp_options'"));
  std::set<std::string> schemas;
  for (const auto& row : rows) {
    if (row[0]) schemas.insert(*row[0]);
  }
  std::set<std::string> found;
  for (const auto& tenant : candidates) {
    if (schemas.count(database_name(env.name, tenant))) found.insert(tenant);
  }
  return found;
}

Result<std::string> SiteProvider::ensure(const TenantContext& ctx) {
  const std::string scope = tenant_secret_scope(ctx.env.name, ctx.tenant.id);
  TRY_ASSIGN(std::string admin_password, ctx_.secrets.get(scope, kAdminPassword));
  const nlohmann::json input = {{"host", ctx.hosts.front()},
                                {"title", ctx.tenant.title},
                                {"admin_user", kAdminUser},
                                {"admin_email", ctx.tenant.admin_email},
                                {"admin_password", admin_password},
                                {"public", ctx.env.production}};
  TRY_ASSIGN(CommandOutput output, run_wordpress_php(ctx_, ctx.env.name, ctx.tenant.id,
                                                     kInstallScript, input.dump()));
  TRY(wait_until_home_page_answers(ctx_, ctx));
  auto result = nlohmann::json::parse(output.out, nullptr, false);
  const std::string version = result.is_object() ? result.value("version", "") : "";
  return nlohmann::json({{"url", ctx.home_url + "/"},
                         {"admin_user", kAdminUser},
                         {"wordpress", version}})
      .dump();
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
