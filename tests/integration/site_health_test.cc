// WordPress's own Site Health on tenants of each kind of environment (open, basic auth,
// TLS, production), against the real servers: its tests run in the tenant's PHP as wp-admin runs
// them, and in headless Chromium on wp-admin's Site Health page. What makes them pass is
// wpfleet's must-use plugin (src/backends/local/mu_plugin.php: the tenant's own host
// names reach the platform's listener, the platform's CA for them, background updates
// explained) and the PHP extensions scripts/install-deps installs.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "backends/local/templates.h"
#include "backends/local/wp_runner.h"
#include "harness.h"
#include "platform/layout.h"
#include "state/secret_store.h"
#include "state/store.h"
#include "util/http_client.h"

namespace wpfleet::testing {
namespace {

// What the runs below begin with: WordPress with wp-admin's functions, as a request of
// the tenant's admin logged in to wp-admin (a session and its cookies), with the
// visitor's basic auth as php-fpm gives it to PHP (from the Authorization header).
// Input (stdin): {"admin": login, "basic_auth": "user:password" or ""}.
constexpr const char* kAsAdminPhp = R"php(
$in = json_decode(stream_get_contents(STDIN), true);
if ($in['basic_auth'] !== '') {
    list($_SERVER['PHP_AUTH_USER'], $_SERVER['PHP_AUTH_PW']) = explode(':', $in['basic_auth'], 2);
}
require getenv('WPFLEET_CORE') . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/admin.php';
$admin = get_user_by('login', $in['admin']);
$expiry = time() + 600;
$token = WP_Session_Tokens::get_instance($admin->ID)->create($expiry);
foreach (array(AUTH_COOKIE => 'auth', SECURE_AUTH_COOKIE => 'secure_auth', LOGGED_IN_COOKIE => 'logged_in') as $name => $scheme) {
    $_COOKIE[$name] = wp_generate_auth_cookie($admin->ID, $expiry, $scheme, $token);
}
wp_set_current_user($admin->ID);
)php";

// Runs every test WP_Site_Health::get_tests() lists, as wp-admin's Site Health page does:
// the direct ones in this process, each asynchronous one as site-health.js does, through
// its REST endpoint over HTTP with the login cookie, the REST nonce, the test's own
// headers and the visitor's basic auth. After kAsAdminPhp. Output: {test: {status, label}}.
constexpr const char* kSiteHealthPhp = R"php(
require_once ABSPATH . 'wp-admin/includes/class-wp-site-health.php';
$health = WP_Site_Health::get_instance();
$tests = WP_Site_Health::get_tests();
$results = array();
foreach ($tests['direct'] as $id => $test) {
    $method = is_string($test['test']) ? 'get_test_' . $test['test'] : '';
    $callback = $method !== '' && method_exists($health, $method) ? array($health, $method) : $test['test'];
    $results[$id] = call_user_func($callback);
}
foreach ($tests['async'] as $id => $test) {
    $headers = array('X-WP-Nonce' => wp_create_nonce('wp_rest'));
    if (isset($_SERVER['PHP_AUTH_USER'])) {
        $headers['Authorization'] = 'Basic ' . base64_encode($_SERVER['PHP_AUTH_USER'] . ':' . $_SERVER['PHP_AUTH_PW']);
    }
    $headers = array_merge($headers, isset($test['headers']) ? $test['headers'] : array());
    $response = wp_remote_get(add_query_arg('_locale', 'user', $test['test']), array(
        'headers' => $headers,
        'cookies' => array(LOGGED_IN_COOKIE => $_COOKIE[LOGGED_IN_COOKIE]),
        'timeout' => 30,
    ));
    if (is_wp_error($response)) {
        $results[$id] = array('status' => 'unavailable', 'label' => $response->get_error_message());
    } elseif (wp_remote_retrieve_response_code($response) !== 200) {
        $results[$id] = array('status' => 'unavailable', 'label' => 'HTTP ' .
            wp_remote_retrieve_response_code($response) . ': ' . wp_remote_retrieve_body($response));
    } else {
        $results[$id] = json_decode(wp_remote_retrieve_body($response), true);
    }
}
$out = array();
foreach ($results as $id => $result) {
    $out[$id] = array('status' => $result['status'], 'label' => wp_strip_all_tags($result['label']));
}
echo json_encode($out);
)php";

