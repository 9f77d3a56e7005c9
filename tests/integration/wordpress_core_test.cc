// `core = "<version>"` per environment against a real platform and a real HTTP server:
// release-shaped archives (a `wordpress/` directory, as wordpress.org's) are made from
// Debian's copy with another $wp_version and served, with their .sha1, from a local
// server (WPFLEET_CORE_DOWNLOAD_URL), so no network is needed. A tenant runs the release
// (its page, tenant show, verify), the copy is root's and read-only (removed by hand,
// verify names it and apply makes it again), the tenant goes back
// to Debian's, one moving to a newer release has its database upgraded; a wrong checksum, a missing version, entries escaping the directory and
// links are refused, leaving nothing behind (nor what a killed install left). `core update`
// moves tenants one at a time with a snapshot each, puts back one whose upgrade or health
// check fails, is undone after kill -9, and refuses what the fleet file does not say.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "fleet/model.h"
#include "harness.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kRelease[] = "6.8.3";

// Python's http.server over a directory: 200 with the file, 404 for what is not there.
class ReleaseServer {
 public:
  explicit ReleaseServer(const fs::path& root) : port_(free_port()) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Its request log is noise in the test's output.
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
               root.c_str(), std::to_string(port_).c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    eventually(20, [&] { return http_get("127.0.0.1", port_, "/").status != 0; });
  }
  ~ReleaseServer() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::uint16_t port_;
  pid_t pid_;
};

void run(const std::vector<std::string>& argv) {
  CommandSpec spec;
  spec.argv = argv;
  auto output = run_command(spec);
  ASSERT_TRUE(output.ok()) << output.error().message;
  ASSERT_EQ(output->exit_code, 0) << output->err;
}

// Writes `<dir>/wordpress-<version>.tar.gz` of tree/wordpress, and its .sha1 (wrong when
// asked).
void publish(const fs::path& dir, const fs::path& tree, const std::string& version,
             bool wrong_checksum = false) {
  const fs::path archive = dir / ("wordpress-" + version + ".tar.gz");
  run({"tar", "-C", tree.string(), "-czf", archive.string(), "wordpress"});
  const std::string digest = wrong_checksum ? std::string(40, 'a') : sha1_hex(*read_file(archive));
  ASSERT_TRUE(write_file_atomic(dir / (archive.filename().string() + ".sha1"), digest).ok());
}

// An archive of wordpress.org's shape with one hostile entry (Python's tarfile writes
// what GNU tar would refuse to): `kind` is "escape" (a file beside wordpress/) or "link"
// (a symbolic link out to /etc).
void publish_hostile(const fs::path& dir, const std::string& version, const std::string& kind) {
  const fs::path archive = dir / ("wordpress-" + version + ".tar.gz");
  const std::string script = R"py(
import io, sys, tarfile
archive, kind = sys.argv[1], sys.argv[2]
with tarfile.open(archive, "w:gz") as tar:
    def add(name, data=b"<?php\n"):
        info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
    add("wordpress/index.php")
    if kind == "escape":
        add("wordpress/../../escaped.php")
    else:
        info = tarfile.TarInfo("wordpress/wp-etc"); info.type = tarfile.SYMTYPE; info.linkname = "/etc"
        tar.addfile(info)
    add("wordpress/wp-includes/version.php", b"<?php\n$wp_version = '" + sys.argv[3].encode() + b"';\n")
)py";
  run({"python3", "-c", script, archive.string(), kind, version});
  ASSERT_TRUE(write_file_atomic(dir / (archive.filename().string() + ".sha1"),
                                sha1_hex(*read_file(archive)))
                  .ok());
}

std::string debian_version() {
  const std::string text = *read_file("/usr/share/wordpress/wp-includes/version.php");
  std::smatch match;
  std::regex_search(text, match, std::regex(R"(\$wp_version = '([^']+)')"));
  return match[1].str();
}

