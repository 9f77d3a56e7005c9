// Moving content between environments on the real servers: promote with URL rewriting
// that keeps serialized data intact, automatic rollback, production safeguards,
// snapshots, export/import.
#include <gtest/gtest.h>

#include <regex>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/mysql_client.h"
#include "util/parallel_dump.h"
#include "util/parallel_load.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

// dev (open), sit (basic auth, keeps 2 snapshots), prod (production). alpha is in all
// three, beta in dev.
class Promote : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    start_fleet(fleet_text(""));
    if (HasFatalFailure()) return;
    upload_url_ = php("dev", "alpha", kSeedContent);
    ASSERT_NE(upload_url_.find("/wp-content/uploads/"), std::string::npos) << upload_url_;
  }
  static void write_fleet(const std::string& sit_extra) {
    ASSERT_TRUE(write_file_atomic(fleet(), fleet_text(sit_extra)).ok());
  }

  static std::string fleet_text(const std::string& sit_extra) {
    const std::string listen = "\"127.0.0.1:" + std::to_string(port_) + "\"";
    return
        "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = " + listen + "\n"
        "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\nlisten = " + listen + "\n"
        "basic_auth = { user = \"bbws-sit\" }\nsnapshot_retention = 2\n" + sit_extra +
        "[environments.prod]\ndomain = \"{tenant}.wp.localhost\"\nlisten = " + listen + "\n"
        "production = true\n"
        "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha Bakery\"\nadmin_email = \"a@alpha.example\"\n"
        "environments = [\"dev\", \"sit\", \"prod\"]\n"
        "\n[[tenants]]\nid = \"beta\"\ntitle = \"Beta\"\nadmin_email = \"b@beta.example\"\n"
        "environments = [\"dev\"]\n";
  }

  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  // Runs PHP with the tenant's WordPress loaded (as root, like an operator's wp-cli).
  static std::string php(const std::string& env, const std::string& tenant, const std::string& code) {
    CommandSpec spec;
    spec.argv = {"php", "-r", "require getenv('WPFLEET_CORE') . '/wp-load.php';\n" + code};
    spec.env = {{"WPFLEET_CORE", (state() / "core").string()},
                {"WPFLEET_SITE_CONFIG", (state() / "sites" / env / tenant / "wp-config.php").string()}};
    auto out = run_command(spec);
    EXPECT_TRUE(out.ok());
    EXPECT_EQ(out->exit_code, 0) << out->err << out->out;
    return out->out;
  }

  static std::string content_checksum(const std::string& env, const std::string& tenant) {
    return testing::content_checksum(state(), env, tenant);
  }

  static std::string sit_login() {
    return "bbws-sit:" + first_line(wpfleet({"secret", "get", "-e", "sit", "basic-auth-password"}).out);
  }

  static HttpReply get(const std::string& url, std::optional<std::string> login = std::nullopt) {
    HttpRequest request;
    request.url = url;
    request.connect_to = "127.0.0.1";
    request.basic_auth = std::move(login);
    auto reply = http_request(request);
    EXPECT_TRUE(reply.ok());
    return reply ? *reply : HttpReply{};
  }

  static void sql(const std::string& statement) {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok()) << root.error().message;
    Status done = (*root)->execute(statement);
    ASSERT_TRUE(done.ok()) << done.error().message << "\n" << statement;
  }

  // Each table of `db` as SHOW CREATE TABLE and a checksum of its rows, byte for byte
  // (wp_options without what WordPress rewrites by itself; wp_users left out: settle
  // sets the admin's password, hashed with a new salt each time).
  static std::map<std::string, std::string> tables_of(const std::string& db) {
    std::map<std::string, std::string> out;
    auto root = mariadb_root(state());
    EXPECT_TRUE(root.ok());
    if (!root.ok()) return out;
    auto tables = (*root)->query("SELECT table_name FROM information_schema.tables WHERE table_schema = '" + db + "'");
    EXPECT_TRUE(tables.ok());
    if (!tables.ok()) return out;
    for (const auto& row : *tables) {
      const std::string table = *row[0];
      if (table == "wp_users") continue;
      const std::string qualified = "`" + db + "`.`" + table + "`";
      auto create = (*root)->query("SHOW CREATE TABLE " + qualified);
      auto sum = (*root)->query(
          table == "wp_options"
              ? "SELECT GROUP_CONCAT(MD5(CONCAT(option_id, option_name, option_value, autoload)) "
                "ORDER BY option_name) FROM " + qualified +
                    " WHERE option_name NOT LIKE '%transient%' AND option_name NOT IN ('cron', 'doing_cron')"
              : "CHECKSUM TABLE " + qualified);
      EXPECT_TRUE(create.ok() && sum.ok()) << table;
      if (create.ok() && sum.ok()) out[table] = *(*create)[0][1] + "\n" + (*sum)[0].back().value_or("NULL");
    }
    return out;
  }

  // Tables with what a dump must carry exactly: no primary key, binary bytes, NULL and
  // empty values, generated columns, BIT, TIMESTAMP, DECIMAL and DOUBLE, secondary and
  // unique indexes, and the source's URL in text and serialized values.
  static void add_odd_tables(const std::string& db) {
    const std::string home = "http://alpha.wpdev.localhost:" + std::to_string(port_);
    const std::string serialized = "a:1:{s:1:\"u\";s:" + std::to_string(home.size() + 2) + ":\"" + home + "/a\";}";
    sql("CREATE TABLE `" + db + "`.wpf_odd (b VARBINARY(64) NULL, t TEXT NULL, n INT NULL, "
        "d DECIMAL(12,4) NULL, f DOUBLE NULL, ts TIMESTAMP NULL DEFAULT NULL, bits BIT(10) NULL, "
        "e ENUM('a','b') NULL, g INT AS (n * 2) VIRTUAL, s VARCHAR(300) AS (CONCAT('x', LEFT(t, 200))) STORED, "
        "KEY n (n)) DEFAULT CHARSET=utf8mb4");
    sql("INSERT INTO `" + db + "`.wpf_odd (b, t, n, d, f, ts, bits, e) VALUES "
        "(0x00275C1A22FF0A0D5C30, '" + home + "/p \\\\ \\' ünï', 1, 1.2345, 0.1, '2024-02-29 12:34:56', b'1010101010', 'a'), "
        "(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
        "('', '', 0, 0, -1e-300, '1970-01-01 00:00:01', b'0', 'b'), "
        "(0x" + std::string("E29880") + ", '" + serialized + "', -7, -99999999.9999, 1.7976931348623157e308, NULL, b'1111111111', NULL), "
        "(NULL, '{\"" + home + "/k\":{\"" + home + "/j\":1}}', 2, NULL, NULL, NULL, NULL, NULL), "
        // Longer than a whole batch of the test's load: sent alone.
        "(NULL, CONCAT(REPEAT('y', 3000), '" + home + "'), 3, NULL, NULL, NULL, NULL, NULL)");
    sql("CREATE TABLE `" + db + "`.wpf_keyed (id BIGINT NOT NULL AUTO_INCREMENT, v VARCHAR(191) NOT NULL, "
        "u INT NOT NULL, PRIMARY KEY (id), UNIQUE KEY u (u), KEY v (v(20))) DEFAULT CHARSET=utf8mb4");
    std::string rows;
    for (int i = 1; i <= 300; ++i) {
      rows += (rows.empty() ? "" : ",") + std::string("(") + std::to_string(i * 7) + ", '" + home +
              "/post-" + std::to_string(i) + "', " + std::to_string(1000 - i) + ")";
    }
    sql("INSERT INTO `" + db + "`.wpf_keyed (id, v, u) VALUES " + rows);
  }

  static std::string url(const std::string& host, const std::string& path = "/") {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

  static constexpr const char* kSeedContent = R"php(
$home = home_url();
wp_insert_post(['post_title' => 'About us', 'post_type' => 'page', 'post_status' => 'publish',
                'post_content' => '<a href="' . $home . '/contact/">Contact</a> — ünïcödé']);
$upload = wp_upload_bits('pixel.png', null, base64_decode(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='));
wp_insert_attachment(['guid' => $upload['url'], 'post_mime_type' => 'image/png',
                      'post_title' => 'pixel', 'post_status' => 'inherit'], $upload['file']);
$attrs = wp_json_encode(['url' => $upload['url'], 'href' => $home . '/about-us/', 'alt' => 'ünï']);
wp_insert_post(['post_title' => 'Blocks', 'post_status' => 'publish',
                'post_content' => '<!-- wp:image ' . $attrs . ' --><figure><img src="' . $upload['url']
                                  . '"/></figure><!-- /wp:image -->']);
update_option('widget_text', [2 => ['title' => 'Find us', 'text' => '<a href="' . $home . '">Home</a> ünï'],
                              '_multiwidget' => 1]);
set_theme_mod('header_image', $upload['url']);
update_option('wpfleet_nested', ['inner' => serialize(['url' => $home . '/x', 'n' => 1.5]),
                                 'json' => wp_json_encode(['u' => $home . '/y']),
                                 'encoded' => urlencode($home . '/z'),
                                 'relative' => '//' . parse_url($home, PHP_URL_HOST) . ':' . parse_url($home, PHP_URL_PORT) . '/w']);
echo $upload['url'];
)php";

  static std::uint16_t port_;
  static std::string upload_url_;
};

std::uint16_t Promote::port_ = 0;
std::string Promote::upload_url_;

TEST_F(Promote, ADryRunShowsTheRewritesAndChangesNothing) {
  const std::string before = content_checksum("sit", "alpha");
  CliResult dry = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit", "--dry-run",
                           "--output", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  const auto report = nlohmann::json::parse(dry.out);
  std::uint64_t replacements = 0;
  for (const auto& c : report["replacements"]) replacements += c["replacements"].get<std::uint64_t>();
  EXPECT_GT(replacements, 5u);
  EXPECT_EQ(content_checksum("sit", "alpha"), before);
}

TEST_F(Promote, BContentArrivesIntactWithEveryUrlRewritten) {
  CliResult promoted = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;

  // Every option still unserializes.
  const std::string broken = php("sit", "alpha", R"php(
global $wpdb;
$bad = [];
foreach ($wpdb->get_results("SELECT option_name, option_value FROM $wpdb->options") as $row) {
  if (is_serialized($row->option_value) && @unserialize($row->option_value) === false
      && $row->option_value !== 'b:0;') $bad[] = $row->option_name;
}
echo implode(',', $bad);
)php");
  EXPECT_EQ(broken, "");
  // The nested values came through with the new URL in every form.
  const std::string nested = php("sit", "alpha", R"php(
$n = get_option('wpfleet_nested');
echo unserialize($n['inner'])['url'], ' ', json_decode($n['json'])->u, ' ', urldecode($n['encoded']), ' ', $n['relative'];
)php");
  const std::string sit_home = "http://alpha.wpsit.localhost:" + std::to_string(port_);
  EXPECT_EQ(nested, sit_home + "/x " + sit_home + "/y " + sit_home + "/z //alpha.wpsit.localhost:" +
                        std::to_string(port_) + "/w");
  EXPECT_EQ(php("sit", "alpha", "echo get_theme_mod('header_image');").find(sit_home), 0u);

  // No trace of the old host in the database, in any encoding.
  CommandSpec dump;
  dump.argv = {"mariadb-dump", "-uroot", "--socket=" + (state() / "mariadb" / "mysqld.sock").string(),
               "sit_alpha_db"};
  dump.env = {{"MYSQL_PWD", first_line(wpfleet({"secret", "get", "-e", "platform", "mariadb-root-password"}).out)}};
  auto dumped = run_command(dump);
  ASSERT_TRUE(dumped.ok());
  ASSERT_EQ(dumped->exit_code, 0) << dumped->err;
  EXPECT_EQ(dumped->out.find("wpdev"), std::string::npos);
  EXPECT_NE(dumped->out.find("alpha.wpsit.localhost"), std::string::npos);

  // The upload is served from sit's address, and the site through sit's basic auth.
  const std::string sit_upload = sit_home + upload_url_.substr(upload_url_.find("/wp-content/"));
  HttpReply upload = get(sit_upload, sit_login());
  EXPECT_EQ(upload.status, 200);
  EXPECT_EQ(upload.body.substr(1, 3), "PNG");
  HttpReply home = get(url("alpha.wpsit.localhost"), sit_login());
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Alpha Bakery"), std::string::npos);
  EXPECT_EQ(get(url("alpha.wpsit.localhost")).status, 401);
  // sit's own admin password still logs in (the content brought dev's users).
  const std::string admin = first_line(wpfleet({"secret", "get", "alpha", "-e", "sit", "admin-password"}).out);
  EXPECT_EQ(php("sit", "alpha", "echo wp_check_password('" + admin +
                                    "', get_user_by('login', 'admin')->user_pass) ? 'yes' : 'no';"),
            "yes");
}

TEST_F(Promote, CFailureAfterTheSwapPutsSitBackExactly) {
  const std::string before = content_checksum("sit", "alpha");
  php("dev", "alpha", "wp_insert_post(['post_title' => 'Newer', 'post_status' => 'publish']);");
  write_fleet("after_promote = [\"sql: UPDATE wp_no_such_table SET x = 1\"]\n");
  CliResult failed = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit"});
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("failed at step 'settling'"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("previous content was put back"), std::string::npos) << failed.err;
  EXPECT_EQ(content_checksum("sit", "alpha"), before);
  EXPECT_EQ(get(url("alpha.wpsit.localhost"), sit_login()).status, 200);
  CliResult history = wpfleet({"history", "--output", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.out)[0]["status"], "failed");
  write_fleet("");
}

TEST_F(Promote, DProductionNeedsApprovalAndRefusesToOverwriteEdits) {
  CliResult unapproved = wpfleet({"promote", "alpha", "--from", "dev", "--to", "prod"});
  EXPECT_EQ(unapproved.exit_code, 1);
  EXPECT_NE(unapproved.err.find("--approve"), std::string::npos) << unapproved.err;
  ASSERT_EQ(wpfleet({"promote", "alpha", "--from", "dev", "--to", "prod", "--approve"}).exit_code, 0);
  // An admin logging in (a session token, transients, cron) is WordPress's bookkeeping,
  // not an edit.
  php("prod", "alpha",
      "WP_Session_Tokens::get_instance(1)->create(time() + 3600); set_transient('wpfleet_seen', 1, 60);"
      "wp_schedule_single_event(time() + 600, 'wpfleet_test_event');");
  CliResult after_login = wpfleet({"promote", "alpha", "--from", "dev", "--to", "prod", "--approve"});
  ASSERT_EQ(after_login.exit_code, 0) << after_login.err;
  // Someone edits production by hand.
  php("prod", "alpha", "wp_insert_post(['post_title' => 'Edited in prod', 'post_status' => 'publish']);");
  CliResult refused = wpfleet({"promote", "alpha", "--from", "dev", "--to", "prod", "--approve"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("has changed since"), std::string::npos) << refused.err;
  // It says what changed.
  EXPECT_TRUE(std::regex_search(refused.err, std::regex("wp_posts: \\d+ rows -> \\d+"))) << refused.err;
  CliResult forced = wpfleet({"promote", "alpha", "--from", "dev", "--to", "prod", "--approve", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  // Production is visible to search engines; the content came from dev, where it was not.
  EXPECT_EQ(php("prod", "alpha", "echo get_option('blog_public');"), "1");
  EXPECT_EQ(php("dev", "alpha", "echo get_option('blog_public');"), "0");
  // Rolling the forced promotion back brings the hand edit back.
  const std::string op = nlohmann::json::parse(wpfleet({"history", "--output", "json"}).out)[0]["id"];
  ASSERT_EQ(wpfleet({"rollback", op}).exit_code, 0);
  EXPECT_EQ(php("prod", "alpha", "echo get_page_by_title('Edited in prod', OBJECT, 'post') ? 'kept' : 'lost';"),
            "kept");
}

TEST_F(Promote, ESnapshotsAreKeptUpToTheRetention) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(wpfleet({"snapshot", "create", "alpha", "-e", "sit"}).exit_code, 0);
  const auto list = nlohmann::json::parse(wpfleet({"snapshot", "list", "alpha", "-e", "sit", "--output", "json"}).out);
  ASSERT_EQ(list.size(), 2u);
  for (const auto& s : list) EXPECT_TRUE(fs::exists(s["path"].get<std::string>()));
  ASSERT_EQ(wpfleet({"snapshot", "restore", "alpha", "-e", "sit"}).exit_code, 0);
  EXPECT_EQ(get(url("alpha.wpsit.localhost"), sit_login()).status, 200);
}

TEST_F(Promote, FExportImportsAsAnotherTenantWithItsUrls) {
  const fs::path archive = fleet().parent_path() / "alpha.tar";
  CliResult exported = wpfleet({"export", "alpha", "-e", "dev", "-o", archive.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CliResult imported = wpfleet({"import", archive.string(), "-e", "dev", "--as", "beta"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  HttpReply beta = get(url("beta.wpdev.localhost", "/about-us/"));
  EXPECT_EQ(beta.status, 200);
  EXPECT_NE(beta.body.find(url("beta.wpdev.localhost", "/contact/")), std::string::npos);
  EXPECT_EQ(beta.body.find("alpha.wpdev.localhost"), std::string::npos);
  // A damaged archive is refused before anything changes.
  auto bytes = read_file(archive);
  ASSERT_TRUE(write_file_atomic(archive, bytes->substr(0, bytes->size() / 2)).ok());
  const std::string before = content_checksum("dev", "beta");
  EXPECT_EQ(wpfleet({"import", archive.string(), "-e", "dev", "--as", "beta"}).exit_code, 1);
  EXPECT_EQ(content_checksum("dev", "beta"), before);
}

TEST_F(Promote, HOnlySomeTablesWithoutFilesAndHooksThatScrub) {
  php("dev", "alpha", "update_option('wpfleet_marker', 'from dev'); "
                      "wp_insert_post(['post_title' => 'Dev only post', 'post_status' => 'publish']);");
  const fs::path sit_content = state() / "sites" / "sit" / "alpha" / "wp-content";
  ASSERT_TRUE(write_file_atomic(sit_content / "uploads" / "sit-only.txt", "kept").ok());
  write_fleet("after_promote = [\"sql: UPDATE wp_options SET option_value = 'scrubbed' WHERE "
              "option_name = 'admin_email'\", \"php: update_option('wpfleet_hook', 'ran');\"]\n");
  CliResult promoted = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit", "--tables",
                                "wp_options", "--no-files"});
  ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(php("sit", "alpha", "echo get_option('wpfleet_marker');"), "from dev");
  EXPECT_EQ(php("sit", "alpha", "echo get_page_by_title('Dev only post', OBJECT, 'post') ? 'there' : 'not';"),
            "not") << "wp_posts was not promoted";
  EXPECT_TRUE(fs::exists(sit_content / "uploads" / "sit-only.txt")) << "files were not promoted";
  EXPECT_EQ(php("sit", "alpha", "echo get_option('wpfleet_hook');"), "ran");
  // The fleet file owns admin_email: the site refresh runs before the hooks, so the
  // hook's scrub is what stays.
  EXPECT_EQ(php("sit", "alpha", "echo get_option('admin_email');"), "scrubbed");
  write_fleet("");
}

TEST_F(Promote, IAllPromotesEveryTenantInBothEnvironments) {
  CliResult all = wpfleet({"promote", "--all", "--from", "dev", "--to", "sit", "--output", "json"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  const auto ops = nlohmann::json::parse(all.out);
  ASSERT_EQ(ops.size(), 1u);  // only alpha is in both dev and sit
  EXPECT_EQ(ops[0]["tenant"], "alpha");
  EXPECT_EQ(ops[0]["status"], "succeeded");
  EXPECT_EQ(wpfleet({"promote", "--all", "--from", "sit", "--to", "dev", "alpha"}).exit_code, 3);
}

TEST_F(Promote, GLiveSearchReplaceIsAnOperationThatRollsBack) {
  const std::string from = "http://alpha.wpdev.localhost:" + std::to_string(port_);
  CliResult dry = wpfleet({"search-replace", "-e", "dev", "alpha", from, "https://alpha.example",
                           "--dry-run", "--output", "json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_GT(nlohmann::json::parse(dry.out)["replacements"].get<int>(), 5);
  const std::string option = "echo get_option('wpfleet_nested')['json'];";
  EXPECT_NE(php("dev", "alpha", option).find("alpha.wpdev.localhost"), std::string::npos);

  CliResult replaced = wpfleet({"search-replace", "-e", "dev", "alpha", from, "https://alpha.example"});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  EXPECT_NE(php("dev", "alpha", option).find("https:\\/\\/alpha.example"), std::string::npos)
      << php("dev", "alpha", option);
  EXPECT_EQ(get(url("alpha.wpdev.localhost")).status, 200);  // WP_HOME still says dev

  const auto history = nlohmann::json::parse(wpfleet({"history", "--output", "json"}).out);
  EXPECT_EQ(history[0]["kind"], "search-replace");
  ASSERT_EQ(wpfleet({"rollback", history[0]["id"]}).exit_code, 0);
  EXPECT_NE(php("dev", "alpha", option).find("alpha.wpdev.localhost"), std::string::npos);
}

// The same promote in one stream (mariadb-dump | mariadb) and in three (one consistent
// snapshot read by three connections, loaded by three): the same tables, byte for byte.
TEST_F(Promote, JStreamsCopyExactlyWhatOneStreamCopies) {
  add_odd_tables("dev_alpha_db");
  CliResult one = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit", "--streams", "1"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto by_one = tables_of("sit_alpha_db");
  CliResult three = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit", "--streams", "3"});
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(tables_of("sit_alpha_db"), by_one);
  ASSERT_TRUE(by_one.count("wpf_odd") && by_one.count("wpf_keyed"));
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok());
  auto rewritten = (*root)->query("SELECT t FROM sit_alpha_db.wpf_odd WHERE t LIKE 'a:1:%'");
  ASSERT_TRUE(rewritten.ok() && rewritten->size() == 1);
  const std::string sit_home = "http://alpha.wpsit.localhost:" + std::to_string(port_) + "/a";
  EXPECT_EQ(*(*rewritten)[0][0], "a:1:{s:1:\"u\";s:" + std::to_string(sit_home.size()) + ":\"" + sit_home + "\";}");
  auto keys = (*root)->query("SELECT t FROM sit_alpha_db.wpf_odd WHERE n = 2");
  ASSERT_TRUE(keys.ok() && keys->size() == 1);
  const std::string sit = "http://alpha.wpsit.localhost:" + std::to_string(port_);
  EXPECT_EQ(*(*keys)[0][0], "{\"" + sit + "/k\":{\"" + sit + "/j\":1}}");  // JSON object keys
  EXPECT_EQ(wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit", "--streams", "0"}).exit_code, 3);
}

// The parallel dump itself, with every table split into many key ranges and streamed by
// three connections into another database: what arrives is what the source holds.
TEST_F(Promote, KParallelDumpSplitsTablesByKeyRangesAndLosesNothing) {
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok());
  sql("DROP DATABASE IF EXISTS wpf_copy_source");
  sql("DROP DATABASE IF EXISTS wpf_copy");
  sql("CREATE DATABASE wpf_copy_source");
  sql("CREATE DATABASE wpf_copy");
  add_odd_tables("wpf_copy_source");
  MysqlEndpoint endpoint{(state() / "mariadb" / "mysqld.sock").string(), "", 0, "root",
                         first_line(wpfleet({"secret", "get", "-e", "platform", "mariadb-root-password"}).out),
                         "wpf_copy_source"};
  ParallelDumpOptions options{3, {}, true, 1};
  auto dump = ParallelDump::open(endpoint, options);
  ASSERT_TRUE(dump.ok()) << dump.error().message;
  ASSERT_EQ((*dump)->unsupported(), "");
  endpoint.database = "wpf_copy";
  auto load = ParallelLoad::open(endpoint, 3, 1000);
  ASSERT_TRUE(load.ok()) << load.error().message;

  class Copy final : public DumpSink {
   public:
    explicit Copy(LoadConnection& to) : to_(to) {}
    Status statement(std::string_view sql) override { return to_.execute(sql); }
    Status row(const DumpColumns& columns, const RawRow& row) override {
      if (!started_) TRY(to_.start_rows(columns.table, columns.columns));
      started_ = true;
      for (const auto& value : row) {
        if (value) to_.add().append(*value); else to_.add_null();
      }
      return to_.end_row();
    }
    Status end_rows() override {
      started_ = false;
      return to_.flush();
    }
   private:
    LoadConnection& to_;
    bool started_ = false;
  };
  // One sink per connection of `to`, which `copies` keeps.
  std::vector<std::unique_ptr<Copy>> copies;
  const auto sinks_into = [&copies](ParallelLoad& to, std::size_t streams) {
    std::vector<DumpSink*> sinks;
    for (std::size_t i = 0; i < streams; ++i) {
      copies.push_back(std::make_unique<Copy>(to.connection(i)));
      sinks.push_back(copies.back().get());
    }
    return sinks;
  };
  auto rows = (*dump)->run(sinks_into(*load, 3));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ((*rows)["wpf_keyed"], 300u);
  EXPECT_EQ((*rows)["wpf_odd"], 6u);
  auto source = tables_of("wpf_copy_source");
  EXPECT_EQ(tables_of("wpf_copy"), source);
  EXPECT_EQ(source.size(), 2u);

  // One snapshot for every stream while a writer commits a row to two tables at a time:
  // the streams that read them see the same transactions.
  sql("CREATE TABLE wpf_copy_source.wpf_pair_a (id INT PRIMARY KEY)");
  sql("CREATE TABLE wpf_copy_source.wpf_pair_b (id INT PRIMARY KEY)");
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::thread writer([&] {
    auto client = mariadb_root(state());
    if (!client.ok()) return;
    for (int i = 0; writing; ++i) {
      const std::string id = std::to_string(i);
      if (!(*client)->execute("START TRANSACTION").ok() ||
          !(*client)->execute("INSERT INTO wpf_copy_source.wpf_pair_a VALUES (" + id + ")").ok() ||
          !(*client)->execute("INSERT INTO wpf_copy_source.wpf_pair_b VALUES (" + id + ")").ok() ||
          !(*client)->execute("COMMIT").ok()) {
        return;
      }
      ++written;
    }
  });
  while (written < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int round = 0; round < 5; ++round) {
    sql("DROP DATABASE IF EXISTS wpf_copy");
    sql("CREATE DATABASE wpf_copy");
    endpoint.database = "wpf_copy_source";
    auto during = ParallelDump::open(endpoint, ParallelDumpOptions{4, {"wpf_pair_a", "wpf_pair_b"}});
    ASSERT_TRUE(during.ok()) << during.error().message;
    endpoint.database = "wpf_copy";
    auto into = ParallelLoad::open(endpoint, 4);
    ASSERT_TRUE(into.ok());
    auto pair_rows = (*during)->run(sinks_into(*into, 4));
    ASSERT_TRUE(pair_rows.ok()) << pair_rows.error().message;
    EXPECT_EQ((*pair_rows)["wpf_pair_a"], (*pair_rows)["wpf_pair_b"]) << "round " << round;
    EXPECT_GT((*pair_rows)["wpf_pair_a"], 0u);
  }
  writing = false;
  writer.join();

  // A trigger is what only mariadb-dump carries: the parallel dump says so, locking nothing.
  sql("CREATE TRIGGER wpf_copy_source.wpf_t BEFORE INSERT ON wpf_copy_source.wpf_keyed FOR EACH ROW SET NEW.u = NEW.u");
  endpoint.database = "wpf_copy_source";
  auto refused = ParallelDump::open(endpoint, options);
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ((*refused)->unsupported(), "it has triggers on wpf_keyed");
  sql("DROP DATABASE wpf_copy_source");
  sql("DROP DATABASE wpf_copy");
}

}  // namespace
}  // namespace wpfleet::testing