// Fetches each URL of the input (a JSON list) with WordPress's HTTP API, verifying TLS,
// and prints {url: "status <title>", or the error}.
constexpr const char* kFetchPhp = R"php(
$urls = json_decode(stream_get_contents(STDIN), true);
require getenv('WPFLEET_CORE') . '/wp-load.php';
$out = array();
foreach ($urls as $url) {
    $response = wp_remote_get($url, array('timeout' => 10, 'sslverify' => true, 'redirection' => 0));
    $title = preg_match('#<title>(.*)</title>#', wp_remote_retrieve_body($response), $match) ? $match[1] : '';
    $out[$url] = is_wp_error($response) ? $response->get_error_message()
        : wp_remote_retrieve_response_code($response) . ' ' . $title;
}
echo json_encode($out);
)php";

// Saves a change to an active plugin in wp-admin's plugin editor, as the admin, which
// WordPress checks by loading wp-admin and the home page over HTTP ("Unable to
// communicate back with site" when it cannot, and it reverts the change). The plugin is
// made, activated and removed here. After kAsAdminPhp. Prints {"saved": true} or
// {"saved": the error}.
constexpr const char* kPluginEditorPhp = R"php(
$file = 'wpfleet-editor-check.php';
$header = "<?php\n/*\nPlugin Name: wpfleet editor check\n*/\n";
file_put_contents(WP_PLUGIN_DIR . '/' . $file, $header);
$activated = activate_plugin($file);
$saved = is_wp_error($activated) ? $activated : wp_edit_theme_plugin_file(array(
    'plugin'     => $file,
    'file'       => $file,
    'newcontent' => $header . "// edited\n",
    'nonce'      => wp_create_nonce('edit-plugin_' . $file),
));
deactivate_plugins($file);
unlink(WP_PLUGIN_DIR . '/' . $file);
echo json_encode(array('saved' => is_wp_error($saved) ? $saved->get_error_code() . ': ' . $saved->get_error_message() : $saved));
)php";

// What WordPress's php_extensions test does not ask for but the official image has, in
// the tenant's PHP: {extension: loaded}, and whether gd or imagick writes WebP.
constexpr const char* kExtensionsPhp = R"php(
$out = array();
foreach (array('curl', 'mbstring', 'xml', 'zip', 'intl', 'exif', 'bcmath', 'Zend OPcache') as $name) {
    $out[$name] = extension_loaded($name);
}
$gd_webp = function_exists('gd_info') && !empty(gd_info()['WebP Support']);
$imagick_webp = class_exists('Imagick') && count(Imagick::queryFormats('WEBP')) > 0;
$out['webp'] = $gd_webp || $imagick_webp;
echo json_encode($out);
)php";

class SiteHealth : public FleetSuite {
 protected:
  // dev: open; sit: basic auth; sec: TLS; prod: production (where Site Health adds its
  // page cache and object cache checks) with the page cache, on host names that no DNS
  // resolves (cURL resolves *.localhost itself), as a client's domain before it points
  // here. alpha is in all four, beta in dev and sec; each has such an alias in dev.
  static void SetUpTestSuite() {
    port_ = free_port();
    tls_port_ = free_port();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    start_fleet(
        "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"" + listen + "\"\n"
        "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\nlisten = \"" + listen + "\"\n"
        "basic_auth = { user = \"bbws-sit\" }\n"
        "[environments.sec]\ndomain = \"{tenant}.wpsec.localhost\"\n"
        "listen = \"127.0.0.1:" + std::to_string(tls_port_) + "\"\ntls = true\n"
        "[environments.prod]\ndomain = \"{tenant}.wpprod.test\"\nlisten = \"" + listen + "\"\n"
        "production = true\npage_cache = \"10s\"\n"
        "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha Site\"\nadmin_email = \"a@alpha.example\"\n"
        "environments = [\"dev\", \"sit\", \"sec\", \"prod\"]\naliases = { dev = [\"alpha.example.test\"] }\n"
        "\n[[tenants]]\nid = \"beta\"\ntitle = \"Beta Site\"\nadmin_email = \"b@beta.example\"\n"
        "environments = [\"dev\", \"sec\"]\naliases = { dev = [\"beta.example.test\"] }\n");
  }

