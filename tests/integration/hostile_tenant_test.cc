// A hostile tenant, against the real platform: a plugin that tries to leave PHP
// (LD_PRELOAD through putenv + mail(), FFI, php-cli without the pool's settings), a
// tenant user that plants symlinks for nginx, reads other tenants' logs and the page
// cache, a database user whose grant is a wildcard, and `wpfleet audit`, which must be
// clean here and name each thing a test loosens.
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <csignal>
#include <functional>
#include <nlohmann/json.hpp>

#include "backends/local/names.h"
#include "harness.h"
#include "platform/layout.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;

// The plugin a stranger wrote: on the web it answers ?attack=..., in php-cli (cron) it
// writes what it could do to uploads/evil-cli.json.
constexpr const char* kEvilPlugin = R"php(<?php
function evil_powers() {
    $r = ['sapi' => PHP_SAPI, 'uid' => function_exists('posix_geteuid') ? posix_geteuid() : -1,
          'putenv' => function_exists('putenv'), 'proc_open' => function_exists('proc_open'),
          'pcntl_exec' => function_exists('pcntl_exec'), 'open_basedir' => ini_get('open_basedir'),
          'sendmail' => ini_get('sendmail_path')];
    try { FFI::cdef('int getpid(void);'); $r['ffi'] = true; } catch (Throwable $e) { $r['ffi'] = false; }
    return $r;
}
if (PHP_SAPI === 'cli') {
    file_put_contents(WP_CONTENT_DIR . '/uploads/evil-cli.json', json_encode(evil_powers()));
    return;
}
$attack = $_GET['attack'] ?? '';
if ($attack === 'preload') {
    putenv('LD_PRELOAD=' . WP_CONTENT_DIR . '/uploads/evil.so');
    mail('victim@example.com', 'preload', 'body');
    exit('preload sent');
}
if ($attack === 'powers') exit(json_encode(evil_powers()));
add_action('init', function () use ($attack) {
    if ($attack === 'mail') {
        exit(wp_mail('customer@example.com', 'wpfleet-mail-check', 'hello') ? 'mail ok' : 'mail failed');
    }
    if ($attack === 'schedule') {
        wp_schedule_single_event(time() - 60, 'evil_cron');
        exit('scheduled');
    }
});
)php";

// A shared library whose constructor proves it ran by creating `marker`.
std::string evil_library_source(const fs::path& marker) {
  return "#include <fcntl.h>\n#include <unistd.h>\n"
         "__attribute__((constructor)) static void pwn(void) {\n"
         "  int fd = open(\"" + marker.string() + "\", O_CREAT | O_WRONLY, 0644);\n"
         "  if (fd >= 0) close(fd);\n}\n";
}


class HostileTenant : public FleetSuite {
 protected:
  // dev: open; sit: basic auth and a page cache. alpha is the attacker, beta the victim.
  static void SetUpTestSuite() {
    port_ = free_port();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    start_fleet(
        "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = \"" + listen + "\"\n"
        "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\nlisten = \"" + listen + "\"\n"
        "basic_auth = { user = \"bbws-sit\" }\npage_cache = \"60s\"\n"
        "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha Site\"\nadmin_email = \"a@alpha.example\"\n"
        "environments = [\"dev\"]\n"
        "\n[[tenants]]\nid = \"beta\"\ntitle = \"Beta Secret Site\"\nadmin_email = \"b@beta.example\"\n"
        "environments = [\"dev\", \"sit\"]\n");
  }

  static TenantUser tenant_user(const std::string& env, const std::string& tenant) {
    return testing::tenant_user(state(), env, tenant);
  }

  // Whether the tenant's Unix user can open `path` for reading.
  static bool tenant_can_read(const TenantUser& user, const fs::path& path) {
    return run_as(user, [&] {
             const int fd = ::open(path.c_str(), O_RDONLY);
             return fd >= 0 ? 0 : 1;
           }) == 0;
  }

