// A hostile tenant against wpfleet's own root-run work on the real platform: links and
// swaps planted where root walks (promote's and export's copy, the logs php-fpm's
// master appends to, apply's storage repair), other tenants' files, a crafted archive
// whose dump reaches for the rest of the server, and a killed promote that must leave
// no password behind.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "harness.h"
#include "platform/services.h"
#include "transfer/manifest.h"
#include "transfer/row_counter.h"
#include "util/archive.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/http_client.h"
#include "util/mysql_client.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

namespace fs = std::filesystem;


// dev and sit; alpha is in both (the attacker), beta in dev (the neighbour).
class HostileFiles : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    port_ = free_port();
    const std::string listen = "\"127.0.0.1:" + std::to_string(port_) + "\"";
    start_fleet(
        "[environments.dev]\ndomain = \"{tenant}.wpdev.localhost\"\nlisten = " + listen + "\n"
        "[environments.sit]\ndomain = \"{tenant}.wpsit.localhost\"\nlisten = " + listen + "\n"
        "\n[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha\"\nadmin_email = \"a@alpha.example\"\n"
        "environments = [\"dev\", \"sit\"]\n"
        "\n[[tenants]]\nid = \"beta\"\ntitle = \"Beta\"\nadmin_email = \"b@beta.example\"\n"
        "environments = [\"dev\"]\n");
  }

  static fs::path site(const std::string& env, const std::string& tenant) {
    return state() / "sites" / env / tenant;
  }
  static fs::path uploads(const std::string& env, const std::string& tenant) {
    return site(env, tenant) / "wp-content" / "uploads";
  }

  static TenantUser tenant_user(const std::string& env, const std::string& tenant) {
    return testing::tenant_user(state(), env, tenant);
  }
  // The errno the tenant's user gets from `attempt` (0 when it succeeded).
  static int error_as(const TenantUser& user, const std::function<bool()>& attempt) {
    return run_as(user, [&] { return attempt() ? 0 : errno; });
  }

  static std::string query_one(const std::string& sql) {
    auto root = mariadb_root(state());
    EXPECT_TRUE(root.ok()) << (root ? "" : root.error().message);
    if (!root) return "";
    auto rows = (*root)->query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << (rows ? "" : rows.error().message);
    if (!rows || rows->empty() || rows->at(0).empty()) return "";
    return rows->at(0).at(0).value_or("NULL");
  }
  static void execute(const std::string& sql) {
    auto root = mariadb_root(state());
    ASSERT_TRUE(root.ok());
    Status done = (*root)->execute(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.error().message;
  }

  // Every regular file below `dir` (links not followed) that holds `needle`, but the
  // tenants' wp-config.php, where PHP finds its database password.
  static std::vector<std::string> files_holding(const fs::path& dir, const std::string& needle) {
    std::vector<std::string> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_symlink(ec) || !it->is_regular_file(ec) || it->file_size(ec) > (256 << 20)) continue;
      if (it->path().filename() == "wp-config.php") continue;
      auto content = read_file(it->path());
      if (content && content->find(needle) != std::string::npos) found.push_back(it->path().string());
    }
    return found;
  }

  static std::uint16_t port_;
};

std::uint16_t HostileFiles::port_ = 0;