  // `php` run as the tenant's WordPress with `input` on stdin, as wpfleet runs it.
  static nlohmann::json run_php(const std::string& env, const std::string& tenant,
                                const std::string& php, const nlohmann::json& input) {
    const StateLayout layout{state()};
    auto store = StateStore::open(layout.state_db());
    EXPECT_TRUE(store.ok());
    if (!store) return nullptr;
    auto secrets = SecretStore::open(**store, layout.secret_key());
    EXPECT_TRUE(secrets.ok());
    if (!secrets) return nullptr;
    BackendContext backend{layout, **store, *secrets};
    auto output = local::run_wordpress_php(backend, env, tenant, php, input.dump());
    EXPECT_TRUE(output.ok()) << (output ? "" : output.error().message);
    if (!output) return nullptr;
    auto json = nlohmann::json::parse(output->out, nullptr, false);
    EXPECT_TRUE(json.is_object()) << output->out << output->err;
    return json;
  }

  // `php` run after kAsAdminPhp in alpha's WordPress; `login` is the visitor's basic auth
  // ("user:password"), if any.
  static nlohmann::json as_admin(const std::string& env, const char* php, const std::string& login) {
    return run_php(env, "alpha", std::string(kAsAdminPhp) + php,
                   {{"admin", "admin"}, {"basic_auth", login}});
  }

  static std::string basic_auth() { return "bbws-sit:" + secret({"-e", "sit", "basic-auth-password"}); }

  // Each environment with the basic auth a visitor gives there ("" for none).
  static std::vector<std::pair<std::string, std::string>> every_environment() {
    return {{"dev", ""}, {"sit", basic_auth()}, {"sec", ""}, {"prod", ""}};
  }

  // WordPress.org is out of reach from this machine itself (a test machine offline):
  // then Site Health's "Communication with WordPress.org" is critical whatever wpfleet
  // does, and the tests say so rather than fail.
  static bool wordpress_org_unreachable() {
    static const bool unreachable = [] {
      HttpRequest request;
      request.url = "https://api.wordpress.org/core/version-check/1.7/";
      request.timeout = std::chrono::seconds(10);
      auto reply = http_request(request);
      return !reply || reply->status != 200;
    }();
    return unreachable;
  }

  // Fails on every critical result but that one; lists the recommended ones.
  static void expect_no_critical(const std::string& where, const nlohmann::json& results) {
    for (const auto& [test, result] : results.items()) {
      const std::string status = result.value("status", "");
      const std::string label = result.value("label", "");
      if (status == "recommended") std::cout << where << ": recommended: " << test << ": " << label << "\n";
      if (status == "critical" && test == "dotorg_communication" && wordpress_org_unreachable()) {
        std::cout << where << ": critical, as this machine cannot reach api.wordpress.org either: "
                  << test << ": " << label << "\n";
        continue;
      }
      EXPECT_NE(status, "critical") << where << ": " << test << ": " << label;
      EXPECT_NE(status, "unavailable") << where << ": " << test << ": " << label;
    }
  }

  static std::string url(const std::string& scheme, const std::string& host, std::uint16_t port) {
    return scheme + "://" + host + ":" + std::to_string(port) + "/";
  }

  static std::uint16_t port_, tls_port_;
};

std::uint16_t SiteHealth::port_ = 0;
std::uint16_t SiteHealth::tls_port_ = 0;

