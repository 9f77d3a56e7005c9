// The edge in front of each environment, against the real nginx and php-fpm: basic auth,
// its refusal page (in headless Chromium too) and its rotation, the allowlist, noindex,
// static caching and revalidation, the page micro-cache, TLS with wpfleet's CA, www
// redirects and route priorities.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.h"
#include "util/fs.h"
#include "util/http_client.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

class Edge : public FleetSuite {
 protected:
  // dev: open. sit: basic auth, page cache. prod: production, basic auth with 127.0.0.1
  // allowed, page cache. sec: TLS. Each tenant is in all of them.
  static void SetUpTestSuite() {
    port_ = free_port();
    prod_port_ = free_port();
    tls_port_ = free_port();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string text =
        "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"" + listen + "\"\n"
        "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\nlisten = \"" + listen + "\"\n"
        "basic_auth = { user = \"bbws-sit\" }\npage_cache = \"10s\"\n"
        "[environments.prod]\ndomain = \"{tenant}.wp.localhost\"\n"
        "listen = \"127.0.0.1:" + std::to_string(prod_port_) + "\"\nproduction = true\n"
        "basic_auth = { user = \"bbws-prod\" }\nallow = [\"127.0.0.1/32\"]\npage_cache = \"10s\"\n"
        "[environments.sec]\ndomain = \"{tenant}.wpsec.localhost\"\n"
        "listen = \"127.0.0.1:" + std::to_string(tls_port_) + "\"\ntls = true\n"
        "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha Site\"\nadmin_email = \"a@alpha.example\"\n"
        "environments = [\"dev\", \"sit\", \"prod\", \"sec\"]\n"
        "aliases = { dev = [\"www.alpha.wpdev.localhost\"], sec = [\"www.alpha.wpsec.localhost\"] }\n"
        "\n[[tenants]]\nid = \"beta\"\ntitle = \"Beta Site\"\nadmin_email = \"b@beta.example\"\n"
        "environments = [\"dev\", \"sit\"]\n";
    start_fleet(text);
  }


  static HttpReply get(const std::string& url, std::vector<std::string> headers = {},
                       std::optional<std::string> auth = std::nullopt,
                       std::optional<std::string> ca = std::nullopt) {
    HttpRequest request;
    request.url = url;
    request.connect_to = "127.0.0.1";
    request.headers = std::move(headers);
    request.basic_auth = std::move(auth);
    request.ca_file = std::move(ca);
    auto reply = http_request(request);
    EXPECT_TRUE(reply.ok()) << url << ": " << (reply ? "" : reply.error().message);
    return reply ? *reply : HttpReply{};
  }

  static std::string url(const std::string& host, std::uint16_t port, const std::string& path = "/") {
    return "http://" + host + ":" + std::to_string(port) + path;
  }

  static std::string secret(const std::string& env, const std::string& name) {
    CliResult got = wpfleet({"secret", "get", "-e", env, name});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return got.out.substr(0, got.out.find('\n'));
  }

  // PHP requests the tenant's pool has served so far.
  static std::size_t php_requests(const std::string& env, const std::string& tenant) {
    auto log = read_file(state() / "sites" / env / tenant / "log" / "php-access.log");
    return log ? static_cast<std::size_t>(std::count(log->begin(), log->end(), '\n')) : 0;
  }

  static std::uint16_t port_, prod_port_, tls_port_;
};

std::uint16_t Edge::port_ = 0, Edge::prod_port_ = 0, Edge::tls_port_ = 0;

TEST_F(Edge, DevIsOpenAndHiddenFromSearchEngines) {
  HttpReply page = get(url("alpha.wpdev.localhost", port_));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Alpha Site"), std::string::npos);
  EXPECT_EQ(page.headers["x-robots-tag"], "noindex, nofollow");
}

