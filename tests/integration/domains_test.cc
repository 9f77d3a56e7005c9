// Real domains, against the real nginx, php-fpm and MariaDB: a tenant's own canonical
// host name, aliases served or redirected to it, what `routes` says of each, a domain
// change as a planned change, and the fleet file's mistakes refused with their fix.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

class Domains : public FleetSuite {
 protected:
  // goldencrust has its own domain in dev; beta keeps the pattern's host name.
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(fleet_text("goldencrust.test", "{ host = \"bakery.example\", redirect = false }"));
  }

  // The fleet with goldencrust's dev domain `domain`; `bakery` is how its alias
  // bakery.example is written.
  static std::string fleet_text(const std::string& domain, const std::string& bakery) {
    return "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"127.0.0.1:" +
           std::to_string(port_) + "\"\n" +
           "[[tenants]]\nid = \"goldencrust\"\ntitle = \"Golden Crust\"\n"
           "admin_email = \"owner@goldencrust.example\"\nenvironments = [\"dev\"]\n"
           "domains = { dev = \"" + domain + "\" }\n"
           "aliases = [{ host = \"goldencrust.example\", redirect = true }, \"www." + domain +
           "\", " + bakery + "]\n"
           "[[tenants]]\nid = \"beta\"\ntitle = \"Beta\"\nadmin_email = \"b@beta.example\"\n"
           "environments = [\"dev\"]\n";
  }

  // WordPress's own idea of its address, from its database.
  static std::string option(const std::string& name) {
    auto root = mariadb_root(state());
    if (!root) return "(no database: " + root.error().message + ")";
    auto rows = (*root)->query("SELECT option_value FROM `dev_goldencrust_db`.wp_options "
                               "WHERE option_name = '" + name + "'");
    return rows && !rows->empty() && (*rows)[0][0] ? *(*rows)[0][0] : "(none)";
  }

  static std::string home(const std::string& host) {
    return "http://" + host + ":" + std::to_string(port_);
  }

  // host -> its route's mode (and where a redirect leads), from `routes --output json`.
  static std::map<std::string, std::string> modes() {
    CliResult routes = wpfleet({"routes", "-e", "dev", "--output", "json"});
    EXPECT_EQ(routes.exit_code, 0) << routes.err;
    std::map<std::string, std::string> out;
    for (const auto& row : nlohmann::json::parse(routes.out)) {
      std::string mode = row["mode"].get<std::string>();
      if (row.contains("to")) mode += " " + row["to"].get<std::string>();
      out[row["tenant"].get<std::string>() + " " + row["host"].get<std::string>()] = mode;
    }
    return out;
  }

  // `wpfleet plan` of a fleet file with `text`, beside the suite's (the same state).
  static CliResult plan_of(const std::string& text) {
    const auto file = fleet().parent_path() / "other.toml";
    EXPECT_TRUE(write_file_atomic(file, text).ok());
    return run_wpfleet({"-f", file.string(), "plan"});
  }

  static std::uint16_t port_;
};

std::uint16_t Domains::port_ = 0;