TEST_F(SiteHealth, NoTestIsCriticalOnAnOpenABasicAuthATlsOrAProductionEnvironment) {
  for (const auto& [env, login] : every_environment()) {
    const nlohmann::json results = as_admin(env, kSiteHealthPhp, login);
    ASSERT_TRUE(results.is_object()) << env;
    expect_no_critical(env, results);
    // What failed before the must-use plugin and the extensions: each by name.
    for (const char* test : {"rest_availability", "loopback_requests", "php_extensions",
                             "http_requests", "background_updates"}) {
      ASSERT_TRUE(results.contains(test)) << env << ": " << test << " did not run";
    }
    EXPECT_EQ(results["rest_availability"]["status"], "good") << env << results.dump(1);
    EXPECT_EQ(results["loopback_requests"]["status"], "good") << env << results.dump(1);
    EXPECT_EQ(results["php_extensions"]["status"], "good") << env << results.dump(1);
    // Off on purpose (read-only shared core), and said so.
    EXPECT_EQ(results["background_updates"]["label"],
              "Background updates are off: the platform updates WordPress")
        << env;
    if (env == "sec") {
      EXPECT_EQ(results["https_status"]["status"], "good") << results.dump(1);
    }
    // wpfleet's page cache is what WordPress looks for (an X-Cache header).
    if (env == "prod") {
      EXPECT_EQ(results["page_cache"]["status"], "good") << results.dump(1);
    }
    // A site behind basic auth has no use for the Authorization header test.
    EXPECT_EQ(results.contains("authorization_header"), env != "sit") << env;
  }
}

TEST_F(SiteHealth, TenantPhpReachesItsOwnHostNamesThroughThePlatformAndNoOneElses) {
  // alpha.example.test and beta.example.test resolve nowhere: only the plugin's
  // resolution of the tenant's own names takes them to the listener.
  const std::string alpha_alias = url("http", "alpha.example.test", port_);
  const std::string beta_alias = url("http", "beta.example.test", port_);
  const std::string alpha_tls = url("https", "alpha.wpsec.localhost", tls_port_);
  const nlohmann::json from_alpha = run_php("dev", "alpha", kFetchPhp, {alpha_alias, beta_alias});
  ASSERT_TRUE(from_alpha.is_object());
  EXPECT_EQ(from_alpha[alpha_alias], "200 Alpha Site") << from_alpha.dump(1);
  EXPECT_NE(from_alpha[beta_alias].get<std::string>().find("resolve"), std::string::npos)
      << "alpha's PHP must not be given beta's host: " << from_alpha.dump(1);
  const nlohmann::json from_beta = run_php("dev", "beta", kFetchPhp, {alpha_alias, beta_alias});
  ASSERT_TRUE(from_beta.is_object());
  EXPECT_NE(from_beta[alpha_alias].get<std::string>().find("resolve"), std::string::npos);
  EXPECT_EQ(from_beta[beta_alias], "200 Beta Site") << from_beta.dump(1);

  // TLS: the platform's certificate verifies for the tenant's own hosts, and its CA is
  // trusted for no other host name (beta's certificate comes from the same CA).
  const std::string elsewhere = url("https", "beta.wpsec.localhost", tls_port_);
  const nlohmann::json from_sec = run_php("sec", "alpha", kFetchPhp, {alpha_tls, elsewhere});
  ASSERT_TRUE(from_sec.is_object());
  EXPECT_EQ(from_sec[alpha_tls], "200 Alpha Site") << from_sec.dump(1);
  EXPECT_NE(from_sec[elsewhere].get<std::string>().find("cURL error 60"), std::string::npos)
      << from_sec.dump(1);
}

TEST_F(SiteHealth, PluginEditorSavesAfterCheckingTheSiteOverHttp) {
  for (const auto& [env, login] : every_environment()) {
    const nlohmann::json saved = as_admin(env, kPluginEditorPhp, login);
    ASSERT_TRUE(saved.is_object()) << env;
    EXPECT_EQ(saved["saved"], true) << env << ": " << saved.dump();
  }
}

TEST_F(SiteHealth, TenantPhpHasTheExtensionsOfTheOfficialImage) {
  const nlohmann::json loaded = run_php("dev", "alpha", kExtensionsPhp, nullptr);
  ASSERT_TRUE(loaded.is_object());
  for (const auto& [extension, present] : loaded.items()) {
    EXPECT_TRUE(present.get<bool>()) << extension << " is missing (scripts/install-deps installs it)";
  }
}