  static fs::path content(const std::string& env, const std::string& tenant) {
    return state() / "sites" / env / tenant / "wp-content";
  }

  // The attacker installs its plugin, as itself.
  static void install_evil_plugin() {
    const fs::path dir = content("dev", "alpha") / "mu-plugins";
    ASSERT_EQ(run_as(tenant_user("dev", "alpha"), [&] {
                std::error_code ec;
                fs::create_directories(dir, ec);
                return write_file_atomic(dir / "evil.php", kEvilPlugin) ? 0 : 1;
              }),
              0);
  }

  static HttpReply get(const std::string& host, const std::string& path,
                       std::vector<std::string> headers = {}) {
    HttpRequest request;
    request.url = "http://" + host + ":" + std::to_string(port_) + path;
    request.connect_to = "127.0.0.1";
    request.headers = std::move(headers);
    auto reply = http_request(request);
    EXPECT_TRUE(reply.ok()) << request.url;
    return reply ? *reply : HttpReply{};
  }

  static CliResult audit() { return wpfleet({"audit", "--output", "json"}); }

  // The audit's failing checks, as "env/tenant check" (or "platform check").
  static std::set<std::string> audit_failures(const CliResult& result) {
    std::set<std::string> failures;
    auto report = nlohmann::json::parse(result.out, nullptr, false);
    if (!report.is_object()) return {"unparsable audit output: " + result.out + result.err};
    for (const auto& check : report["platform"]) {
      if (!check["ok"].get<bool>()) failures.insert("platform " + check["name"].get<std::string>());
    }
    for (const auto& tenant : report["tenants"]) {
      for (const auto& check : tenant["checks"]) {
        if (check["ok"].get<bool>()) continue;
        failures.insert(tenant["env"].get<std::string>() + "/" + tenant["tenant"].get<std::string>() +
                        " " + check["name"].get<std::string>());
      }
    }
    return failures;
  }

  static std::uint16_t port_;
};

std::uint16_t HostileTenant::port_ = 0;

TEST_F(HostileTenant, AuditIsCleanOnAFreshFleet) {
  CliResult result = audit();
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(audit_failures(result), std::set<std::string>{});
  CliResult table = wpfleet({"audit"});
  EXPECT_NE(table.out.find("all 3 tenants are confined"), std::string::npos) << table.out;
}

// Finding 1: putenv('LD_PRELOAD=...') + mail() ran the tenant's library in sendmail's shell.
TEST_F(HostileTenant, PutenvAndMailCannotPreloadALibrary) {
  install_evil_plugin();
  const fs::path uploads = content("dev", "alpha") / "uploads";
  const fs::path marker = uploads / "pwned";
  const fs::path source = fs::temp_directory_path() / ("evil-" + std::to_string(::getpid()) + ".c");
  ASSERT_TRUE(write_file_atomic(source, evil_library_source(marker)));
  CommandSpec compile;
  compile.argv = {"gcc", "-shared", "-fPIC", "-o", (uploads / "evil.so").string(), source.string()};
  auto compiled = run_command(compile);
  ASSERT_TRUE(compiled && compiled->exit_code == 0) << (compiled ? compiled->err : "");
  fs::remove(source);

  get("alpha.wpdev.localhost", "/?attack=preload");
  EXPECT_FALSE(fs::exists(marker)) << "the tenant's library ran outside PHP";
  auto powers = nlohmann::json::parse(get("alpha.wpdev.localhost", "/?attack=powers").body, nullptr, false);
  ASSERT_TRUE(powers.is_object());
  EXPECT_FALSE(powers["putenv"].get<bool>());
  EXPECT_FALSE(powers["proc_open"].get<bool>());
  EXPECT_FALSE(powers["ffi"].get<bool>());
}