TEST_F(Domains, TheOwnDomainIsTheSitesHomeAndAnswers) {
  HttpResponse page = http_get("goldencrust.test", port_, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(home("goldencrust.test") + "/"), std::string::npos) << page.body;
  EXPECT_EQ(option("home"), home("goldencrust.test"));
  EXPECT_EQ(option("siteurl"), home("goldencrust.test"));
  CliResult shown = wpfleet({"tenant", "show", "goldencrust", "-e", "dev", "--output", "json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(nlohmann::json::parse(shown.out)["url"], home("goldencrust.test") + "/");
  // The pattern's host name is not the tenant's any more.
  EXPECT_NE(http_get("goldencrust.wpdev.localhost", port_, "/").status, 200);
  EXPECT_EQ(http_get("beta.wpdev.localhost", port_, "/").status, 200);
}

TEST_F(Domains, RedirectedAliasesLeadToTheCanonicalHostKeepingThePath) {
  for (const std::string host : {"goldencrust.example", "www.goldencrust.test"}) {
    HttpResponse moved = http_get(host, port_, "/about/?ref=flyer");
    EXPECT_EQ(moved.status, 301) << host;
    EXPECT_EQ(moved.headers["location"], home("goldencrust.test") + "/about/?ref=flyer") << host;
  }
}

TEST_F(Domains, ServedAliasesAnswerWithTheSite) {
  HttpResponse page = http_get("bakery.example", port_, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Golden Crust"), std::string::npos);
}

TEST_F(Domains, RoutesSayWhichHostIsCanonicalServedOrRedirected) {
  const std::map<std::string, std::string> expected{
      {"goldencrust goldencrust.test", "canonical"},
      {"goldencrust goldencrust.example", "redirect goldencrust.test"},
      {"goldencrust www.goldencrust.test", "redirect goldencrust.test"},
      {"goldencrust bakery.example", "served"},
      {"beta beta.wpdev.localhost", "canonical"}};
  EXPECT_EQ(modes(), expected);
  CliResult table = wpfleet({"routes", "-e", "dev"});
  EXPECT_NE(table.out.find("redirect -> goldencrust.test"), std::string::npos) << table.out;
}

TEST_F(Domains, MistakesAreRefusedWithTheirFix) {
  const std::string good = fleet_text("goldencrust.test", "\"bakery.example\"");
  struct Case {
    std::string from, to, problem, fix;
  };
  const std::vector<Case> cases{
      {"domains = { dev = \"goldencrust.test\" }", "domains = { dev = \"golden_crust.test\" }",
       "domain 'golden_crust.test' is not a valid host name", "e.g. \"goldencrust.co.za\""},
      {"domains = { dev = \"goldencrust.test\" }", "domains = { dev = \"beta.wpdev.localhost\" }",
       "host 'beta.wpdev.localhost' is claimed by tenant 'goldencrust' (line 4) and tenant 'beta'",
       "give one of them a different alias or domain"},
      {"domains = { dev = \"goldencrust.test\" }", "domains = { prod = \"goldencrust.test\" }",
       "a domain for 'prod', but tenant 'goldencrust' is not in environment 'prod'",
       "add \"prod\" to its environments or remove this domain"},
      {"\"bakery.example\"", "{ host = \"bakery.example\", redirect = \"no\" }",
       "'redirect' must be true or false", "redirect = true"}};
  for (const Case& c : cases) {
    std::string text = good;
    ASSERT_NE(text.find(c.from), std::string::npos) << c.from;
    text.replace(text.find(c.from), c.from.size(), c.to);
    CliResult planned = plan_of(text);
    EXPECT_EQ(planned.exit_code, 3) << c.to;
    EXPECT_NE(planned.err.find(c.problem), std::string::npos) << planned.err;
    EXPECT_NE(planned.err.find(c.fix), std::string::npos) << planned.err;
  }
}

// What a kill -9 between apply's routes and its content rewrite leaves: the site's
// record names the new URL, the content the old one, and the change's note is all
// that says so.
TEST_F(Domains, AChangeAnApplyDidNotFinishIsShownAndFinishedByTheNext) {
  const std::string old_home = home("goldencrust.old");
  {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok());
    ASSERT_TRUE((*root)->execute("UPDATE `dev_goldencrust_db`.wp_posts SET post_content = "
                                 "'<a href=\"" + old_home + "/menu/\">Menu</a>' WHERE ID = 1").ok());
  }
  const auto note = state() / "domain-changes" / "dev--goldencrust.json";
  ASSERT_TRUE(make_dirs(note.parent_path(), 0700).ok());
  ASSERT_TRUE(write_file_atomic(note, nlohmann::json({{"env", "dev"}, {"tenant", "goldencrust"},
                                                      {"from", old_home}}).dump()).ok());
  CliResult planned = wpfleet({"plan", "--output", "json"});
  EXPECT_EQ(planned.exit_code, 2) << planned.err;
  const auto changes = nlohmann::json::parse(planned.out)["domain_changes"];
  ASSERT_EQ(changes.size(), 1u) << planned.out;
  EXPECT_EQ(changes[0]["from"], old_home);
  EXPECT_EQ(changes[0]["to"], home("goldencrust.test"));
  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "dev"});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_NE(verified.out.find("the content rewrite of dev/goldencrust from " + old_home + " to " +
                              home("goldencrust.test") + " did not finish"),
            std::string::npos)
      << verified.out;

  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  HttpResponse post = http_get("goldencrust.test", port_, "/hello-world/");
  EXPECT_NE(post.body.find("href=\"" + home("goldencrust.test") + "/menu/\""), std::string::npos)
      << post.body;
  EXPECT_FALSE(std::filesystem::exists(note));
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
  EXPECT_EQ(wpfleet({"verify", "goldencrust", "-e", "dev"}).exit_code, 0);
}

// A real kill -9 of apply once it noted the change (somewhere in its routes,
// configuration, site or content rewrite): verify names the change, and the next apply
// finishes it. Put back afterwards.
TEST_F(Domains, AKilledApplyLeavesTheChangeToTheNext) {
  const std::string original = fleet_text("goldencrust.test", "{ host = \"bakery.example\", redirect = false }");
  ASSERT_TRUE(write_file_atomic(fleet(), fleet_text("goldencrust.bakery", "\"bakery.example\"")).ok());
  const auto note = state() / "domain-changes" / "dev--goldencrust.json";
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string(), "apply", "--yes"};
  const auto log = fleet().parent_path() / "apply.log";
  auto apply = spawn_child(spec, log.string());
  ASSERT_TRUE(apply.ok());
  const bool noted = eventually(60, [&] { return std::filesystem::exists(note); });
  ::kill(*apply, SIGKILL);
  int status = 0;
  ::waitpid(*apply, &status, 0);
  ASSERT_TRUE(noted);
  ASSERT_TRUE(WIFSIGNALED(status)) << "apply finished before it was killed";

  CliResult verified = wpfleet({"verify", "goldencrust", "-e", "dev"});
  EXPECT_EQ(verified.exit_code, 1);
  EXPECT_NE(verified.out.find("the content rewrite of dev/goldencrust from " + home("goldencrust.test") +
                              " to " + home("goldencrust.bakery")),
            std::string::npos)
      << verified.out;
  CliResult again = wpfleet({"apply", "--yes"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("content rewritten to " + home("goldencrust.bakery")), std::string::npos)
      << again.err;
  EXPECT_FALSE(std::filesystem::exists(note));
  EXPECT_EQ(option("home"), home("goldencrust.bakery"));
  EXPECT_EQ(wpfleet({"verify", "goldencrust", "-e", "dev"}).exit_code, 0);

  ASSERT_TRUE(write_file_atomic(fleet(), original).ok());
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
}

