#include "backends/local/templates.h"

#include <gtest/gtest.h>

#include "backends/local/names.h"

namespace wpfleet::local {
namespace {

SiteFiles files() {
  return {"/s/sites/dev/alpha", "/s/core", "/s/mariadb/mysqld.sock",
          "/s/php-fpm/sockets/dev--alpha.sock", "/s/php"};
}

TEST(Names, CarryEnvironmentAndMapDashes) {
  EXPECT_EQ(database_name("dev", "tenant-1"), "dev_tenant_1_db");
  EXPECT_EQ(database_user("sit", "goldencrust"), "sit_goldencrust_user");
  EXPECT_EQ(pool_name("dev", "goldencrust"), "dev--goldencrust");
}

TEST(Names, UnixUsersAreShortAndUniquePerStateEnvAndTenant) {
  StateLayout a{"/state/a"}, b{"/state/b"};
  const std::string user = unix_user(a, "dev", "goldencrust");
  EXPECT_LE(user.size(), 32u);
  EXPECT_EQ(user.rfind("wpf_", 0), 0u);
  EXPECT_EQ(user, unix_user(a, "dev", "goldencrust"));
  EXPECT_NE(user, unix_user(b, "dev", "goldencrust"));
  EXPECT_NE(user, unix_user(a, "sit", "goldencrust"));
}

TEST(SiteConfig, DefinesDatabaseUrlsContentDirAndDisablesHttpCron) {
  SiteConfigInput in{files(), "alpha", "dev", false, "http://alpha.wpdev.localhost:8080",
                     "dev_alpha_db", "dev_alpha_user", "pa'ss\\word", {"1", "2", "3", "4", "5", "6", "7", "8"},
                     {}, {}, ""};
  const std::string config = render_site_config(in);
  EXPECT_NE(config.find("define('DB_NAME', 'dev_alpha_db');"), std::string::npos);
  EXPECT_NE(config.find("define('DB_PASSWORD', 'pa\\'ss\\\\word');"), std::string::npos);
  EXPECT_NE(config.find("define('DB_HOST', 'localhost:/s/mariadb/mysqld.sock');"), std::string::npos);
  EXPECT_NE(config.find("define('WP_HOME', 'http://alpha.wpdev.localhost:8080');"), std::string::npos);
  EXPECT_NE(config.find("define('WP_CONTENT_DIR', '/s/sites/dev/alpha/wp-content');"), std::string::npos);
  EXPECT_NE(config.find("define('NONCE_SALT', '8');"), std::string::npos);
  EXPECT_NE(config.find("define('DISABLE_WP_CRON', true);"), std::string::npos);
  EXPECT_NE(config.find("'staging'"), std::string::npos);
}

TEST(SiteConfig, LoadsWpfleetsMuPluginWithTheTenantsOwnHostsAndListener) {
  // Member by member: GCC 12's Release build takes a braced ListenAddress temporary in an
  // aggregate initializer for uninitialized (-Wmaybe-uninitialized, a false positive).
  SiteConfigInput in;
  in.files = files();
  in.tenant_id = "alpha";
  in.env_name = "dev";
  in.home_url = "http://alpha.wpdev.localhost:8080";
  in.db_name = "dev_alpha_db";
  in.db_user = "dev_alpha_user";
  in.db_password = "pw";
  in.hosts = {"alpha.wpdev.localhost", "alpha.example"};
  in.listen.host = "0.0.0.0";
  in.listen.port = 8080;
  const std::string open = render_site_config(in);
  EXPECT_NE(open.find("define('WPFLEET_LOOPBACK', array('hosts' => array('alpha.wpdev.localhost', "
                      "'alpha.example'), 'address' => '127.0.0.1', 'port' => 8080, 'ca' => ''));"),
            std::string::npos)
      << open;
  // After every define it reads, from root's support directory, never from wp-content.
  EXPECT_NE(open.find("require_once '/s/php/mu-plugin.php';\n"), std::string::npos);
  EXPECT_GT(open.find("require_once"), open.find("WPFLEET_LOOPBACK"));

  in.listen.host = "[::1]";
  in.listen.port = 8443;
  in.trusted_ca = "/s/tls/ca.pem";
  const std::string tls = render_site_config(in);
  EXPECT_NE(tls.find("'address' => '[::1]', 'port' => 8443, 'ca' => '/s/tls/ca.pem')"),
            std::string::npos)
      << tls;
}

TEST(MuPlugin, HooksWordPressesHttpApiAndSiteHealthBeforeWordPressLoads) {
  const std::string plugin = mu_plugin_php();
  EXPECT_EQ(plugin.rfind("<?php\n", 0), 0u);
  for (const char* hook : {"http_api_curl", "http_request_args", "site_status_tests",
                           "rest_request_after_callbacks",
                           "site_status_page_cache_supported_cache_headers"}) {
    EXPECT_NE(plugin.find(std::string("wpfleet_add_filter('") + hook + "'"), std::string::npos)
        << hook;
  }
  EXPECT_NE(plugin.find("$GLOBALS['wp_filter']"), std::string::npos);
}

TEST(Pool, IsOndemandConfinedAndRunsAsTheTenant) {
  PoolInput in{files(), "dev--alpha", std::string("wpf_abc"), std::string("www-data"), PhpLimits{}};
  const std::string pool = render_pool(in);
  EXPECT_NE(pool.find("[dev--alpha]"), std::string::npos);
  EXPECT_NE(pool.find("user = wpf_abc\ngroup = wpf_abc"), std::string::npos);
  EXPECT_NE(pool.find("pm = ondemand"), std::string::npos);
  EXPECT_NE(pool.find("listen.group = www-data"), std::string::npos);
  EXPECT_NE(pool.find("php_admin_value[open_basedir] = /s/core/:/s/sites/dev/alpha/wp-content/:"),
            std::string::npos);
  EXPECT_NE(pool.find(":/s/php/\n"), std::string::npos) << "the support scripts";
  EXPECT_NE(pool.find("env[WPFLEET_SITE_CONFIG] = /s/sites/dev/alpha/wp-config.php"),
            std::string::npos);
  EXPECT_EQ(pool.find("/s/sites/dev/beta"), std::string::npos);
}

TEST(Pool, DisablesEveryWayOutOfPhp) {
  const std::string pool =
      render_pool(PoolInput{files(), "dev--alpha", std::string("wpf_abc"), std::nullopt, PhpLimits{}});
  const std::string key = "php_admin_value[disable_functions] = ";
  const auto start = pool.find(key) + key.size();
  const std::string listed = "," + pool.substr(start, pool.find('\n', start) - start) + ",";
  for (const char* function : {"putenv", "dl", "proc_open", "pcntl_exec", "posix_setuid", "symlink",
                               "popen", "exec", "imap_open"}) {
    EXPECT_NE(listed.find("," + std::string(function) + ","), std::string::npos) << function;
  }
  EXPECT_NE(pool.find("php_admin_value[ffi.enable] = 0"), std::string::npos);
  EXPECT_NE(pool.find("php_admin_value[sendmail_path] = \"/s/php/sendmail "
                      "'/s/sites/dev/alpha/log/mail.log' keep\""),
            std::string::npos);
  PoolInput production{files(), "dev--alpha", std::nullopt, std::nullopt, PhpLimits{}};
  production.production = true;
  EXPECT_NE(render_pool(production).find("mail.log' relay\""), std::string::npos);
}

TEST(Pool, NamesTheCoreItRunsForPhpCli) {
  SiteFiles release = files();
  release.core_dir = "/s/cores/6.8.3";
  const std::string pool =
      render_pool(PoolInput{release, "dev--alpha", std::nullopt, std::nullopt, PhpLimits{}});
  EXPECT_EQ(pool_core_dir(pool), std::optional<std::string>("/s/cores/6.8.3"));
  EXPECT_NE(pool.find("php_admin_value[open_basedir] = /s/cores/6.8.3/:"), std::string::npos);
  // A pool written before environments chose their core ran Debian's.
  EXPECT_EQ(pool_core_dir("[dev--alpha]\nuser = wpf_abc\n"), std::nullopt);
  const StateLayout layout{"/s"};
  EXPECT_EQ(layout.core_dir(kDebianCore), "/s/core");
  EXPECT_EQ(layout.core_dir("6.8.3"), "/s/cores/6.8.3");
}

TEST(Pool, PhpCliGetsExactlyThePoolsSettings) {
  const std::string pool =
      render_pool(PoolInput{files(), "dev--alpha", std::string("wpf_abc"), std::nullopt, PhpLimits{}});
  const auto settings = pool_php_settings(pool);
  std::size_t admin_lines = 0;
  for (std::size_t at = pool.find("php_admin_"); at != std::string::npos;
       at = pool.find("php_admin_", at + 1)) {
    ++admin_lines;
  }
  EXPECT_EQ(settings.size(), admin_lines);
  bool saw_sendmail = false;
  for (const auto& setting : settings) {
    if (setting.name != "sendmail_path") continue;
    saw_sendmail = true;
    EXPECT_EQ(setting.value, "/s/php/sendmail '/s/sites/dev/alpha/log/mail.log' keep") << "unquoted";
  }
  EXPECT_TRUE(saw_sendmail);
}

TEST(Pool, WithoutIsolationSetsNoUser) {
  PoolInput in{files(), "dev--alpha", std::nullopt, std::nullopt, PhpLimits{}};
  const std::string pool = render_pool(in);
  EXPECT_EQ(pool.find("user ="), std::string::npos);
  EXPECT_EQ(pool.find("listen.owner"), std::string::npos);
}

NginxSiteInput site(std::uint16_t port, std::vector<std::string> hosts) {
  NginxSiteInput in;
  in.files = files();
  in.pool_name = "dev--alpha";
  in.env_name = "dev";
  in.listen = ListenAddress{"127.0.0.1", port};
  in.hosts = std::move(hosts);
  in.log_dir = "/s/log/nginx";
  in.direct_socket = "/s/nginx/direct/dev.sock";
  in.credentials_file = "/s/nginx/auth/dev.conf";
  in.certificate_file = "/s/tls/dev--alpha.pem";
  in.certificate_key_file = "/s/tls/dev--alpha.key";
  return in;
}

TEST(NginxSite, RoutesHostsToThePoolAndPassesThePort) {
  const std::string text = render_nginx_site(site(8080, {"alpha.wpdev.localhost", "alt.example"}));
  EXPECT_NE(text.find("listen 127.0.0.1:8080;"), std::string::npos);
  EXPECT_NE(text.find("server_name alpha.wpdev.localhost alt.example;"), std::string::npos);
  EXPECT_NE(text.find("fastcgi_param HTTP_HOST $host:8080;"), std::string::npos);
  EXPECT_NE(text.find("fastcgi_pass unix:/s/php-fpm/sockets/dev--alpha.sock;"), std::string::npos);
  EXPECT_NE(text.find("alias /s/sites/dev/alpha/wp-content/;"), std::string::npos);
  EXPECT_NE(text.find("X-Robots-Tag"), std::string::npos) << "not production";
  EXPECT_EQ(text.find("secure_link"), std::string::npos) << "no basic auth";
}

TEST(NginxSite, TheHomePageGoesStraightToIndexPhpBehindTheSameCache) {
  NginxSiteInput in = site(8080, {"alpha.wpdev.localhost"});
  in.edge.page_cache_s = 10;
  const std::string text = render_nginx_site(in);
  const auto home = text.find("  location = / {\n");
  ASSERT_NE(home, std::string::npos);
  const std::string block = text.substr(home, text.find("\n  }\n", home) - home);
  EXPECT_NE(block.find("fastcgi_param SCRIPT_FILENAME $document_root/index.php;"), std::string::npos);
  EXPECT_NE(block.find("fastcgi_param SCRIPT_NAME /index.php;"), std::string::npos);
  EXPECT_NE(block.find("fastcgi_param HTTP_HOST $host:8080;"), std::string::npos);
  EXPECT_NE(block.find("fastcgi_cache_key \"$scheme$host$request_uri\";"), std::string::npos)
      << "the same key as index.php's, so either location finds the other's copy";
  EXPECT_NE(block.find("fastcgi_cache_bypass $wpf_no_cache;"), std::string::npos);
  // Once per block: the public one and the direct one.
  EXPECT_NE(text.find("  location = / {\n", text.find("listen unix:")), std::string::npos);
}

TEST(NginxSite, TheDirectBlockHasNoEdge) {
  NginxSiteInput in = site(8080, {"alpha.wpdev.localhost"});
  in.edge.basic_auth_user = "bbws-sit";
  in.edge.page_cache_s = 10;
  const std::string text = render_nginx_site(in);
  const std::string direct = text.substr(text.find("listen unix:/s/nginx/direct/dev.sock;"));
  EXPECT_EQ(direct.find("wpf_gate"), std::string::npos);
  EXPECT_EQ(direct.find("fastcgi_cache "), std::string::npos);
  EXPECT_EQ(direct.find("X-Robots-Tag"), std::string::npos);
}

TEST(NginxSite, BasicAuthGatesEveryRequestAndAllowlistSkipsIt) {
  NginxSiteInput in = site(8080, {"alpha.wpsit.localhost"});
  in.env_name = "sit";
  in.edge.basic_auth_user = "bbws-sit";
  std::string text = render_nginx_site(in);
  EXPECT_NE(text.find("include /s/nginx/auth/dev.conf;"), std::string::npos);
  EXPECT_NE(text.find("set $wpf_gate \"0$secure_link\";"), std::string::npos);
  EXPECT_NE(text.find("WWW-Authenticate 'Basic realm=\"sit\"'"), std::string::npos);
  in.edge.allow = {"127.0.0.1/32"};
  text = render_nginx_site(in);
  EXPECT_NE(text.find("set $wpf_gate \"${wpf_allowed_sit}$secure_link\";"), std::string::npos);
  const std::string env = render_nginx_environment("sit", in.edge, "/s/cache/sit");
  EXPECT_NE(env.find("geo $wpf_allowed_sit {"), std::string::npos);
  EXPECT_NE(env.find("127.0.0.1/32 1;"), std::string::npos);
  // RFC 7617: "basic", "BASIC" and extra spaces reach the gate as "Basic <credentials>".
  EXPECT_NE(env.find("map $http_authorization $wpf_authorization_sit {"), std::string::npos);
  EXPECT_NE(env.find("\"~*^basic +(?<wpf_credentials>[^ ]+) *$\" \"Basic $wpf_credentials\";"),
            std::string::npos);
}

TEST(NginxSite, TenantSymlinksAreNotServedAndTheProbeIsDirectOnly) {
  const std::string text = render_nginx_site(site(8080, {"a.example"}));
  EXPECT_NE(text.find("disable_symlinks if_not_owner from=$document_root;"), std::string::npos);
  const auto direct = text.find("listen unix:");
  const auto probe = text.find("location = /.wpfleet/audit {");
  ASSERT_NE(probe, std::string::npos);
  EXPECT_GT(probe, direct) << "the probe must not be reachable through the edge";
  EXPECT_EQ(text.find("location = /.wpfleet/audit", probe + 1), std::string::npos);
  EXPECT_NE(text.find("SCRIPT_FILENAME /s/php/audit-probe.php;"), std::string::npos);
}

TEST(NginxSite, CredentialsAreAHashOfTheAuthorizationHeader) {
  // md5("Basic dTpw") for u:p in base64url without padding (`printf "Basic dTpw" | openssl md5
  // -binary | base64 | tr "+/" "-_" | tr -d =`), as nginx's secure_link wants.
  const std::string text = render_credentials("sit", "u", "p");
  EXPECT_NE(text.find("secure_link \"E_iwxtwd4wBbEEczkEN02A\";"), std::string::npos) << text;
  EXPECT_NE(text.find("secure_link_md5 \"$wpf_authorization_sit\";"), std::string::npos);
  EXPECT_EQ(text.find("dTpw"), std::string::npos);
}

TEST(NginxSite, PageCacheOnlyWhereAsked) {
  NginxSiteInput in = site(8080, {"a.example"});
  EXPECT_EQ(render_nginx_site(in).find("fastcgi_cache "), std::string::npos);
  EXPECT_EQ(render_nginx_environment("dev", in.edge, "/c"), "");
  in.edge.page_cache_s = 10;
  const std::string text = render_nginx_site(in);
  EXPECT_NE(text.find("fastcgi_cache wpf_dev;"), std::string::npos);
  EXPECT_NE(text.find("fastcgi_cache_valid 200 301 302 10s;"), std::string::npos);
  EXPECT_NE(text.find("wordpress_logged_in_"), std::string::npos);
  EXPECT_NE(render_nginx_environment("dev", in.edge, "/c").find("keys_zone=wpf_dev:10m"),
            std::string::npos);
}

TEST(NginxSite, TlsServesHttpsAndRedirectsPlainHttp) {
  NginxSiteInput in = site(8443, {"alpha.wpsec.localhost", "www.alpha.wpsec.localhost"});
  in.redirected = {"www.alpha.wpsec.localhost"};
  in.edge.tls = true;
  const std::string text = render_nginx_site(in);
  EXPECT_NE(text.find("listen 127.0.0.1:8443 ssl;"), std::string::npos);
  EXPECT_NE(text.find("ssl_certificate /s/tls/dev--alpha.pem;"), std::string::npos);
  EXPECT_NE(text.find("error_page 497 =301 https://$host:$server_port$request_uri;"), std::string::npos);
  EXPECT_NE(text.find("fastcgi_param HTTPS on;"), std::string::npos);
  EXPECT_NE(text.find("server_name www.alpha.wpsec.localhost;"), std::string::npos);
  EXPECT_NE(text.find("return 301 $scheme://alpha.wpsec.localhost:8443$request_uri;"), std::string::npos);
}

TEST(NginxSite, OnPort80TheHostNeedsNoPort) {
  EXPECT_EQ(render_nginx_site(site(80, {"a.example"})).find("$host:"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::local
