// New sites are copied from a template database made once per core (template_db.h) and
// then made their own: each answers with its own title, URLs and admin, shares no
// secret with another, cannot reach the template, and a template that is incomplete or
// of another version is made again rather than copied.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTemplate[] = "wpfleet_template_debian";

class TemplateDb : public OwnFleetTest {
 protected:
  std::unique_ptr<MysqlClient> root() const {
    auto client = mariadb_root(state());
    EXPECT_TRUE(client.ok()) << (client ? "" : client.error().message);
    return client ? std::move(*client) : nullptr;
  }

  static std::vector<std::string> column(MysqlClient& client, const std::string& sql) {
    auto rows = client.query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << (rows ? "" : rows.error().message);
    std::vector<std::string> values;
    if (rows) {
      for (const auto& row : *rows) values.push_back(row.front().value_or(""));
    }
    return values;
  }

  static std::string one(MysqlClient& client, const std::string& sql) {
    auto values = column(client, sql);
    return values.empty() ? "" : values.front();
  }

  std::string secret(const std::string& tenant, const std::string& name) const {
    const std::string out = wpfleet({"secret", "get", tenant, "-e", "dev", name}).out;
    return out.substr(0, out.find('\n'));
  }

  // Every text value of `db`'s tables that contains `needle`, as "table.column: value".
  static std::vector<std::string> mentions(MysqlClient& client, const std::string& db,
                                           const std::string& needle) {
    auto columns = client.query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = " +
        client.quote(db) +
        " AND data_type IN ('char', 'varchar', 'text', 'tinytext', "
        "'mediumtext', 'longtext')");
    EXPECT_TRUE(columns.ok());
    std::vector<std::string> found;
    if (!columns) return found;
    for (const auto& row : *columns) {
      const std::string where = quote_identifier(db) + "." + quote_identifier(*row[0]);
      for (const auto& value :
           column(client, "SELECT LEFT(" + quote_identifier(*row[1]) + ", 200) FROM " + where +
                              " WHERE " + quote_identifier(*row[1]) + " LIKE " +
                              client.quote("%" + needle + "%"))) {
        found.push_back(*row[0] + "." + *row[1] + ": " + value);
      }
    }
    return found;
  }
};