// Finding 3: promote's copy checked a file's type and then opened it by name; a tenant
// swapping a file and a link to the state's secret key (renameat2 RENAME_EXCHANGE in a
// loop) got the key copied into its own uploads. Export read files the same way.
TEST_F(HostileFiles, APromoteOrExportNeverCarriesWhatASwappedLinkPointsTo) {
  const auto key = read_file(state() / "secret.key");
  ASSERT_TRUE(key.ok());
  ASSERT_GE(key->size(), 16u);
  const fs::path race = uploads("dev", "alpha") / "race";
  const TenantUser alpha = tenant_user("dev", "alpha");
  constexpr int kPairs = 40;
  ASSERT_EQ(run_as(alpha,
                   [&] {
                     if (::mkdir(race.c_str(), 0755) != 0) return 1;
                     for (int i = 0; i < kPairs; ++i) {
                       const std::string n = std::to_string(i);
                       // As long as the key: no size check can tell them apart.
                       if (!write_file_atomic(race / ("f" + n), std::string(key->size(), 'h'))) return 2;
                       if (::symlink((state() / "secret.key").c_str(), (race / ("l" + n)).c_str()) != 0) return 3;
                     }
                     return 0;
                   }),
            0);
  const pid_t swapper = start_as(alpha, [&] {
    std::vector<std::pair<std::string, std::string>> pairs;
    for (int i = 0; i < kPairs; ++i) {
      pairs.emplace_back((race / ("f" + std::to_string(i))).string(),
                         (race / ("l" + std::to_string(i))).string());
    }
    while (true) {
      for (const auto& [f, l] : pairs) ::renameat2(AT_FDCWD, f.c_str(), AT_FDCWD, l.c_str(), RENAME_EXCHANGE);
    }
    return 0;
  });

  for (int round = 0; round < 3; ++round) {
    CliResult promoted = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit"});
    EXPECT_EQ(promoted.exit_code, 0) << promoted.err;
    EXPECT_EQ(files_holding(site("sit", "alpha") / "wp-content", *key), std::vector<std::string>{})
        << "round " << round;
  }
  for (int round = 0; round < 3; ++round) {
    const fs::path archive = fleet().parent_path() / ("alpha-" + std::to_string(round) + ".tar");
    CliResult exported = wpfleet({"export", "alpha", "-e", "dev", "-o", archive.string()});
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    std::vector<std::string> leaked;
    Status read = TarReader::for_each(archive, [&](const TarReader::Entry& entry, const auto& read_data) {
      std::string content;
      Status got = read_data([&](std::string_view piece) -> Status {
        content.append(piece);
        return {};
      });
      if (content.find(*key) != std::string::npos) leaked.push_back(entry.name);
      return got;
    });
    EXPECT_TRUE(read.ok());
    EXPECT_EQ(leaked, std::vector<std::string>{}) << "round " << round;
    fs::remove(archive);
  }
  ::kill(swapper, SIGKILL);
  ::waitpid(swapper, nullptr, 0);
  fs::remove_all(race);
}