// wp_mail() keeps working, through wpfleet's sendmail, into the tenant's mail log.
TEST_F(HostileTenant, WordPressMailArrivesInTheMailLog) {
  install_evil_plugin();
  EXPECT_EQ(get("alpha.wpdev.localhost", "/?attack=mail").body, "mail ok");
  auto log = read_file(state() / "sites" / "dev" / "alpha" / "log" / "mail.log");
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("Subject: wpfleet-mail-check"), std::string::npos) << *log;
  EXPECT_NE(log->find("To: customer@example.com"), std::string::npos);
  CliResult logs = wpfleet({"logs", "alpha", "-e", "dev"});
  EXPECT_NE(logs.out.find("wpfleet-mail-check"), std::string::npos) << logs.out;
}

// Finding 2: cron (php-cli) loaded the plugins without the pool's restrictions.
TEST_F(HostileTenant, CronRunsTenantPhpWithThePoolsRestrictions) {
  install_evil_plugin();
  ASSERT_EQ(get("alpha.wpdev.localhost", "/?attack=schedule").body, "scheduled");
  const fs::path report = content("dev", "alpha") / "uploads" / "evil-cli.json";
  fs::remove(report);
  CliResult cron = wpfleet({"cron", "run"});
  EXPECT_EQ(cron.exit_code, 0) << cron.err;
  auto text = read_file(report);
  ASSERT_TRUE(text.ok()) << "cron did not load the tenant's plugins";
  auto powers = nlohmann::json::parse(*text);
  EXPECT_EQ(powers["sapi"], "cli");
  EXPECT_EQ(powers["uid"].get<long>(), static_cast<long>(tenant_user("dev", "alpha").uid));
  EXPECT_FALSE(powers["putenv"].get<bool>());
  EXPECT_FALSE(powers["pcntl_exec"].get<bool>());
  EXPECT_FALSE(powers["ffi"].get<bool>()) << "php-cli allows FFI unless ffi.enable is off";
  EXPECT_NE(powers["open_basedir"].get<std::string>().find("/sites/dev/alpha/wp-content/"),
            std::string::npos);
  EXPECT_EQ(powers["open_basedir"].get<std::string>().find("/sites/dev/beta"), std::string::npos);
  EXPECT_NE(powers["sendmail"].get<std::string>().find("/php/sendmail"), std::string::npos);
}

// Finding 4: a symlink in A's uploads to a cached page of the protected sit served it
// without the password; B's access log (password-reset links) was world-readable.
TEST_F(HostileTenant, PlantedSymlinksAndOtherTenantsLogsLeakNothing) {
  const std::string auth = "Authorization: Basic " + base64("bbws-sit:" + secret({"-e", "sit", "basic-auth-password"}));
  ASSERT_EQ(get("beta.wpsit.localhost", "/", {auth}).status, 200);
  HttpReply cached = get("beta.wpsit.localhost", "/", {auth});
  ASSERT_EQ(cached.headers["x-cache"], "HIT");
  fs::path cache_file;
  for (const auto& entry : fs::recursive_directory_iterator(state() / "nginx" / "cache" / "sit")) {
    if (entry.is_regular_file()) cache_file = entry.path();
  }
  ASSERT_FALSE(cache_file.empty());

  const TenantUser alpha = tenant_user("dev", "alpha");
  const fs::path link = content("dev", "alpha") / "uploads" / "leak.html";
  ASSERT_EQ(run_as(alpha, [&] { return ::symlink(cache_file.c_str(), link.c_str()) == 0 ? 0 : 1; }), 0);
  HttpReply leaked = get("alpha.wpdev.localhost", "/wp-content/uploads/leak.html");
  EXPECT_NE(leaked.status, 200);
  EXPECT_EQ(leaked.body.find("Beta Secret Site"), std::string::npos);
  EXPECT_FALSE(tenant_can_read(alpha, cache_file));

  const fs::path beta_log = state() / "log" / "nginx" / (local::pool_name("sit", "beta") + ".access.log");
  ASSERT_TRUE(fs::exists(beta_log));
  EXPECT_FALSE(tenant_can_read(alpha, beta_log));
  EXPECT_FALSE(tenant_can_read(alpha, state() / "log" / "nginx-access.log"));
  EXPECT_FALSE(tenant_can_read(alpha, content("dev", "beta") / "index.php"));
  EXPECT_FALSE(tenant_can_read(alpha, state() / "sites" / "dev" / "beta" / "wp-config.php"));
  // Its own files still serve (nginx reads them through the tenant's group).
  ASSERT_EQ(run_as(alpha, [&] {
              return write_file_atomic(content("dev", "alpha") / "uploads" / "own.txt", "mine") ? 0 : 1;
            }),
            0);
  EXPECT_EQ(get("alpha.wpdev.localhost", "/wp-content/uploads/own.txt").body, "mine");
  fs::remove(link);
}