TEST_F(TemplateDb, NewSitesAreCopiesOfTheTemplateMadeTheirOwn) {
  write_fleet({"alpha", "beta"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(apply.err.find("without a template"), std::string::npos) << apply.err;
  auto db = root();
  ASSERT_TRUE(db);
  // Made once, complete, of the core's version; no tenant has it.
  const std::string version = one(*db, std::string("SELECT option_value FROM ") + kTemplate +
                                           ".wp_options WHERE option_name = 'wpfleet_template'");
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(one(*db,
                "SELECT option_value FROM dev_alpha_db.wp_options WHERE option_name = "
                "'wpfleet_installed'"),
            version);
  EXPECT_TRUE(column(*db, "SHOW DATABASES LIKE 'wpfleet\\_template\\_debian\\_new'").empty());

  const std::time_t now = std::time(nullptr);
  for (const std::string tenant : {"alpha", "beta"}) {
    SCOPED_TRACE(tenant);
    const std::string other = tenant == "alpha" ? "beta" : "alpha";
    const std::string host = tenant + ".wpdev.localhost";
    const std::string url = "http://" + host + ":" + std::to_string(port_);
    const std::string database = "dev_" + tenant + "_db";
    HttpResponse home = http_get(host, port_);
    EXPECT_EQ(home.status, 200);
    EXPECT_NE(home.body.find("Site of " + tenant), std::string::npos);
    EXPECT_TRUE(admin_login_works(host, port_, secret(tenant, "admin-password")));
    EXPECT_FALSE(admin_login_works(host, port_, secret(other, "admin-password")));

    // Nothing of the template's URL, title or e-mail, nor of the other site, is left.
    for (const std::string& needle :
         std::vector<std::string>{"wpfleet-template", "wpfleet template", other + ".wpdev"}) {
      const auto left = mentions(*db, database, needle);
      EXPECT_TRUE(left.empty()) << needle << ": " << left.front();
    }
    for (const auto& guid : column(*db, "SELECT guid FROM " + database + ".wp_posts")) {
      EXPECT_TRUE(guid.starts_with(url + "/")) << guid;
    }
    EXPECT_EQ(one(*db, "SELECT COUNT(*) FROM " + database + ".wp_posts WHERE post_content LIKE '%" +
                           url + "%'"),
              "2");  // the sample page (its dashboard link) and the privacy policy page
    EXPECT_EQ(
        one(*db, "SELECT user_email FROM " + database + ".wp_users WHERE user_login = 'admin'"),
        "admin@" + tenant + ".example");
    EXPECT_EQ(one(*db, "SELECT user_url FROM " + database + ".wp_users"), url);
    // Installed now, as far as anyone can tell: dates and scheduled times are today's.
    const auto seconds_ago = [&](const std::string& column, const std::string& table) {
      return std::abs(
          std::stoll(one(*db, "SELECT MAX(ABS(TIMESTAMPDIFF(SECOND, " + column +
                                  ", UTC_TIMESTAMP()))) FROM " + database + "." + table)));
    };
    EXPECT_LT(seconds_ago("post_date_gmt", "wp_posts"), 120);
    EXPECT_LT(seconds_ago("post_modified_gmt", "wp_posts"), 120);
    EXPECT_LT(seconds_ago("comment_date_gmt", "wp_comments"), 120);
    EXPECT_LT(seconds_ago("user_registered", "wp_users"), 120);
    // wp_install() gives the admin e-mail six months (of 30 days) before asking again.
    EXPECT_LT(std::abs(now + 15552000 -
                       std::stoll(one(*db, "SELECT option_value FROM " + database +
                                               ".wp_options WHERE option_name = "
                                               "'admin_email_lifespan'"))),
              120);
    EXPECT_EQ(one(*db, "SELECT COUNT(*) FROM " + database +
                           ".wp_options WHERE option_name = 'wpfleet_template'"),
              "0");

    // The tenant's own database login reaches its database, and not the template.
    MysqlEndpoint own;
    own.socket = (state() / "mariadb" / "mysqld.sock").string();
    own.user = "dev_" + tenant + "_user";
    own.password = secret(tenant, "db-password");
    auto tenant_db = MysqlClient::connect(own);
    ASSERT_TRUE(tenant_db.ok()) << tenant_db.error().message;
    EXPECT_TRUE((*tenant_db)->query("SELECT COUNT(*) FROM " + database + ".wp_options").ok());
    EXPECT_FALSE(
        (*tenant_db)->query(std::string("SELECT COUNT(*) FROM ") + kTemplate + ".wp_options").ok());
    EXPECT_FALSE((*tenant_db)->execute(std::string("USE ") + kTemplate).ok());
  }

  // No secret-like value (salts WordPress might keep in options, session tokens of the
  // logins above, keys of any kind) is the same in both sites, nor in the template at all.
  // (moderation_keys and disallowed_keys are word lists, empty.)
  EXPECT_TRUE(column(*db, std::string("SELECT option_name FROM ") + kTemplate +
                              ".wp_options WHERE option_value <> '' AND (option_name LIKE "
                              "'%key%' OR option_name LIKE '%salt%' OR option_name LIKE "
                              "'%secret%' OR option_name LIKE '%nonce%' OR option_name LIKE "
                              "'%token%' OR option_name LIKE '%transient%')")
                  .empty());
  const std::string shared_options =
      one(*db,
          "SELECT GROUP_CONCAT(a.option_name) FROM dev_alpha_db.wp_options a JOIN "
          "dev_beta_db.wp_options b ON a.option_name = b.option_name AND a.option_value = "
          "b.option_value WHERE a.option_value <> '' AND (a.option_name LIKE '%key%' OR "
          "a.option_name LIKE '%salt%' OR a.option_name LIKE '%secret%' OR a.option_name LIKE "
          "'%nonce%' OR a.option_name LIKE '%token%')");
  EXPECT_EQ(shared_options, "");
  EXPECT_EQ(one(*db,
                "SELECT COUNT(*) FROM dev_alpha_db.wp_usermeta a JOIN dev_beta_db.wp_usermeta b "
                "ON a.meta_value = b.meta_value WHERE a.meta_key = 'session_tokens'"),
            "0");
  EXPECT_NE(
      one(*db, "SELECT COUNT(*) FROM dev_alpha_db.wp_usermeta WHERE meta_key = 'session_tokens'"),
      "0");  // the logins above made some
  EXPECT_NE(one(*db, "SELECT user_pass FROM dev_alpha_db.wp_users"),
            one(*db, "SELECT user_pass FROM dev_beta_db.wp_users"));
}

TEST_F(TemplateDb, IncompleteOrOutdatedTemplateIsMadeAgainNotCopied) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  auto db = root();
  ASSERT_TRUE(db);
  const std::string marker = std::string("SELECT option_value FROM ") + kTemplate +
                             ".wp_options WHERE option_name = 'wpfleet_template'";
  const std::string version = one(*db, marker);
  ASSERT_FALSE(version.empty());
  const std::vector<std::string> damages = {
      // what a core of another version left (a core changed under the same name)
      std::string("UPDATE ") + kTemplate +
          ".wp_options SET option_value = '0.1' WHERE option_name = 'wpfleet_template'",
      // half made: a table missing
      std::string("DROP TABLE ") + kTemplate + ".wp_links"};
  std::vector<std::string> tenants = {"alpha"};
  for (std::size_t i = 0; i < damages.size(); ++i) {
    SCOPED_TRACE(damages[i]);
    ASSERT_TRUE(db->execute(damages[i]).ok());
    tenants.push_back(i == 0 ? "beta" : "gamma");
    write_fleet(tenants);
    CliResult apply = wpfleet({"apply", "--yes"});
    ASSERT_EQ(apply.exit_code, 0) << apply.err;
    EXPECT_EQ(apply.err.find("without a template"), std::string::npos) << apply.err;
    EXPECT_EQ(one(*db, marker), version);
    EXPECT_EQ(one(*db, std::string("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                   "table_schema = '") +
                           kTemplate + "'"),
              "12");
    const std::string& tenant = tenants.back();
    EXPECT_TRUE(
        admin_login_works(tenant + ".wpdev.localhost", port_, secret(tenant, "admin-password")));
  }
}

// kill -9 while a new site's tables are copied from the template (held there by a lock
// on one of the template's tables): verify names the unfinished site, and the next apply
// copies again into the emptied database.
TEST_F(TemplateDb, CopyKilledHalfWayIsNamedByVerifyAndFinishedByTheNextApply) {
  write_fleet({"alpha"});
  ASSERT_EQ(wpfleet({"up"}).exit_code, 0);
  ASSERT_EQ(wpfleet({"apply", "--yes"}).exit_code, 0);
  write_fleet({"alpha", "beta"});
  auto db = root();
  auto locker = root();
  ASSERT_TRUE(db && locker);
  ASSERT_TRUE(locker->execute(std::string("LOCK TABLES ") + kTemplate + ".wp_posts WRITE").ok());
  const fs::path log = dir_.path() / "apply.log";
  const pid_t apply = start({"apply", "--yes"}, log);
  const auto copying = [&] {
    return one(*db,
               "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE "
               "'%`dev_beta_db`.`wp_posts`%' AND id <> CONNECTION_ID()") != "0";
  };
  ASSERT_TRUE(eventually(120, copying)) << read_text(log);
  kill(apply, SIGKILL);
  EXPECT_EQ(wait_exit(apply), -SIGKILL);
  ASSERT_TRUE(locker->execute("UNLOCK TABLES").ok());
  ASSERT_TRUE(eventually(30, [&] { return !copying(); }));
  // Left half-copied: some tables, no admin, no marker.
  EXPECT_NE(one(*db,
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                "'dev_beta_db'"),
            "0");

  CliResult verify = wpfleet({"verify", "beta", "--output", "json"});
  EXPECT_NE(verify.exit_code, 0);
  EXPECT_NE(verify.out.find("site"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find("wpfleet apply"), std::string::npos) << verify.out;

  CliResult again = wpfleet({"apply", "--yes"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming"), std::string::npos) << again.err;
  EXPECT_TRUE(admin_login_works("beta.wpdev.localhost", port_, secret("beta", "admin-password")));
  EXPECT_EQ(wpfleet({"verify", "beta"}).exit_code, 0);
  EXPECT_EQ(wpfleet({"plan"}).exit_code, 0);
}

}  // namespace
}  // namespace wpfleet::testing