// Finding 3: the tenant owned log/, so it replaced php-access.log with a link and the
// next php-fpm reload made root create and append to any path. Now log/ is root's;
// an old layout (a tenant-owned log/ with links in it) is repaired by apply.
TEST_F(HostileFiles, TheTenantCannotReplaceItsLogsAndApplyRepairsAnOldLayout) {
  const fs::path log = site("dev", "alpha") / "log";
  const fs::path target = fleet().parent_path() / "ld.so.preload-stand-in";
  const fs::path root_file = fleet().parent_path() / "root-only-file";
  ASSERT_TRUE(write_file_atomic(root_file, "root's", 0600).ok());
  const TenantUser alpha = tenant_user("dev", "alpha");

  EXPECT_EQ(error_as(alpha, [&] { return ::unlink((log / "php-access.log").c_str()) == 0; }), EACCES);
  EXPECT_EQ(error_as(alpha, [&] { return ::symlink(target.c_str(), (log / "planted").c_str()) == 0; }),
            EACCES);
  EXPECT_EQ(error_as(alpha, [&] {
              return ::rename((log / "php-error.log").c_str(), (log / "moved").c_str()) == 0;
            }),
            EACCES);
  // The logs the tenant's PHP writes are its own files.
  EXPECT_EQ(error_as(alpha, [&] {
              const int fd = ::open((log / "php-error.log").c_str(), O_WRONLY | O_APPEND);
              return fd >= 0 && ::close(fd) == 0;
            }),
            0);

  // What an older wpfleet left: log/ the tenant's, with its links in it.
  ASSERT_EQ(::chown(log.c_str(), alpha.uid, alpha.gid), 0);
  fs::remove(log / "php-access.log");
  fs::create_symlink(target, log / "php-access.log");
  fs::remove(log / "php-error.log");
  fs::create_hard_link(root_file, log / "php-error.log");
  fs::remove(log / "mail.log");
  fs::create_symlink(target, log / "mail.log");

  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  struct stat st {};
  ASSERT_EQ(::lstat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, alpha.gid);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  for (const char* name : {"php-error.log", "mail.log"}) {
    ASSERT_EQ(::lstat((log / name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    EXPECT_EQ(st.st_nlink, 1u) << name;
    EXPECT_EQ(st.st_uid, alpha.uid) << name;
    EXPECT_EQ(st.st_mode & 07777, 0640u) << name;
  }
  EXPECT_EQ(*read_file(root_file), "root's");
  ASSERT_EQ(::stat(root_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the hard link's file was given away";
  EXPECT_EQ(st.st_nlink, 1u);

  // php-fpm's master reopens its logs on reload (SIGUSR1) and reloads on SIGUSR2.
  const auto pid_text = read_file(state() / "run" / "php-fpm.pid");
  ASSERT_TRUE(pid_text.ok());
  const pid_t master = std::stoi(*pid_text);
  ASSERT_EQ(::kill(master, SIGUSR1), 0);
  ASSERT_EQ(::kill(master, SIGUSR2), 0);
  HttpRequest request;
  request.url = "http://alpha.wpdev.localhost:" + std::to_string(port_) + "/";
  request.connect_to = "127.0.0.1";
  EXPECT_TRUE(eventually(20, [&] {
    auto reply = http_request(request);
    return reply && reply->status == 200;
  }));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << "root followed the planted link";
  ASSERT_EQ(::lstat((log / "php-access.log").c_str(), &st), 0);
  EXPECT_FALSE(S_ISLNK(st.st_mode));
  EXPECT_EQ(wpfleet({"logs", "alpha", "-e", "dev", "-n", "1"}).exit_code, 0);
}

// Finding 3: storage repair chmod'ed through a symlinked wp-content/uploads.
TEST_F(HostileFiles, ApplyReplacesALinkedUploadsWithoutTouchingItsTarget) {
  const fs::path root_only = fleet().parent_path() / "root-only";
  fs::create_directories(root_only);
  ASSERT_EQ(::chmod(root_only.c_str(), 0700), 0);
  ASSERT_TRUE(write_file_atomic(root_only / "private", "root's").ok());
  const fs::path linked = uploads("dev", "beta");
  fs::remove_all(linked);
  fs::create_directory_symlink(root_only, linked);

  CliResult applied = wpfleet({"apply", "--yes"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  struct stat st {};
  ASSERT_EQ(::lstat(root_only.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u) << "apply changed the mode of the link's target";
  EXPECT_EQ(st.st_uid, 0u) << "apply changed the owner of the link's target";
  EXPECT_TRUE(fs::exists(root_only / "private"));
  ASSERT_EQ(::lstat(linked.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode)) << "uploads is still a link";
  EXPECT_EQ(st.st_uid, tenant_user("dev", "beta").uid);
}

// Finding 4 (file modes): a tenant's user may not read another tenant's files, nor list
// its site directory; its own stay readable, and nginx still serves both.
TEST_F(HostileFiles, ATenantCannotReadAnotherTenantsFiles) {
  const TenantUser alpha = tenant_user("dev", "alpha");
  const TenantUser beta = tenant_user("dev", "beta");
  for (const auto& [env, tenant, owner] : {std::tuple{"dev", "alpha", alpha}, std::tuple{"dev", "beta", beta}}) {
    ASSERT_EQ(run_as(owner,
                     [&] {
                       return write_file_atomic(uploads(env, tenant) / "mine.txt", "only mine", 0644) ? 0 : 1;
                     }),
              0);
  }
  const fs::path theirs = uploads("dev", "beta") / "mine.txt";
  EXPECT_EQ(error_as(alpha, [&] { return ::open(theirs.c_str(), O_RDONLY) >= 0; }), EACCES);
  EXPECT_EQ(error_as(alpha, [&] { return ::opendir(site("dev", "beta").c_str()) != nullptr; }), EACCES);
  EXPECT_EQ(error_as(alpha, [&] {
              return ::open((site("dev", "beta") / "wp-config.php").c_str(), O_RDONLY) >= 0;
            }),
            EACCES);
  EXPECT_EQ(error_as(alpha, [&] {
              return ::open((uploads("dev", "alpha") / "mine.txt").c_str(), O_RDONLY) >= 0;
            }),
            0);
  for (const char* tenant : {"alpha", "beta"}) {
    HttpRequest request;
    request.url = std::string("http://") + tenant + ".wpdev.localhost:" + std::to_string(port_) +
                  "/wp-content/uploads/mine.txt";
    request.connect_to = "127.0.0.1";
    auto reply = http_request(request);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 200) << tenant;
    EXPECT_EQ(reply->body, "only mine") << tenant;
  }
}

// Finding 5: imports ran the dump as MariaDB's root. This archive's dump (a real export
// with three statements appended) makes a superuser and a table in another tenant's
// database.
TEST_F(HostileFiles, ACraftedDumpReachesNothingBeyondItsStagingDatabase) {
  const fs::path exported = fleet().parent_path() / "alpha-clean.tar";
  ASSERT_EQ(wpfleet({"export", "alpha", "-e", "dev", "--no-files", "-o", exported.string()}).exit_code, 0);
  std::string dump;
  auto manifest_text = TarReader::read_entry(exported, transfer::kManifestEntry);
  ASSERT_TRUE(manifest_text.ok() && *manifest_text);
  auto manifest = transfer::parse_manifest(**manifest_text);
  ASSERT_TRUE(manifest.ok());
  Status read = TarReader::for_each(exported, [&](const TarReader::Entry& entry, const auto& read_data) -> Status {
    if (entry.name != transfer::kDatabaseEntry) return {};
    ZstdDecoder decoder([&](std::string_view sql) -> Status {
      dump.append(sql);
      return {};
    });
    Status fed = read_data([&](std::string_view piece) { return decoder.feed(piece); });
    return fed ? decoder.finish() : fed;
  });
  ASSERT_TRUE(read.ok());
  const std::string original_sha = manifest->database_sha256;
  dump += "\nCREATE USER 'x'@'localhost' IDENTIFIED BY 'y';\nGRANT ALL ON *.* TO 'x'@'localhost';\n"
          "CREATE TABLE dev_beta_db.x (i int);\n";

  auto crafted = [&](const std::string& sha, const std::string& name) {
    transfer::Manifest m = *manifest;
    m.database_sha256 = sha;
    m.database_bytes = dump.size();
    transfer::RowCounter rows;
    rows.feed(dump);
    m.table_rows = rows.rows();
    const fs::path dump_file = fleet().parent_path() / (name + ".sql.zst");
    auto writer = ZstdFileWriter::create(dump_file);
    EXPECT_TRUE(writer.ok() && writer->write(dump).ok() && writer->close().ok());
    const fs::path archive = fleet().parent_path() / (name + ".tar");
    auto tar = TarWriter::create(archive);
    EXPECT_TRUE(tar.ok() && tar->add_bytes(transfer::kManifestEntry, transfer::manifest_json(m)).ok() &&
                tar->add_file(transfer::kDatabaseEntry, dump_file).ok() && tar->close().ok());
    return archive;
  };
  const std::string before = content_checksum(state(), "dev", "alpha");
  auto no_trace = [&](const std::string& what) {
    EXPECT_EQ(query_one("SELECT COUNT(*) FROM mysql.user WHERE User = 'x'"), "0") << what;
    EXPECT_EQ(query_one("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                        "'dev_beta_db' AND table_name = 'x'"),
              "0")
        << what;
    EXPECT_EQ(query_one("SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'wpf\\_load\\_%'"), "0")
        << what << ": the temporary load user is gone";
    EXPECT_EQ(content_checksum(state(), "dev", "alpha"), before) << what;
  };

  // A correct checksum: the archive is what it says, but its statements must fail.
  CliResult imported = wpfleet({"import", crafted(sha256_hex(dump), "signed").string(), "-e", "dev"});
  EXPECT_EQ(imported.exit_code, 1) << imported.out << imported.err;
  EXPECT_NE(imported.err.find("Access denied"), std::string::npos) << imported.err;
  EXPECT_NE(imported.err.find("content was not touched"), std::string::npos) << imported.err;
  no_trace("signed archive");
  execute("DROP USER IF EXISTS 'x'@'localhost'");
  execute("DROP TABLE IF EXISTS dev_beta_db.x");

  // A wrong one: refused before a single statement runs.
  CliResult damaged = wpfleet({"import", crafted(original_sha, "damaged").string(), "-e", "dev"});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("damaged"), std::string::npos) << damaged.err;
  EXPECT_NE(damaged.err.find("content was not touched"), std::string::npos) << damaged.err;
  no_trace("damaged archive");
  execute("DROP USER IF EXISTS 'x'@'localhost'");
  execute("DROP TABLE IF EXISTS dev_beta_db.x");
}

// Finding 10: a killed promote left run/client-*.cnf files with plaintext passwords.
// While the dump and the load run, no password is on a command line, in an environment
// or in any file; after kill -9 none is left anywhere in the state directory.
TEST_F(HostileFiles, AKilledPromoteLeavesNoPasswordBehind) {
  // Enough rows that the load takes a while.
  execute("CREATE TABLE dev_alpha_db.wp_bulk (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)");
  execute("INSERT INTO dev_alpha_db.wp_bulk (v) VALUES (REPEAT('x', 400))");
  for (int i = 0; i < 18; ++i) execute("INSERT INTO dev_alpha_db.wp_bulk (v) SELECT v FROM dev_alpha_db.wp_bulk");
  const std::vector<std::string> passwords = {secret({"-e", "platform", "mariadb-root-password"}),
                                              secret({"alpha", "-e", "dev", "db-password"}),
                                              secret({"alpha", "-e", "sit", "db-password"})};
  for (const auto& password : passwords) ASSERT_GE(password.size(), 16u);

  CommandSpec spec;
  // One stream: the path that runs MariaDB's command-line clients, whose command lines
  // and environments /proc shows (several streams copy in wpfleet's own connections).
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string(), "promote", "alpha", "--from", "dev", "--to", "sit",
               "--streams", "1"};
  auto promote = spawn_child(spec, (fleet().parent_path() / "promote.log").string());
  ASSERT_TRUE(promote.ok());
  // The MariaDB clients it runs: their command lines and environments.
  int loaders_seen = 0;
  std::vector<std::string> exposed;
  auto inspect_clients = [&] {
    for (pid_t child : child_processes(*promote)) {
      const fs::path proc = fs::path("/proc") / std::to_string(child);
      auto comm_line = read_file(proc / "comm");
      if (!comm_line) continue;
      const std::string comm = comm_line->substr(0, comm_line->find('\n'));
      if (comm != "mariadb" && comm != "mariadb-dump") continue;
      if (comm == "mariadb") ++loaders_seen;
      for (const char* part : {"cmdline", "environ"}) {
        auto text = read_file(proc / part);
        for (const auto& password : passwords) {
          if (text && text->find(password) != std::string::npos) exposed.push_back(comm + " " + part);
        }
      }
    }
  };
  // The load (mariadb, after the snapshot's mariadb-dump) is what gets killed.
  bool loading = false;
  for (int i = 0; i < 6000 && !loading; ++i) {
    inspect_clients();
    loading = loaders_seen > 0;
    if (!loading) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(loading) << "the promote never ran a MariaDB client";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  inspect_clients();
  EXPECT_EQ(files_holding(state() / "run", passwords[0]), std::vector<std::string>{});
  ::kill(*promote, SIGKILL);
  ::waitpid(*promote, nullptr, 0);
  EXPECT_EQ(exposed, std::vector<std::string>{});
  for (const auto& password : passwords) {
    EXPECT_EQ(files_holding(state(), password), std::vector<std::string>{});
  }

  // The next load drops the temporary user the killed one left.
  execute("DROP TABLE dev_alpha_db.wp_bulk");
  CliResult again = wpfleet({"promote", "alpha", "--from", "dev", "--to", "sit"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(query_one("SELECT COUNT(*) FROM mysql.user WHERE User LIKE 'wpf\\_load\\_%'"), "0");
}

}  // namespace
}  // namespace wpfleet::testing