TEST_F(Edge, SitNeedsThePasswordAndRotationReplacesIt) {
  HttpReply anonymous = get(url("alpha.wpsit.localhost", port_));
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_NE(anonymous.headers["www-authenticate"].find("Basic"), std::string::npos);
  const std::string old_password = secret("sit", "basic-auth-password");
  EXPECT_EQ(old_password.size(), 32u);
  EXPECT_EQ(get(url("beta.wpsit.localhost", port_), {}, "bbws-sit:" + old_password).status, 200);
  EXPECT_EQ(get(url("beta.wpsit.localhost", port_), {}, "bbws-sit:wrong").status, 401);
  // nginx is given only a hash of the credentials.
  auto credentials = read_file(state() / "nginx" / "auth" / "sit.conf");
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->find(old_password), std::string::npos);
  EXPECT_NE(credentials->find("secure_link \""), std::string::npos);

  CliResult rotated = wpfleet({"secret", "rotate", "-e", "sit", "basic-auth-password"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string new_password = secret("sit", "basic-auth-password");
  EXPECT_NE(new_password, old_password);
  EXPECT_EQ(get(url("alpha.wpsit.localhost", port_), {}, "bbws-sit:" + old_password).status, 401);
  EXPECT_EQ(get(url("alpha.wpsit.localhost", port_), {}, "bbws-sit:" + new_password).status, 200);
  // apply sees nothing to do after a rotation.
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
}

TEST_F(Edge, RefusedVisitorsGetAPageSayingTheSiteIsProtected) {
  const std::string page_url = url("alpha.wpsit.localhost", port_, "/sample-page/");
  const std::string password = "bbws-sit:" + secret("sit", "basic-auth-password");
  // The page is in the micro-cache for visitors with the password...
  get(page_url, {}, password);
  ASSERT_EQ(get(page_url, {}, password).headers["x-cache"], "HIT");
  // ...and one without it, or with a wrong one, gets the refusal page instead, from no cache.
  for (const auto& auth : std::vector<std::optional<std::string>>{std::nullopt, "bbws-sit:wrong"}) {
    HttpReply refused = get(page_url, {}, auth);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_EQ(refused.headers["www-authenticate"], "Basic realm=\"sit\"");
    EXPECT_EQ(refused.headers["cache-control"], "no-store");
    EXPECT_EQ(refused.headers.count("x-cache"), 0u);
    EXPECT_NE(refused.body.find("<title>This site is protected</title>"), std::string::npos);
    EXPECT_NE(refused.body.find("ask the people who run this site for access"), std::string::npos);
    // It gives nothing of the tenant away.
    EXPECT_EQ(refused.body.find("Alpha"), std::string::npos) << refused.body;
    EXPECT_EQ(refused.body.find("alpha"), std::string::npos) << refused.body;
  }
  // No URL serves the page itself: it exists only as the answer to a refusal.
  HttpReply named = get(url("alpha.wpsit.localhost", port_, "/@wpf_unauthorized"), {}, password);
  EXPECT_NE(named.status, 401);
  EXPECT_EQ(named.body.find("This site is protected"), std::string::npos);
}

TEST_F(Edge, BrowsersShowTheRefusalPageAndWithThePasswordTheSite) {
  if (!chromium_installed()) {
    GTEST_SKIP() << "chromium is not installed (scripts/install-deps installs it); the browser "
                    "checks of the basic auth refusal page need it";
  }
  // A visitor without the password cancels the prompt: the browser shows the page (with
  // application/octet-stream, Chromium showed net::ERR_INVALID_RESPONSE instead).
  const std::string home = url("alpha.wpsit.localhost", port_);
  auto refused = chromium_page(home);
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_NE(refused->find("<h1>This site is protected</h1>"), std::string::npos) << *refused;
  auto wrong = chromium_page(home, "bbws-sit:wrong");
  ASSERT_TRUE(wrong.ok()) << wrong.error().message;
  EXPECT_NE(wrong->find("<h1>This site is protected</h1>"), std::string::npos) << *wrong;
  // One with the password sees the site.
  auto site = chromium_page(home, "bbws-sit:" + secret("sit", "basic-auth-password"));
  ASSERT_TRUE(site.ok()) << site.error().message;
  EXPECT_NE(site->find("Alpha Site"), std::string::npos) << site->substr(0, 2000);
  EXPECT_EQ(site->find("This site is protected"), std::string::npos);
}

TEST_F(Edge, RotationDropsNoRequest) {
  // While the password changes (a graceful nginx reload), requests keep being answered:
  // the open site with 200, the gated one with 401, never a refused or reset connection.
  std::atomic<bool> rotating{true};
  std::atomic<int> answered{0}, dropped{0};
  std::thread load([&] {
    while (rotating) {
      auto request = [](const std::string& to) {
        HttpRequest r;
        r.url = to;
        r.connect_to = "127.0.0.1";
        return http_request(r);
      };
      auto a = request(url("beta.wpdev.localhost", port_, "/wp-includes/css/dashicons.min.css"));
      auto b = request(url("beta.wpsit.localhost", port_, "/"));
      const bool ok = a && a->status == 200 && b && b->status == 401;
      (ok ? answered : dropped)++;
    }
  });
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(wpfleet({"secret", "rotate", "-e", "sit", "basic-auth-password"}).exit_code, 0);
  }
  rotating = false;
  load.join();
  EXPECT_GT(answered.load(), 10);
  EXPECT_EQ(dropped.load(), 0);
}

TEST_F(Edge, AllowlistedAddressSkipsThePasswordAndProductionIsIndexable) {
  HttpReply page = get(url("alpha.wp.localhost", prod_port_));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.count("x-robots-tag"), 0u);
}

TEST_F(Edge, StaticFilesAreCachedAndRevalidated) {
  const fs::path upload_dir = state() / "sites" / "dev" / "alpha" / "wp-content" / "uploads" / "2026";
  fs::create_directories(upload_dir);
  ASSERT_TRUE(write_file_atomic(upload_dir / "pixel.png", std::string("\x89PNG\r\n\x1a\n", 8)).ok());
  for (const std::string path : {"/wp-content/uploads/2026/pixel.png",
                                 "/wp-content/themes/twentytwentythree/style.css",
                                 "/wp-includes/css/dashicons.min.css"}) {
    HttpReply first = get(url("alpha.wpdev.localhost", port_, path));
    ASSERT_EQ(first.status, 200) << path;
    EXPECT_EQ(first.headers["cache-control"], "max-age=2592000") << path;
    ASSERT_FALSE(first.headers["etag"].empty()) << path;
    EXPECT_EQ(first.headers["x-robots-tag"], "noindex, nofollow") << path;
    HttpReply again = get(url("alpha.wpdev.localhost", port_, path),
                          {"If-None-Match: " + first.headers["etag"]});
    EXPECT_EQ(again.status, 304) << path;
  }
}