// wp-admin's Site Health page in a browser, logged in as the tenant's admin, on an open
// environment and behind basic auth: the page runs every test (the asynchronous ones
// from the page through the REST API, whose loopback requests carry the visitor's basic
// auth) and lists the results.
TEST_F(SiteHealth, WpAdminSiteHealthPageInChromiumListsNoCriticalIssue) {
  if (!chromium_installed()) {
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps installs it)";
  }
  // Once site-health.js has every result, it drops the progress circle's `loading`.
  const std::string results =
      "new Promise((resolve, reject) => { const started = Date.now(); const tick = () => {"
      " const wrapper = document.querySelector('.site-health-progress-wrapper');"
      " if (wrapper && !wrapper.classList.contains('loading')) { const issues = [];"
      " for (const status of ['critical', 'recommended', 'good']) {"
      " document.querySelectorAll('#health-check-issues-' + status + ' .health-check-accordion-panel')"
      ".forEach((panel) => { const title = panel.previousElementSibling.querySelector('.title');"
      " issues.push({status, test: panel.id.replace('health-check-accordion-block-', ''),"
      " label: title ? title.textContent.trim() : ''}); }); }"
      " resolve(JSON.stringify(issues)); }"
      " else if (Date.now() - started > 90000) { reject(new Error('Site Health did not finish')); }"
      " else { setTimeout(tick, 200); } }; tick(); })";
  const std::vector<std::pair<std::string, std::optional<std::string>>> environments = {
      {"dev", std::nullopt}, {"sit", basic_auth()}};
  for (const auto& [env, login] : environments) {
    const std::string site = url("http", "alpha.wp" + env + ".localhost", port_);
    const std::string password = secret({"alpha", "-e", env, "admin-password"});
    const std::string log_in =
        "(async () => { const body = new URLSearchParams({log: 'admin', pwd: " +
        nlohmann::json(password).dump() +
        ", 'wp-submit': 'Log In', testcookie: '1'});"
        " const response = await fetch('/wp-login.php', {method: 'POST', body,"
        " credentials: 'same-origin'});"
        " if (response.url.includes('wp-login.php')) throw new Error('not logged in');"
        " return response.url; })()";
    auto page = chromium_session({{BrowserStep::Kind::Load, site + "wp-login.php"},
                                  {BrowserStep::Kind::Script, log_in},
                                  {BrowserStep::Kind::Load, site + "wp-admin/site-health.php"},
                                  {BrowserStep::Kind::Script, results}},
                                 login, std::chrono::seconds(150));
    ASSERT_TRUE(page.ok()) << env << ": " << page.error().message;
    const auto issues = nlohmann::json::parse(*page, nullptr, false);
    ASSERT_TRUE(issues.is_array()) << env << ": " << *page;
    nlohmann::json by_test = nlohmann::json::object();
    for (const auto& issue : issues) by_test[issue.value("test", "")] = issue;
    expect_no_critical(env + " in Chromium", by_test);
    // The page ran them (a test that cannot run shows as "A test is unavailable").
    for (const char* test : {"rest_availability", "loopback_requests", "php_extensions"}) {
      EXPECT_EQ(by_test[test].value("status", ""), "good") << env << ": " << test << ": " << *page;
    }
    for (const auto& issue : issues) {
      EXPECT_NE(issue.value("label", ""), "A test is unavailable") << env << ": " << *page;
    }
  }
}

// Every tenant's WordPress loads the plugin: a tenant able to change it would run its
// code in all the others. It is root's and read-only; `audit` names it when loosened, and
// `apply` restores it.
TEST_F(SiteHealth, TheMuPluginIsRootsAuditNamesItLoosenedAndApplyRestoresIt) {
  const std::string plugin = (state() / "php" / local::kMuPluginFile).string();
  const auto mode = [&] {
    struct stat st {};
    return ::stat(plugin.c_str(), &st) == 0 && st.st_uid == 0 ? st.st_mode & 07777 : 0;
  };
  ASSERT_EQ(mode(), 0644u);
  ASSERT_EQ(::chmod(plugin.c_str(), 0666), 0);
  CliResult loosened = wpfleet({"audit"});
  EXPECT_EQ(loosened.exit_code, 1) << loosened.out;
  EXPECT_NE((loosened.out + loosened.err).find(local::kMuPluginFile), std::string::npos)
      << loosened.out << loosened.err;
  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_EQ(mode(), 0644u);
  CliResult audited = wpfleet({"audit"});
  EXPECT_EQ(audited.exit_code, 0) << audited.out << audited.err;
}

}  // namespace
}  // namespace wpfleet::testing