// php-fpm loads compiled core from opcache's file cache after every reload, into the
// shared memory every pool runs from: a tenant that could write there would run its code
// as every other tenant. Root makes it; no tenant can add, replace or remove a file.
TEST_F(HostileTenant, NoTenantCanPlantCompiledCodeForTheOthers) {
  const fs::path cache = state() / "php-fpm" / "opcache";
  ASSERT_TRUE(fs::is_directory(cache)) << "apply compiles core";
  fs::path compiled, compiled_dir;
  std::size_t files = 0;
  for (auto entry = fs::recursive_directory_iterator(cache); entry != fs::recursive_directory_iterator();
       ++entry) {
    struct stat st {};
    ASSERT_EQ(::lstat(entry->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u) << entry->path();
    EXPECT_EQ(st.st_mode & 022, 0u) << entry->path() << " is writable by others";
    if (entry->path().extension() == ".bin") {
      ++files;
      if (entry->path().filename() == "wp-settings.php.bin") compiled = entry->path();
    }
  }
  EXPECT_GT(files, 500u) << "most of core is compiled";
  ASSERT_FALSE(compiled.empty()) << "core's wp-settings.php is compiled";
  compiled_dir = compiled.parent_path();

  const TenantUser alpha = tenant_user("dev", "alpha");
  EXPECT_NE(run_as(alpha, [&] { return write_file_atomic(compiled, "planted") ? 0 : 1; }), 0);
  EXPECT_NE(run_as(alpha, [&] { return ::unlink(compiled.c_str()) == 0 ? 0 : 1; }), 0);
  EXPECT_NE(run_as(alpha, [&] { return ::mkdir((cache / "other-system-id").c_str(), 0777) == 0 ? 0 : 1; }), 0);
  EXPECT_NE(run_as(alpha, [&] {
              return ::mkdir((compiled_dir / "wp-content").c_str(), 0777) == 0 ? 0 : 1;
            }),
            0);
  EXPECT_TRUE(tenant_can_read(alpha, compiled)) << "its PHP loads core from there";

  // php-cli's cache is the tenant's own (opcache wants to be able to write it), its core
  // files root's links: alpha may add files for its own runs, never change core's, and
  // no other tenant reaches it.
  const fs::path cli = state() / "sites" / "dev" / "alpha" / "opcache";
  const fs::path cli_compiled = cli / fs::relative(compiled, cache);
  ASSERT_TRUE(fs::exists(cli_compiled));
  EXPECT_TRUE(fs::equivalent(cli_compiled, compiled)) << "a link, not a copy";
  EXPECT_NE(run_as(alpha, [&] {
              const int fd = ::open(cli_compiled.c_str(), O_WRONLY);
              return fd >= 0 ? 0 : 1;
            }),
            0);
  EXPECT_NE(run_as(alpha, [&] { return ::unlink(cli_compiled.c_str()) == 0 ? 0 : 1; }), 0);
  EXPECT_NE(run_as(alpha, [&] {
              return ::mkdir((cli_compiled.parent_path() / "planted").c_str(), 0777) == 0 ? 0 : 1;
            }),
            0);
  EXPECT_FALSE(tenant_can_read(tenant_user("dev", "beta"), cli_compiled));
}

// Finding 6: `GRANT ... ON dev_alpha_db.*` let alpha create `devXalphaXdb`.
TEST_F(HostileTenant, DatabaseGrantsAreNotWildcards) {
  MysqlEndpoint endpoint;
  endpoint.socket = (state() / "mariadb" / "mysqld.sock").string();
  endpoint.user = "dev_alpha_user";
  endpoint.password = secret({"alpha", "-e", "dev", "db-password"});
  auto client = MysqlClient::connect(endpoint);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_FALSE((*client)->execute("CREATE DATABASE devXalphaXdb").ok());
  EXPECT_FALSE((*client)->execute("CREATE TABLE dev_beta_db.x (i int)").ok());
  EXPECT_TRUE((*client)->execute("CREATE TABLE dev_alpha_db.evil_own (i int)").ok());
  EXPECT_TRUE((*client)->execute("DROP TABLE dev_alpha_db.evil_own").ok());
}

// RFC 7617: the scheme is case-insensitive.
TEST_F(HostileTenant, BasicAuthSchemeIsCaseInsensitive) {
  const std::string credentials = base64("bbws-sit:" + secret({"-e", "sit", "basic-auth-password"}));
  EXPECT_EQ(get("beta.wpsit.localhost", "/?s=a", {"Authorization: basic " + credentials}).status, 200);
  EXPECT_EQ(get("beta.wpsit.localhost", "/?s=b", {"Authorization: BASIC  " + credentials}).status, 200);
  EXPECT_EQ(get("beta.wpsit.localhost", "/?s=c", {"Authorization: basic " + base64("bbws-sit:wrong")}).status, 401);
  EXPECT_EQ(get("beta.wpsit.localhost", "/?s=d", {"Authorization: Bearer " + credentials}).status, 401);
}

// Each loosened thing makes audit fail and name it; apply puts it back.
TEST_F(HostileTenant, AuditNamesEachLoosenedThingAndApplyRestoresIt) {
  const fs::path config = state() / "sites" / "dev" / "alpha" / "wp-config.php";
  ASSERT_EQ(::chmod(config.c_str(), 0644), 0);
  EXPECT_TRUE(audit_failures(audit()).count("dev/alpha files")) << audit().out;

  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok()) << root.error().message;
  ASSERT_TRUE((*root)->execute("GRANT SELECT ON `dev_beta_db`.* TO 'dev_alpha_user'@'localhost'").ok());
  const auto grant_failures = audit_failures(audit());
  EXPECT_TRUE(grant_failures.count("dev/alpha grants")) << audit().out;
  EXPECT_TRUE(grant_failures.count("dev/alpha php:database")) << audit().out;

  const fs::path pool = state() / "php-fpm" / "pools" / (local::pool_name("dev", "beta") + ".conf");
  auto text = read_file(pool);
  ASSERT_TRUE(text.ok());
  std::string loosened = *text;
  const auto at = loosened.find(",putenv");
  ASSERT_NE(at, std::string::npos);
  loosened.erase(at, std::string(",putenv").size());
  ASSERT_TRUE(write_file_atomic(pool, loosened));
  auto pid = read_file(state() / "run" / "php-fpm.pid");
  ASSERT_TRUE(pid.ok());
  ::kill(std::stoi(*pid), SIGUSR2);  // php-fpm reloads its pools
  const bool seen = eventually(10, [&] {
    const auto failures = audit_failures(audit());
    return failures.count("dev/beta php:functions") && failures.count("dev/beta pool");
  });
  EXPECT_TRUE(seen) << audit().out;

  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_TRUE(eventually(10, [&] { return audit_failures(audit()).empty(); })) << audit().out;
}

}  // namespace
}  // namespace wpfleet::testing