TEST_F(Edge, PageCacheServesAnonymousGetsWithoutPhp) {
  const std::size_t before = php_requests("prod", "alpha");
  HttpReply first = get(url("alpha.wp.localhost", prod_port_, "/sample-page/"));
  HttpReply second = get(url("alpha.wp.localhost", prod_port_, "/sample-page/"));
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.headers["x-cache"], "HIT");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(php_requests("prod", "alpha"), before + 1) << "the second GET must not reach PHP";
}

TEST_F(Edge, AdminLoginAndLoggedInRequestsAreNeverCached) {
  const std::size_t before = php_requests("prod", "alpha");
  const std::string login = url("alpha.wp.localhost", prod_port_, "/wp-login.php");
  EXPECT_EQ(get(login).headers["x-cache"], "BYPASS");
  EXPECT_EQ(get(login).headers["x-cache"], "BYPASS");
  const std::string home = url("alpha.wp.localhost", prod_port_, "/");
  const std::vector<std::string> cookie = {"Cookie: wordpress_logged_in_abc=admin%7C1"};
  EXPECT_EQ(get(home, cookie).headers["x-cache"], "BYPASS");
  EXPECT_EQ(get(home, cookie).headers["x-cache"], "BYPASS");
  HttpRequest post;
  post.method = "POST";
  post.url = home;
  post.connect_to = "127.0.0.1";
  post.body = "s=x";
  auto posted = http_request(post);
  ASSERT_TRUE(posted.ok());
  EXPECT_NE(posted->headers["x-cache"], "HIT");  // nginx never caches a POST at all
  EXPECT_EQ(php_requests("prod", "alpha"), before + 5);
}

TEST_F(Edge, HttpsVerifiesAgainstTheWpfleetCaAndHttpRedirects) {
  CliResult ca = wpfleet({"ca", "path"});
  ASSERT_EQ(ca.exit_code, 0) << ca.err;
  const std::string ca_file = ca.out.substr(0, ca.out.find('\n'));
  const std::string https = "https://alpha.wpsec.localhost:" + std::to_string(tls_port_) + "/";
  HttpReply page = get(https, {}, std::nullopt, ca_file);
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("https://alpha.wpsec.localhost:" + std::to_string(tls_port_)),
            std::string::npos) << "WordPress knows it is served over https";
  // Without the CA the certificate is not trusted.
  HttpRequest untrusted;
  untrusted.url = https;
  untrusted.connect_to = "127.0.0.1";
  EXPECT_FALSE(http_request(untrusted).ok());
  HttpReply plain = get(url("alpha.wpsec.localhost", tls_port_, "/x?y=1"));
  EXPECT_EQ(plain.status, 301);
  EXPECT_EQ(plain.headers["location"],
            "https://alpha.wpsec.localhost:" + std::to_string(tls_port_) + "/x?y=1");
  // The www alias is covered by the certificate and redirects to the canonical host.
  HttpReply www = get("https://www.alpha.wpsec.localhost:" + std::to_string(tls_port_) + "/",
                      {}, std::nullopt, ca_file);
  EXPECT_EQ(www.status, 301);
  EXPECT_EQ(www.headers["location"], https);
}

TEST_F(Edge, WwwAliasRedirectsToTheCanonicalHost) {
  HttpReply www = get(url("www.alpha.wpdev.localhost", port_, "/about/"));
  EXPECT_EQ(www.status, 301);
  EXPECT_EQ(www.headers["location"], url("alpha.wpdev.localhost", port_, "/about/"));
}

TEST_F(Edge, RoutesListHostsTenantsAndDistinctPriorities) {
  CliResult routes = wpfleet({"routes", "-e", "sit", "--output", "json"});
  ASSERT_EQ(routes.exit_code, 0) << routes.err;
  const auto rows = nlohmann::json::parse(routes.out);
  ASSERT_EQ(rows.size(), 2u);
  std::set<int> priorities;
  for (const auto& row : rows) priorities.insert(row["priority"].get<int>());
  EXPECT_EQ(priorities, (std::set<int>{10, 20}));
}

TEST_F(Edge, ApplyHealthChecksGoPastTheGate) {
  // Every tenant of sit was installed and health-checked behind basic auth; status says so.
  CliResult list = wpfleet({"tenant", "list", "-e", "sit", "--output", "json"});
  EXPECT_EQ(list.exit_code, 0) << list.out << list.err;
  for (const auto& row : nlohmann::json::parse(list.out)) EXPECT_TRUE(row["healthy"].get<bool>());
}

}  // namespace
}  // namespace wpfleet::testing
