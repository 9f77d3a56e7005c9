#include "backends/local/templates.h"

#include <gtest/gtest.h>

#include "backends/local/names.h"

namespace wpfleet::local {
namespace {

SiteFiles files() {
  return {"/s/sites/dev/alpha", "/s/core", "/s/mariadb/mysqld.sock",
          "/s/php-fpm/sockets/dev--alpha.sock"};
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
                     "dev_alpha_db", "dev_alpha_user", "pa'ss\\word", {"1", "2", "3", "4", "5", "6", "7", "8"}};
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

TEST(Pool, IsOndemandConfinedAndRunsAsTheTenant) {
  PoolInput in{files(), "dev--alpha", std::string("wpf_abc"), std::string("www-data"), PhpLimits{}};
  const std::string pool = render_pool(in);
  EXPECT_NE(pool.find("[dev--alpha]"), std::string::npos);
  EXPECT_NE(pool.find("user = wpf_abc\ngroup = wpf_abc"), std::string::npos);
  EXPECT_NE(pool.find("pm = ondemand"), std::string::npos);
  EXPECT_NE(pool.find("listen.group = www-data"), std::string::npos);
  EXPECT_NE(pool.find("php_admin_value[open_basedir] = /s/core/:/s/sites/dev/alpha/wp-content/:"),
            std::string::npos);
  EXPECT_NE(pool.find("env[WPFLEET_SITE_CONFIG] = /s/sites/dev/alpha/wp-config.php"),
            std::string::npos);
  EXPECT_EQ(pool.find("/s/sites/dev/beta"), std::string::npos);
}

TEST(Pool, WithoutIsolationSetsNoUser) {
  PoolInput in{files(), "dev--alpha", std::nullopt, std::nullopt, PhpLimits{}};
  const std::string pool = render_pool(in);
  EXPECT_EQ(pool.find("user ="), std::string::npos);
  EXPECT_EQ(pool.find("listen.owner"), std::string::npos);
}

TEST(NginxSite, RoutesHostsToThePoolAndPassesThePort) {
  NginxSiteInput in{files(), "dev--alpha", ListenAddress{"127.0.0.1", 8080},
                    {"alpha.wpdev.localhost", "www.alpha.wpdev.localhost"}, "/s/log/nginx", 64};
  const std::string site = render_nginx_site(in);
  EXPECT_NE(site.find("listen 127.0.0.1:8080;"), std::string::npos);
  EXPECT_NE(site.find("server_name alpha.wpdev.localhost www.alpha.wpdev.localhost;"),
            std::string::npos);
  EXPECT_NE(site.find("fastcgi_param HTTP_HOST $host:$server_port;"), std::string::npos);
  EXPECT_NE(site.find("fastcgi_pass unix:/s/php-fpm/sockets/dev--alpha.sock;"), std::string::npos);
  EXPECT_NE(site.find("alias /s/sites/dev/alpha/wp-content/;"), std::string::npos);
}

TEST(NginxSite, OnPort80TheHostNeedsNoPort) {
  NginxSiteInput in{files(), "dev--alpha", ListenAddress{"127.0.0.1", 80}, {"a.example"},
                    "/s/log/nginx", 64};
  EXPECT_EQ(render_nginx_site(in).find("$server_port"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::local