// Last, and put back: the suite's other tests read the first domain.
TEST_F(Domains, ChangingTheDomainOrAModeIsAPlannedChange) {
  // A post and a PHP-serialized option that name the old URL; the new host name is
  // longer, so the serialized string's length must change with it.
  const std::string old_link = home("goldencrust.test") + "/menu/";
  const std::string new_link = home("goldencrust-bakery.shop") + "/menu/";
  auto serialized = [](const std::string& link) {
    return "a:1:{s:4:\"link\";s:" + std::to_string(link.size()) + ":\"" + link + "\";}";
  };
  {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok());
    ASSERT_TRUE((*root)->execute("UPDATE `dev_goldencrust_db`.wp_posts SET post_content = "
                                 "'<a href=\"" + old_link + "\">Menu</a>' WHERE ID = 1").ok());
    ASSERT_TRUE((*root)->execute("INSERT INTO `dev_goldencrust_db`.wp_options (option_name, "
                                 "option_value) VALUES ('wpfleet_test_link', '" +
                                 serialized(old_link) + "')").ok());
  }
  const std::string original = fleet_text("goldencrust.test", "{ host = \"bakery.example\", redirect = false }");
  const std::string moved = fleet_text("goldencrust-bakery.shop", "{ host = \"bakery.example\", redirect = true }");
  ASSERT_TRUE(write_file_atomic(fleet(), moved).ok());
  CliResult planned = wpfleet({"plan"});
  EXPECT_EQ(planned.exit_code, 2) << planned.out << planned.err;
  EXPECT_NE(planned.out.find("~ domain change: rewrite content of dev/goldencrust (" +
                             home("goldencrust.test") + " -> " + home("goldencrust-bakery.shop") + ")"),
            std::string::npos)
      << planned.out;
  for (const std::string kind : {"route", "runtime", "site"}) {
    EXPECT_NE(planned.out.find("~ update dev/goldencrust " + kind), std::string::npos)
        << kind << "\n" << planned.out;
  }
  EXPECT_EQ(planned.out.find("dev/beta"), std::string::npos) << planned.out;

  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_NE(applied.err.find("content rewritten to " + home("goldencrust-bakery.shop")),
            std::string::npos) << applied.err;
  EXPECT_EQ(http_get("goldencrust-bakery.shop", port_, "/").status, 200);
  EXPECT_EQ(option("home"), home("goldencrust-bakery.shop"));
  EXPECT_EQ(option("siteurl"), home("goldencrust-bakery.shop"));
  EXPECT_EQ(option("wpfleet_test_link"), serialized(new_link));
  HttpResponse post = http_get("goldencrust-bakery.shop", port_, "/hello-world/");
  EXPECT_NE(post.body.find("href=\"" + new_link + "\""), std::string::npos) << post.body;
  EXPECT_EQ(post.body.find(old_link), std::string::npos);
  HttpResponse bakery = http_get("bakery.example", port_, "/shop/");
  EXPECT_EQ(bakery.status, 301);
  EXPECT_EQ(bakery.headers["location"], home("goldencrust-bakery.shop") + "/shop/");
  EXPECT_EQ(http_get("www.goldencrust-bakery.shop", port_, "/").headers["location"],
            home("goldencrust-bakery.shop") + "/");
  EXPECT_EQ(modes()["goldencrust bakery.example"], "redirect goldencrust-bakery.shop");
  EXPECT_NE(http_get("goldencrust.test", port_, "/").status, 200);
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);

  // The history has the rewrite, which rollback undoes like any content operation.
  CliResult history = wpfleet({"history"});
  EXPECT_NE(history.out.find("search-replace"), std::string::npos) << history.out;

  ASSERT_TRUE(write_file_atomic(fleet(), original).ok());
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  EXPECT_EQ(option("home"), home("goldencrust.test"));
  EXPECT_EQ(option("wpfleet_test_link"), serialized(old_link));
}

}  // namespace
}  // namespace wpfleet::testing