class WordPressCore : public OwnFleetTest {
 protected:
  void SetUp() override {
    OwnFleetTest::SetUp();
    releases_ = dir_.path() / "releases";
    ASSERT_TRUE(make_dirs(releases_).ok());
    server_ = std::make_unique<ReleaseServer>(releases_);
    ::setenv("WPFLEET_CORE_DOWNLOAD_URL", server_->url().c_str(), 1);
  }
  void TearDown() override {
    // A fleet file that parses, whatever core a test left in it, so that its tenants are
    // deleted.
    write_core(kDebianCore);
    OwnFleetTest::TearDown();
    ::unsetenv("WPFLEET_CORE_DOWNLOAD_URL");
    server_.reset();
  }
  // The test fleet with `core` set in dev.
  void write_core(const std::string& core) {
    std::string text = test_fleet(port_, tenants_);
    const std::string dev = "[environments.dev]\n";
    text.insert(text.find(dev) + dev.size(), "core = \"" + core + "\"\n");
    if (production_sit_) {
      const std::string sit = "[environments.sit]\n";
      text.insert(text.find(sit) + sit.size(), "production = true\n");
    }
    ASSERT_TRUE(write_file_atomic(fleet(), text).ok());
  }
  // What `tenant show` recorded as the tenant's WordPress.
  std::string shown_version(const std::string& tenant = "corebakery") {
    CliResult shown = wpfleet({"tenant", "show", tenant, "-e", "dev", "--output", "json"});
    auto document = json::parse(shown.out, nullptr, false);
    if (shown.exit_code != 0 || document.is_discarded()) return "(tenant show failed: " + shown.err + ")";
    return document["resources"]["runtime"]["detail"].value("wordpress", "");
  }
  // What is in <state>/cores besides its lock file (dot names included).
  std::vector<std::string> stored_cores() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(state() / "cores", error)) {
      if (entry.path().filename() != ".lock") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // The fleet on Debian's core, up and applied.
  void start_on_debian() {
    write_core(kDebianCore);
    CliResult up = wpfleet({"up"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    CliResult apply = wpfleet({"apply", "--yes"});
    ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  }
  // The tenant's database version (WordPress's db_version option).
  std::string db_version(const std::string& tenant) {
    auto root = mariadb_root(state());
    if (!root) return "(" + root.error().message + ")";
    auto rows = (*root)->query("SELECT option_value FROM dev_" + tenant +
                               "_db.wp_options WHERE option_name = 'db_version'");
    return rows.ok() && rows->size() == 1 ? (*rows)[0][0].value_or("") : "";
  }

  // Debian's copy, reshaped as release `version` (a newer database schema when
  // `db_version` is given, and `change` run on its tree), published.
  void publish_debian_as(const std::string& version, std::optional<int> db_version = std::nullopt,
                         const std::function<void(const fs::path& wordpress)>& change = {}) {
    const fs::path tree = dir_.path() / ("tree-" + version);
    run({"sh", "-c", "mkdir -p " + tree.string() + " && tar -C /usr/share -chf - --exclude=wordpress/wp-content/languages "
                     "--exclude=wordpress/wp-config.php wordpress | tar -C " + tree.string() + " -xf -"});
    const std::string version_php = (tree / "wordpress/wp-includes/version.php").string();
    run({"sed", "-i", "s/^\\$wp_version = .*/$wp_version = '" + version + "';/", version_php});
    if (db_version) {
      run({"sed", "-i", "s/^\\$wp_db_version = .*/$wp_db_version = " + std::to_string(*db_version) + ";/",
           version_php});
    }
    if (change) change(tree / "wordpress");
    publish(releases_, tree, version);
  }

  std::vector<std::string> tenants_{"corebakery"};
  bool production_sit_ = false;
  fs::path releases_;
  std::unique_ptr<ReleaseServer> server_;
};

TEST_F(WordPressCore, TenantRunsTheReleaseOfItsEnvironmentAndGoesBack) {
  publish_debian_as(kRelease);
  write_core(kRelease);
  {
    CliResult up = wpfleet({"up"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  }
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.err.find("downloading WordPress 6.8.3"), std::string::npos) << apply.err;

  EXPECT_EQ(http_get("corebakery.wpdev.localhost", port_).status, 200);
  EXPECT_EQ(shown_version(), kRelease);
  CliResult verify = wpfleet({"verify", "--output", "json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_NE(verify.out.find("WordPress 6.8.3"), std::string::npos) << verify.out;

  // One copy, root's and read-only, with wpfleet's wp-config; the tenant's pool and
  // server run it.
  const fs::path core = state() / "cores" / kRelease;
  struct stat st {};
  ASSERT_EQ(::stat(core.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  ASSERT_EQ(::stat((core / "wp-includes/version.php").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0444u);
  EXPECT_NE(read_file(core / "wp-config.php")->find("WPFLEET_SITE_CONFIG"), std::string::npos);
  EXPECT_EQ(stored_cores(), std::vector<std::string>{kRelease});
  const std::string pool = *read_file(state() / "php-fpm/pools/dev--corebakery.conf");
  EXPECT_NE(pool.find("env[WPFLEET_CORE] = " + core.string()), std::string::npos) << pool;
  const std::string site = *read_file(state() / "nginx/sites/dev--corebakery.conf");
  EXPECT_NE(site.find("root " + core.string() + ";"), std::string::npos);
  // php-cli runs (cron) load the same core.
  EXPECT_EQ(wpfleet({"cron", "run"}).exit_code, 0);

  // Nothing to do until core changes; then the runtime and route follow it.
  CliResult plan = wpfleet({"plan"});
  EXPECT_EQ(plan.exit_code, 0) << plan.out;
  EXPECT_EQ(plan.out.find("update"), std::string::npos) << plan.out;

  // A core removed by hand fails verify, naming it, until apply makes it again.
  fs::remove_all(core);
  verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.out.find("(" + core.string() + ") is missing"), std::string::npos)
      << verify.out;
  EXPECT_NE(verify.out.find("which makes it again"), std::string::npos) << verify.out;
  apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_TRUE(fs::exists(core / "wp-settings.php"));
  verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  write_core("debian");
  plan = wpfleet({"plan"});
  EXPECT_NE(plan.out.find("update"), std::string::npos) << plan.out;
  apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(shown_version(), debian_version());
  EXPECT_EQ(http_get("corebakery.wpdev.localhost", port_).status, 200);
  verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// A tenant made on Debian's core moves to a newer release: its database is upgraded (as
// the tenant), its core themes come from the release.
TEST_F(WordPressCore, MovingToANewerReleaseUpgradesTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(start_on_debian());
  const std::string before = db_version("corebakery");
  ASSERT_FALSE(before.empty());
  const int newer = std::stoi(before) + 1;
  publish_debian_as("6.9", newer);

  write_core("6.9");
  // Installed is what the state recorded: a lost pool file does not skip the upgrade.
  fs::remove(state() / "php-fpm/pools/dev--corebakery.conf");
  CliResult apply = wpfleet({"apply", "--yes"});
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(db_version("corebakery"), std::to_string(newer));
  EXPECT_EQ(shown_version(), "6.9");
  EXPECT_EQ(http_get("corebakery.wpdev.localhost", port_).status, 200);
  const fs::path themes = state() / "sites/dev/corebakery/wp-content/themes";
  for (const auto& entry : fs::directory_iterator(themes)) {
    if (!entry.is_symlink()) continue;
    EXPECT_EQ(fs::read_symlink(entry.path()).string().rfind((state() / "cores/6.9/").string(), 0), 0u)
        << entry.path();
  }
  CliResult verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(WordPressCore, ReleasesThatCannotBeTrustedAreRefusedLeavingNothing) {
  const fs::path tree = dir_.path() / "tree";
  ASSERT_TRUE(make_dirs(tree / "wordpress/wp-includes").ok());
  ASSERT_TRUE(write_file_atomic(tree / "wordpress/wp-includes/version.php",
                                "<?php\n$wp_version = '6.8.4';\n").ok());
  publish(releases_, tree, "6.8.4", /*wrong_checksum=*/true);
  publish_hostile(releases_, "6.8.5", "escape");
  publish_hostile(releases_, "6.8.6", "link");
  publish(releases_, tree, "6.8.7", /*wrong_checksum=*/false);
  fs::remove(releases_ / "wordpress-6.8.7.tar.gz.sha1");  // a mirror that copied no .sha1
  write_core("6.8.4");
  {
    CliResult up = wpfleet({"up"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  }
  // What an install killed mid-way leaves: the next one removes it.
  ASSERT_TRUE(make_dirs(state() / "cores/.6.8.9.new/wp-includes").ok());

  const struct {
    const char* version;
    const char* says;
  } kRefused[] = {
      {"6.8.4", "does not match its published SHA-1"},
      {"6.0.99", "WordPress 6.0.99 does not exist"},
      {"6.8.5", "has an entry outside its wordpress/ directory (wordpress/../../escaped.php)"},
      {"6.8.6", "holds a link (wordpress/wp-etc -> /etc)"},
      {"6.8.7", "publishes no SHA-1 beside the archive"},
  };
  for (const auto& refused : kRefused) {
    write_core(refused.version);
    CliResult apply = wpfleet({"apply", "--yes"});
    EXPECT_EQ(apply.exit_code, 1) << refused.version;
    EXPECT_NE((apply.out + apply.err).find(refused.says), std::string::npos)
        << refused.version << ": " << apply.out << apply.err;
    EXPECT_TRUE(stored_cores().empty()) << refused.version;
    EXPECT_FALSE(fs::exists(dir_.path() / "escaped.php"));
    EXPECT_FALSE(fs::exists(state() / "escaped.php"));
  }
  // A version that is no version is the fleet file's error, before anything runs.
  write_core("latest");
  CliResult plan = wpfleet({"plan"});
  EXPECT_EQ(plan.exit_code, 3);
  EXPECT_NE(plan.err.find("core 'latest' is neither \"debian\" nor a WordPress version"),
            std::string::npos)
      << plan.err;
}

// The core update's operations, as `history --output json` lists them, by tenant.
std::map<std::string, json> core_operations(const json& history, const std::string& kind = "core update") {
  std::map<std::string, json> by_tenant;
  for (const auto& op : history) {
    if (op["kind"] == kind) by_tenant[op["tenant"].get<std::string>()] = op;
  }
  return by_tenant;
}

// `core update` moves dev's tenants one at a time, each an operation with its snapshot:
// databases upgraded, history lists one operation per tenant, a second run skips them,
// and `rollback OP` puts one tenant back on Debian's core with its content as before.
TEST_F(WordPressCore, CoreUpdateMovesEachTenantAndRollbackPutsOneBack) {
  tenants_ = {"corebakery", "corecafe"};
  ASSERT_NO_FATAL_FAILURE(start_on_debian());
  const std::string before = db_version("corebakery");
  ASSERT_FALSE(before.empty());
  const std::string content = content_checksum(state(), "dev", "corebakery");
  const int newer = std::stoi(before) + 1;
  publish_debian_as("6.9", newer);
  write_core("6.9");

  CliResult update = wpfleet({"core", "update", "-e", "dev", "--to", "6.9", "--output", "json"});
  ASSERT_EQ(update.exit_code, 0) << update.out << update.err;
  const json moved = json::parse(update.out);  // one document
  ASSERT_EQ(moved["tenants"].size(), 2u) << update.out;
  for (const auto& tenant : moved["tenants"]) {
    EXPECT_EQ(tenant["result"], "updated") << tenant;
    EXPECT_EQ(tenant["from"], "debian");
    EXPECT_EQ(tenant["to"], "6.9");
    EXPECT_FALSE(tenant["operation"].get<std::string>().empty());
  }
  EXPECT_NE(update.err.find("dev/corebakery (1 of 2): core debian -> 6.9"), std::string::npos) << update.err;
  for (const std::string tenant : {"corebakery", "corecafe"}) {
    EXPECT_EQ(db_version(tenant), std::to_string(newer)) << tenant;
    EXPECT_EQ(shown_version(tenant), "6.9") << tenant;
    EXPECT_EQ(http_get(tenant + ".wpdev.localhost", port_).status, 200) << tenant;
  }
  CliResult history = wpfleet({"history", "--output", "json"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto ops = core_operations(json::parse(history.out));
  ASSERT_EQ(ops.size(), 2u) << history.out;
  for (const auto& [tenant, op] : ops) {
    EXPECT_EQ(op["status"], "succeeded") << op;
    EXPECT_FALSE(op["snapshot"].get<std::string>().empty()) << op;
  }
  EXPECT_EQ(wpfleet({"verify"}).exit_code, 0);

  // Nothing left to move.
  update = wpfleet({"core", "update", "-e", "dev"});
  EXPECT_EQ(update.exit_code, 0) << update.out << update.err;
  EXPECT_NE(update.err.find("dev/corecafe: skipped (already on core 6.9)"), std::string::npos) << update.err;

  const std::string op = ops["corebakery"]["id"];
  CliResult rollback = wpfleet({"rollback", op});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.out << rollback.err;
  EXPECT_NE(rollback.err.find("the fleet file says core = \"6.9\" for dev"), std::string::npos) << rollback.err;
  EXPECT_EQ(shown_version("corebakery"), debian_version());
  EXPECT_EQ(db_version("corebakery"), before);
  EXPECT_EQ(content_checksum(state(), "dev", "corebakery"), content);
  EXPECT_EQ(http_get("corebakery.wpdev.localhost", port_).status, 200);
  EXPECT_EQ(shown_version("corecafe"), "6.9");
  CliResult verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Rolled back once: a second rollback is refused.
  EXPECT_EQ(wpfleet({"rollback", op}).exit_code, 3);
}

// A release whose database upgrade breaks (it rewrites every post's title, then throws):
// the first tenant is put back on Debian's core with its content byte for byte, the update
// stops there and says why and how to go on; the second tenant is not touched.
TEST_F(WordPressCore, ATenantWhoseUpgradeFailsIsRolledBackAndTheUpdateStops) {
  tenants_ = {"corebakery", "corecafe"};
  ASSERT_NO_FATAL_FAILURE(start_on_debian());
  const std::string before = db_version("corebakery");
  const std::string content = content_checksum(state(), "dev", "corebakery");
  publish_debian_as("6.9", std::stoi(before) + 1, [&](const fs::path& wordpress) {
    run({"sed", "-i",
         "s/^\\tfunction wp_upgrade() {/&\\n\\t\\tglobal $wpdb; $wpdb->query(\"UPDATE $wpdb->posts SET "
         "post_title = 'broken by the upgrade'\"); throw new RuntimeException('the upgrade broke');/",
         (wordpress / "wp-admin/includes/upgrade.php").string()});
  });
  write_core("6.9");

  CliResult update = wpfleet({"core", "update", "-e", "dev", "--output", "json"});
  EXPECT_EQ(update.exit_code, 1) << update.out << update.err;
  const json moved = json::parse(update.out);
  ASSERT_EQ(moved["tenants"].size(), 2u) << update.out;
  EXPECT_EQ(moved["tenants"][0]["result"], "rolled back") << update.out;
  EXPECT_EQ(moved["tenants"][1]["result"], "not run") << update.out;
  EXPECT_NE(moved["error"].get<std::string>().find(
                "failed at step 'switching': runtime: WordPress (PHP) failed for tenant 'corebakery'"),
            std::string::npos)
      << update.out;
  // The exception itself is in the tenant's PHP error log, which the message names.
  EXPECT_NE(moved["error"].get<std::string>().find("`wpfleet logs corebakery -e dev -f "), std::string::npos)
      << update.out;
  CliResult logs = wpfleet({"logs", "corebakery", "-e", "dev", "-n", "500"});
  EXPECT_NE(logs.out.find("Uncaught RuntimeException: the upgrade broke"), std::string::npos) << logs.out;
  EXPECT_NE(update.err.find("it runs core debian again with its content as before"), std::string::npos)
      << update.err;
  EXPECT_NE(update.err.find("Not touched: corecafe"), std::string::npos) << update.err;
  EXPECT_NE(update.err.find("run `wpfleet core update -e dev -f " + fleet().string() + "` again"),
            std::string::npos)
      << update.err;

  EXPECT_EQ(shown_version("corebakery"), debian_version());
  EXPECT_EQ(db_version("corebakery"), before);
  EXPECT_EQ(content_checksum(state(), "dev", "corebakery"), content);
  EXPECT_EQ(http_get("corebakery.wpdev.localhost", port_).status, 200);
  EXPECT_EQ(shown_version("corecafe"), debian_version());
  CliResult history = wpfleet({"history", "--output", "json"});
  auto ops = core_operations(json::parse(history.out));
  ASSERT_EQ(ops.size(), 1u) << history.out;
  EXPECT_EQ(ops["corebakery"]["status"], "rolled back") << history.out;
  CliResult verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// A release whose upgrade quietly does nothing: the switch works, the health check finds
// the database older than the core, and the tenant is put back.
TEST_F(WordPressCore, ATenantThatFailsItsHealthCheckIsRolledBack) {
  ASSERT_NO_FATAL_FAILURE(start_on_debian());
  const std::string before = db_version("corebakery");
  const std::string content = content_checksum(state(), "dev", "corebakery");
  publish_debian_as("6.9", std::stoi(before) + 1, [&](const fs::path& wordpress) {
    run({"sed", "-i", "s/^\\tfunction wp_upgrade() {/& return;/",
         (wordpress / "wp-admin/includes/upgrade.php").string()});
  });
  write_core("6.9");
  CliResult update = wpfleet({"core", "update", "-e", "dev"});
  EXPECT_EQ(update.exit_code, 1) << update.out << update.err;
  EXPECT_NE(update.err.find("failed at step 'checking': WordPress (PHP) failed for tenant 'corebakery'"),
            std::string::npos)
      << update.err;
  EXPECT_NE(update.err.find("the database is at version " + before + ", older than the core's"),
            std::string::npos)
      << update.err;
  EXPECT_NE(update.out.find("rolled back"), std::string::npos) << update.out;
  EXPECT_EQ(shown_version("corebakery"), debian_version());
  EXPECT_EQ(db_version("corebakery"), before);
  EXPECT_EQ(content_checksum(state(), "dev", "corebakery"), content);
  EXPECT_EQ(wpfleet({"verify"}).exit_code, 0);
}

// kill -9 while a tenant is being switched: verify names the unfinished operation until
// the next command undoes it; the update run again then moves every tenant.
TEST_F(WordPressCore, AnInterruptedCoreUpdateIsUndoneByTheNextCommand) {
  ASSERT_NO_FATAL_FAILURE(start_on_debian());
  const std::string before = db_version("corebakery");
  const std::string content = content_checksum(state(), "dev", "corebakery");
  publish_debian_as("6.9", std::stoi(before) + 1);
  write_core("6.9");

  const pid_t updating = start({"core", "update", "-e", "dev"}, dir_.path() / "update.log");
  std::string op;
  ASSERT_TRUE(eventually(60, [&] {
    CliResult history = wpfleet({"history", "--output", "json"});
    for (const auto& [tenant, record] : core_operations(json::parse(history.out, nullptr, false))) {
      if (record["step"] == "switching" || record["step"] == "checking") op = record["id"];
    }
    return !op.empty();
  })) << read_text(dir_.path() / "update.log");
  ::kill(updating, SIGKILL);
  wait_exit(updating);

  CliResult verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out;
  EXPECT_NE(verify.out.find("operation " + op + " (core update)"), std::string::npos) << verify.out;
  CliResult update = wpfleet({"core", "update", "-e", "dev"});
  ASSERT_EQ(update.exit_code, 0) << update.out << update.err;
  EXPECT_NE(update.err.find(op + ": rolled back after interruption"), std::string::npos) << update.err;
  CliResult history = wpfleet({"history", "--output", "json"});
  for (const auto& record : json::parse(history.out)) {
    if (record["id"] == op) {
      EXPECT_EQ(record["status"], "rolled back after interruption");
    }
  }
  EXPECT_EQ(db_version("corebakery"), std::to_string(std::stoi(before) + 1));
  EXPECT_EQ(shown_version(), "6.9");
  verify = wpfleet({"verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

// Refused before anything is opened: a --to the fleet file does not say (naming the fix),
// production without --approve, an unknown environment; --help explains the command.
TEST_F(WordPressCore, CoreUpdateRefusesWhatTheFleetFileDoesNotSay) {
  production_sit_ = true;
  write_core("debian");
  CliResult mismatch = wpfleet({"core", "update", "-e", "dev", "--to", "6.9", "--output", "json"});
  EXPECT_EQ(mismatch.exit_code, 3);
  EXPECT_NE(mismatch.err.find("the fleet file says core = \"debian\" for dev; set core = \"6.9\" in "
                              "[environments.dev] first, so that apply keeps it"),
            std::string::npos)
      << mismatch.err;
  EXPECT_EQ(json::parse(mismatch.out)["exit_code"], 3) << mismatch.out;
  CliResult production = wpfleet({"core", "update", "-e", "sit"});
  EXPECT_EQ(production.exit_code, 3);
  EXPECT_NE(production.err.find("'sit' is a production environment"), std::string::npos) << production.err;
  EXPECT_NE(production.err.find("needs --approve"), std::string::npos) << production.err;
  CliResult unknown = wpfleet({"core", "update", "-e", "nowhere"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("unknown environment 'nowhere'"), std::string::npos) << unknown.err;
  CliResult help = wpfleet({"core", "update", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--approve"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("safe path"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace wpfleet::testing
