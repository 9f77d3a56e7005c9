// Snapshots that keep wp-content by content (transfer/blob_store.h) against a real
// platform: two snapshots of an unchanged site share their files and a changed file
// costs only itself (measured on disk), a restore is byte-identical, `snapshot delete`
// frees what only that snapshot had, snapshot_budget deletes the oldest first but never
// what an unfinished operation needs, a snapshot killed halfway leaves nothing visible
// and the next one cleans up, and a tenant's links never lead root outside its tree.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "harness.h"
#include "state/store.h"
#include "transfer/archive_io.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/process.h"

namespace wpfleet::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uint64_t kMiB = 1024 * 1024;

class LeanSnapshots : public FleetSuite {
 protected:
  static void SetUpTestSuite() {
    const std::string port = std::to_string(free_port());
    const auto env = [&](const std::string& name, const std::string& extra) {
      return "[environments." + name + "]\ndomain = \"{tenant}.wp" + name +
             ".localhost\"\nlisten = \"127.0.0.1:" + port + "\"\n" + extra + "\n";
    };
    start_fleet(env("dev", "") + env("qa", "snapshot_budget = \"20MB\"") +
                env("prod", "production = true") + env("sit", "") + env("uat", "snapshot_retention = 2") +
                "[[tenants]]\nid = \"alpha\"\ntitle = \"Alpha\"\nadmin_email = \"a@alpha.example\"\n"
                "environments = [\"dev\", \"prod\"]\n"
                "[[tenants]]\nid = \"beta\"\ntitle = \"Beta\"\nadmin_email = \"b@beta.example\"\n"
                "environments = [\"dev\", \"sit\", \"uat\"]\n"
                "[[tenants]]\nid = \"delta\"\ntitle = \"Delta\"\nadmin_email = \"d@delta.example\"\n"
                "environments = [\"dev\", \"sit\"]\n"
                "[[tenants]]\nid = \"gamma\"\ntitle = \"Gamma\"\nadmin_email = \"g@gamma.example\"\n"
                "environments = [\"qa\"]\n");
  }

  static fs::path wp_content(const std::string& env, const std::string& tenant) {
    return state() / "sites" / env / tenant / "wp-content";
  }
  static fs::path blobs(const std::string& env) { return state() / "blobs" / env; }

  // A file of the tenant's, as its PHP would have written it.
  static void put_file(const std::string& env, const std::string& tenant, const std::string& name,
                       const std::string& content) {
    const fs::path path = wp_content(env, tenant) / name;
    const TenantUser user = tenant_user(state(), env, tenant);
    fs::create_directories(path.parent_path());
    ASSERT_EQ(::chown(path.parent_path().c_str(), user.uid, user.gid), 0);
    ASSERT_TRUE(write_file_atomic(path, content, 0644).ok());
    ASSERT_EQ(::chown(path.c_str(), user.uid, user.gid), 0);
  }
  static std::string random_content(std::uint64_t size) {
    auto bytes = random_bytes(size);
    EXPECT_TRUE(bytes.ok());
    return std::string(bytes->begin(), bytes->end());
  }

  // Apparent bytes of the regular files below `dir`: what the snapshots' files take.
  static std::uint64_t bytes_below(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
      if (entry.is_regular_file() && !entry.is_symlink()) total += entry.file_size();
    }
    return total;
  }
  static std::set<std::string> stored_blobs(const std::string& env) {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(blobs(env), ec)) {
      if (entry.is_regular_file() && entry.path().parent_path().filename() != "tmp") {
        names.insert(entry.path().filename().string());
      }
    }
    return names;
  }

  // Every file and directory below wp-content with its mode and content's hash.
  static std::map<std::string, std::string> tree(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      struct stat st {};
      ::lstat(entry.path().c_str(), &st);
      std::string what = std::to_string(st.st_mode);
      if (S_ISREG(st.st_mode)) what += " " + sha256_hex(*read_file(entry.path()));
      out[fs::relative(entry.path(), dir).string()] = what;
    }
    return out;
  }

  static std::string take(const std::string& env, const std::string& tenant, std::string* err = nullptr) {
    CliResult made = wpfleet({"snapshot", "create", tenant, "-e", env, "--output", "json"});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    if (err) *err = made.err;
    const json parsed = json::parse(made.out, nullptr, false);
    return parsed.is_object() ? parsed["id"].get<std::string>() : "";
  }
  static json list(const std::string& env, const std::string& tenant) {
    CliResult listed = wpfleet({"snapshot", "list", tenant, "-e", env, "--output", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    return json::parse(listed.out, nullptr, false);
  }
  static json entry(const json& listed, const std::string& id) {
    for (const auto& s : listed) {
      if (s["id"] == id) return s;
    }
    return json();
  }
  static std::set<std::string> ids(const json& listed) {
    std::set<std::string> out;
    for (const auto& s : listed) out.insert(s["id"].get<std::string>());
    return out;
  }

  // What an operation a crash interrupted looks like in the state: running, with the
  // snapshot it would go back to.
  static void record_open_operation(const std::string& id, const std::string& env,
                                    const std::string& tenant, const std::string& snapshot,
                                    const std::string& status) {
    auto store = StateStore::open(state() / "state.db");
    ASSERT_TRUE(store.ok()) << store.error().message;
    OperationRecord op{id, "promote", tenant, "dev", env, snapshot, status, "swapping", "", "", 0, 0};
    ASSERT_TRUE((*store)->record_operation(op).ok());
  }
};

TEST_F(LeanSnapshots, AnUnchangedSiteSharesItsFilesAndAChangedFileCostsOnlyItself) {
  put_file("dev", "alpha", "uploads/big.bin", random_content(4 * kMiB));
  put_file("dev", "alpha", "uploads/small.bin", random_content(100 * 1024));
  const std::string first = take("dev", "alpha");
  const std::uint64_t after_first = bytes_below(blobs("dev"));
  EXPECT_GE(after_first, 4 * kMiB + 100 * 1024);

  const std::string second = take("dev", "alpha");
  EXPECT_EQ(bytes_below(blobs("dev")), after_first) << "the unchanged files were stored again";
  const json listed = list("dev", "alpha");
  const json s2 = entry(listed, second);
  ASSERT_TRUE(s2.is_object()) << listed.dump();
  EXPECT_GE(s2["shared_bytes"].get<std::uint64_t>(), 4 * kMiB + 100 * 1024) << s2.dump();
  EXPECT_LT(s2["own_bytes"].get<std::uint64_t>(), 1 * kMiB) << "its dump and file list only: " << s2.dump();
  EXPECT_LT(fs::file_size(s2["path"].get<std::string>()), 1 * kMiB);

  // One changed file: the store grows by that file alone.
  put_file("dev", "alpha", "uploads/small.bin", random_content(100 * 1024));
  const std::string third = take("dev", "alpha");
  EXPECT_EQ(bytes_below(blobs("dev")), after_first + 100 * 1024);
  const json s3 = entry(list("dev", "alpha"), third);
  EXPECT_GE(s3["own_bytes"].get<std::uint64_t>(), 100 * 1024) << s3.dump();
  EXPECT_LT(s3["own_bytes"].get<std::uint64_t>(), 100 * 1024 + kMiB) << s3.dump();

  // The table says the same in human sizes.
  const CliResult table = wpfleet({"snapshot", "list", "alpha", "-e", "dev"});
  EXPECT_NE(table.out.find("SHARED"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("MiB"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("the snapshots of every tenant of dev take"), std::string::npos) << table.out;

  // An export stays a self-contained archive with every file in it.
  const fs::path exported = state().parent_path() / "alpha-export.tar";
  ASSERT_EQ(wpfleet({"export", "alpha", "-e", "dev", "-o", exported.string()}).exit_code, 0);
  EXPECT_GE(fs::file_size(exported), 4 * kMiB);
  auto exported_list = transfer::read_file_list(exported);
  ASSERT_TRUE(exported_list.ok());
  EXPECT_TRUE(exported_list->empty());
  fs::remove(exported);
  (void)first;
}

TEST_F(LeanSnapshots, RestoreIsByteIdentical) {
  put_file("dev", "alpha", "uploads/2026/11/photo.jpg", random_content(300 * 1024));
  put_file("dev", "alpha", "uploads/empty.txt", "");
  const auto files_before = tree(wp_content("dev", "alpha"));
  // Less wp_users: a restore sets the admin's password to the stored one again.
  const auto content = [] {
    std::string text = content_checksum(state(), "dev", "alpha");
    const auto users = text.find("wp_users:");
    return text.erase(users, text.find('\n', users) - users);
  };
  const std::string tables_before = content();
  const std::string snapshot = take("dev", "alpha");

  put_file("dev", "alpha", "uploads/2026/11/photo.jpg", random_content(300 * 1024));
  fs::remove(wp_content("dev", "alpha") / "uploads/empty.txt");
  put_file("dev", "alpha", "uploads/added.txt", "added after the snapshot");
  auto root = mariadb_root(state());
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE((*root)->execute("UPDATE `dev_alpha_db`.wp_posts SET post_title = 'Changed' WHERE ID = 1").ok());
  ASSERT_NE(tree(wp_content("dev", "alpha")), files_before);

  CliResult restored = wpfleet({"snapshot", "restore", "alpha", "-e", "dev", "--id", snapshot});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(tree(wp_content("dev", "alpha")), files_before);
  EXPECT_EQ(content(), tables_before);
}

// Restoring the oldest snapshot retention keeps: the snapshot the restore takes first
// must not prune the one being restored (uat keeps 2).
TEST_F(LeanSnapshots, RestoringTheOldestKeptSnapshotDoesNotPruneIt) {
  put_file("uat", "beta", "uploads/then.txt", "as it was");
  const auto files_then = tree(wp_content("uat", "beta"));
  const std::string oldest = take("uat", "beta");
  put_file("uat", "beta", "uploads/then.txt", "changed since");
  take("uat", "beta");

  CliResult restored = wpfleet({"snapshot", "restore", "beta", "-e", "uat", "--id", oldest});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(tree(wp_content("uat", "beta")), files_then);
  // Once restored it is an old snapshot like any other: the next one prunes it.
  take("uat", "beta");
  EXPECT_TRUE(entry(list("uat", "beta"), oldest).is_null());
}

TEST_F(LeanSnapshots, SnapshotsOfTheFormerFormatAndLeanArchivesAreReadToo) {
  // A snapshot taken before files were kept by content was a full archive, as export
  // writes: it is listed by its size and restores.
  put_file("dev", "alpha", "uploads/old-format.txt", "in the old snapshot");
  const fs::path old_format = state() / "snapshots" / "dev" / "alpha" / "snap-old-format.tar";
  ASSERT_EQ(wpfleet({"export", "alpha", "-e", "dev", "-o", old_format.string()}).exit_code, 0);
  {
    auto store = StateStore::open(state() / "state.db");
    ASSERT_TRUE(store.ok());
    SnapshotRecord record{"snap-old-format", "dev", "alpha", old_format.string(), "", "manual", 0, 0};
    record.bytes = static_cast<std::int64_t>(fs::file_size(old_format));
    ASSERT_TRUE((*store)->record_snapshot(record).ok());
  }
  const json listed = entry(list("dev", "alpha"), "snap-old-format");
  EXPECT_EQ(listed["own_bytes"].get<std::uint64_t>(), fs::file_size(old_format)) << listed.dump();
  EXPECT_EQ(listed["shared_bytes"].get<std::uint64_t>(), 0u);
  fs::remove(wp_content("dev", "alpha") / "uploads/old-format.txt");
  CliResult restored = wpfleet({"snapshot", "restore", "alpha", "-e", "dev", "--id", "snap-old-format"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_EQ(*read_file(wp_content("dev", "alpha") / "uploads/old-format.txt"), "in the old snapshot");

  // A lean snapshot imports where its stored files are; elsewhere it says why not.
  fs::remove(wp_content("dev", "alpha") / "uploads/old-format.txt");
  const std::string only_in_lean = "only in the lean snapshot " + random_content(16);
  put_file("dev", "alpha", "uploads/only-in-lean.txt", only_in_lean);
  const std::string lean = take("dev", "alpha");
  fs::remove(wp_content("dev", "alpha") / "uploads/only-in-lean.txt");
  const std::string lean_path = entry(list("dev", "alpha"), lean)["path"];
  CliResult imported = wpfleet({"import", lean_path, "-e", "dev"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(*read_file(wp_content("dev", "alpha") / "uploads/only-in-lean.txt"), only_in_lean);
  // Its stored file gone, as on another machine (and gone from the site, so that the
  // import's own snapshot first does not store it again).
  fs::remove(wp_content("dev", "alpha") / "uploads/only-in-lean.txt");
  const std::string hash = sha256_hex(only_in_lean);
  const fs::path blob = blobs("dev") / hash.substr(0, 2) / hash;
  const fs::path kept_aside = state().parent_path() / "blob-aside";
  fs::rename(blob, kept_aside);
  CliResult elsewhere = wpfleet({"import", lean_path, "-e", "dev"});
  fs::rename(kept_aside, blob);
  EXPECT_NE(elsewhere.exit_code, 0);
  EXPECT_NE(elsewhere.err.find("taken by another wpfleet"), std::string::npos) << elsewhere.err;
  EXPECT_NE(elsewhere.err.find("was not touched"), std::string::npos) << elsewhere.err;
}

TEST_F(LeanSnapshots, DeleteFreesWhatOnlyThatSnapshotHad) {
  const std::string unique = random_content(kMiB);
  put_file("dev", "alpha", "uploads/unique.bin", unique);
  const std::string with_it = take("dev", "alpha");
  fs::remove(wp_content("dev", "alpha") / "uploads/unique.bin");
  const std::string without_it = take("dev", "alpha");
  ASSERT_TRUE(stored_blobs("dev").count(sha256_hex(unique)));

  // An unfinished operation that would go back to it keeps it.
  record_open_operation("op-test-open", "dev", "alpha", with_it, "running");
  CliResult refused = wpfleet({"snapshot", "delete", "alpha", "-e", "dev", "--id", with_it});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("op-test-open"), std::string::npos) << refused.err;
  EXPECT_TRUE(stored_blobs("dev").count(sha256_hex(unique)));
  record_open_operation("op-test-open", "dev", "alpha", with_it, "failed");

  CliResult deleted = wpfleet({"snapshot", "delete", "alpha", "-e", "dev", "--id", with_it, "--output", "json"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_GE(json::parse(deleted.out)["freed_bytes"].get<std::uint64_t>(), kMiB) << deleted.out;
  EXPECT_FALSE(stored_blobs("dev").count(sha256_hex(unique))) << "the file only it had is gone";
  const json left = list("dev", "alpha");
  EXPECT_FALSE(ids(left).count(with_it));
  EXPECT_TRUE(ids(left).count(without_it));

  CliResult unknown = wpfleet({"snapshot", "delete", "alpha", "-e", "dev", "--id", "snap-nope"});
  EXPECT_EQ(unknown.exit_code, 3);
  EXPECT_NE(unknown.err.find("wpfleet snapshot list alpha -e dev"), std::string::npos) << unknown.err;

  // Production's snapshots are deleted only with --approve.
  const std::string production = take("prod", "alpha");
  CliResult unapproved = wpfleet({"snapshot", "delete", "alpha", "-e", "prod", "--id", production});
  EXPECT_EQ(unapproved.exit_code, 3);
  EXPECT_NE(unapproved.err.find("--approve"), std::string::npos) << unapproved.err;
  EXPECT_EQ(wpfleet({"snapshot", "delete", "alpha", "-e", "prod", "--id", production, "--approve"}).exit_code, 0);
}

// A snapshot whose archive is not where its record says (a state directory moved, an
// archive deleted by hand) lists files nobody knows: when garbage is next collected (here
// after another snapshot is deleted), every stored file is kept, and the error names the
// snapshot and its delete command; snapshots taken meanwhile still succeed.
TEST_F(LeanSnapshots, AMissingArchiveKeepsItsFilesUntilItsSnapshotIsDeleted) {
  const std::string older = take("dev", "beta");
  const std::string unique = random_content(kMiB);
  put_file("dev", "beta", "uploads/kept.bin", unique);
  const std::string with_it = take("dev", "beta");
  fs::remove(wp_content("dev", "beta") / "uploads/kept.bin");
  const fs::path archive = state() / "snapshots" / "dev" / "beta" / (with_it + ".tar");
  const fs::path aside = state() / (with_it + ".aside");
  fs::rename(archive, aside);

  EXPECT_FALSE(take("dev", "beta").empty());
  CliResult deleted = wpfleet({"snapshot", "delete", "beta", "-e", "dev", "--id", older});
  EXPECT_TRUE(stored_blobs("dev").count(sha256_hex(unique))) << "the files of a missing archive are kept";
  EXPECT_NE(deleted.err.find(with_it), std::string::npos) << deleted.err;
  EXPECT_NE(deleted.err.find("wpfleet snapshot delete beta -e dev --id " + with_it), std::string::npos)
      << deleted.err;

  fs::rename(aside, archive);
  ASSERT_EQ(wpfleet({"snapshot", "delete", "beta", "-e", "dev", "--id", with_it}).exit_code, 0);
  EXPECT_FALSE(stored_blobs("dev").count(sha256_hex(unique)));
}

TEST_F(LeanSnapshots, TheBudgetDeletesTheOldestFirstButNeverWhatAnOpenOperationNeeds) {
  // qa's budget is 20MB; each snapshot brings 8 MiB of its own.
  const auto next = [&](std::string* err = nullptr) {
    put_file("qa", "gamma", "uploads/big.bin", random_content(8 * kMiB));
    return take("qa", "gamma", err);
  };
  const std::string s1 = next();
  record_open_operation("op-test-budget", "qa", "gamma", s1, "running");
  const std::string s2 = next();
  EXPECT_EQ(ids(list("qa", "gamma")), (std::set<std::string>{s1, s2})) << "16 MiB fit";
  std::string said;
  const std::string s3 = next(&said);
  // Over budget: s1 is the oldest but the open operation needs it, so s2 goes.
  EXPECT_EQ(ids(list("qa", "gamma")), (std::set<std::string>{s1, s3}));
  EXPECT_NE(said.find("deleted snapshot " + s2), std::string::npos) << said;
  EXPECT_NE(said.find("snapshot_budget"), std::string::npos) << said;

  record_open_operation("op-test-budget", "qa", "gamma", s1, "failed");
  put_file("qa", "gamma", "uploads/big.bin", random_content(8 * kMiB));
  CliResult fourth = wpfleet({"snapshot", "create", "gamma", "-e", "qa", "--output", "json"});
  ASSERT_EQ(fourth.exit_code, 0) << fourth.err;
  const json made = json::parse(fourth.out);
  // Nothing needs s1 any more, and it is the oldest.
  ASSERT_EQ(made["deleted_by_budget"].size(), 1u) << fourth.out;
  EXPECT_EQ(made["deleted_by_budget"][0]["id"], s1);
  EXPECT_EQ(ids(list("qa", "gamma")), (std::set<std::string>{s3, made["id"].get<std::string>()}));
  EXPECT_LE(bytes_below(blobs("qa")) + bytes_below(state() / "snapshots" / "qa"), 20 * kMiB);
}

TEST_F(LeanSnapshots, ASnapshotKilledHalfwayLeavesNothingVisibleAndTheNextCleansUp) {
  for (int i = 0; i < 200; ++i) {
    put_file("dev", "alpha", "uploads/many/" + std::to_string(i) + ".bin", random_content(256 * 1024));
  }
  const std::set<std::string> listed_before = ids(list("dev", "alpha"));
  const std::size_t blobs_before = stored_blobs("dev").size();
  CommandSpec spec;
  spec.argv = {WPFLEET_BINARY, "-f", fleet().string(), "snapshot", "create", "alpha", "-e", "dev"};
  auto pid = spawn_child(spec, (state().parent_path() / "killed-snapshot.log").string());
  ASSERT_TRUE(pid.ok());
  // Killed while it stores the files: some are stored, the archive is not written.
  const bool storing = eventually(120, [&] { return stored_blobs("dev").size() >= blobs_before + 20; });
  ::kill(*pid, SIGKILL);
  int status = 0;
  ::waitpid(*pid, &status, 0);
  ASSERT_TRUE(storing);
  ASSERT_LT(stored_blobs("dev").size(), blobs_before + 200) << "it finished before it was killed";

  EXPECT_EQ(ids(list("dev", "alpha")), listed_before) << "an incomplete snapshot is listed";
  std::size_t partial = 0;
  for (const auto& entry : fs::directory_iterator(state() / "snapshots" / "dev" / "alpha")) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tar")) {
      EXPECT_TRUE(listed_before.count(entry.path().stem().string())) << name;
    }
    partial += name.ends_with(".parts");
  }
  EXPECT_EQ(partial, 1u) << "the interrupted snapshot's work directory";

  // What a kill between writing an archive and recording it would leave.
  const fs::path unrecorded = state() / "snapshots" / "dev" / "alpha" / "snap-never-recorded.tar";
  fs::copy_file(list("dev", "alpha")[0]["path"].get<std::string>(), unrecorded);

  // The next snapshot removes the leftovers: every stored file is one a snapshot lists.
  for (int i = 0; i < 200; ++i) fs::remove(wp_content("dev", "alpha") / "uploads/many" / (std::to_string(i) + ".bin"));
  const std::string next = take("dev", "alpha");
  std::set<std::string> listed_blobs;
  auto store = StateStore::open(state() / "state.db");
  ASSERT_TRUE(store.ok());
  auto records = (*store)->snapshots("dev", "");
  ASSERT_TRUE(records.ok());
  for (const auto& record : *records) {
    auto files = transfer::read_file_list(record.path);
    ASSERT_TRUE(files.ok()) << files.error().message;
    for (const auto& file : *files) {
      if (!file.directory) listed_blobs.insert(file.sha256);
    }
  }
  EXPECT_EQ(stored_blobs("dev"), listed_blobs);
  EXPECT_TRUE(!fs::exists(blobs("dev") / "tmp") || fs::is_empty(blobs("dev") / "tmp"));
  for (const auto& entry : fs::directory_iterator(state() / "snapshots" / "dev" / "alpha")) {
    EXPECT_FALSE(entry.path().filename().string().ends_with(".parts")) << entry.path();
  }
  EXPECT_TRUE(ids(list("dev", "alpha")).count(next));
  EXPECT_FALSE(fs::exists(unrecorded));
}

TEST_F(LeanSnapshots, ATenantsLinksNeverLeadRootOutsideItsTree) {
  TempDir outside;
  const fs::path secret = outside.path() / "secret";
  const std::string secret_text = "root's own secret " + random_content(16);
  ASSERT_TRUE(write_file_atomic(secret, secret_text, 0600).ok());
  const fs::path elsewhere = outside.path() / "elsewhere";
  fs::create_directories(elsewhere);
  ::chmod(elsewhere.c_str(), 0777);  // writable by anyone: only root's mistake could fill it

  const TenantUser alpha = tenant_user(state(), "dev", "alpha");
  const fs::path uploads = wp_content("dev", "alpha") / "uploads";
  fs::create_directories(uploads);
  ASSERT_EQ(::chown(uploads.c_str(), alpha.uid, alpha.gid), 0);
  // A symlink to root's secret, and a hard link the kernel refuses to make.
  ASSERT_EQ(run_as(alpha, [&] {
              if (::symlink(secret.c_str(), (uploads / "secret-link").c_str()) != 0) return 1;
              const bool linked = ::link(secret.c_str(), (uploads / "secret-hardlink").c_str()) == 0;
              return linked ? 2 : (errno == EPERM ? 0 : 3);
            }),
            0);
  const std::string snapshot = take("dev", "alpha");
  EXPECT_FALSE(stored_blobs("dev").count(sha256_hex(secret_text))) << "root stored its own secret";
  auto store = StateStore::open(state() / "state.db");
  ASSERT_TRUE(store.ok());
  auto record = (*store)->snapshot(snapshot);
  ASSERT_TRUE(record.ok() && *record);
  auto files = transfer::read_file_list((*record)->path);
  ASSERT_TRUE(files.ok()) << files.error().message;
  for (const auto& file : *files) {
    EXPECT_EQ(file.path.find("secret"), std::string::npos) << file.path;
  }

  // The tenant swaps its uploads for a link to a directory outside: the restore writes
  // into a fresh staging directory, never through the link.
  ASSERT_EQ(run_as(alpha, [&] {
              const fs::path moved = uploads.parent_path() / "uploads-moved";
              if (::rename(uploads.c_str(), moved.c_str()) != 0) return 1;
              return ::symlink(elsewhere.c_str(), uploads.c_str()) == 0 ? 0 : 2;
            }),
            0);
  CliResult restored = wpfleet({"snapshot", "restore", "alpha", "-e", "dev", "--id", snapshot});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_TRUE(fs::is_empty(elsewhere)) << "root wrote outside the tenant's tree";
  EXPECT_TRUE(fs::is_directory(fs::symlink_status(uploads)));
  EXPECT_EQ(*read_file(secret), secret_text);
}

// promote --all promotes two tenants at once, each snapshotting its target first: one's
// tidying up must not take the stored files of the other's snapshot, not yet recorded.
TEST_F(LeanSnapshots, SnapshotsTakenInParallelKeepAllTheirFiles) {
  std::map<std::string, std::string> before;
  for (const std::string tenant : {"beta", "delta"}) {
    for (int i = 0; i < 20; ++i) {
      put_file("sit", tenant, "uploads/" + std::to_string(i) + ".bin", random_content(128 * 1024));
    }
    before[tenant] = sha256_hex(json(tree(wp_content("sit", tenant))).dump());
  }
  for (int round = 0; round < 3; ++round) {
    CliResult promoted = wpfleet({"promote", "--all", "--from", "dev", "--to", "sit", "--output", "json"});
    ASSERT_EQ(promoted.exit_code, 0) << promoted.err;
  }
  // Every file every snapshot of sit lists is stored.
  auto store = StateStore::open(state() / "state.db");
  ASSERT_TRUE(store.ok());
  auto records = (*store)->snapshots("sit", "");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 6u);
  const auto stored = stored_blobs("sit");
  for (const auto& record : *records) {
    auto files = transfer::read_file_list(record.path);
    ASSERT_TRUE(files.ok()) << files.error().message;
    for (const auto& file : *files) {
      if (!file.directory) {
        EXPECT_TRUE(stored.count(file.sha256)) << record.id << ": " << file.path;
      }
    }
  }
  // And the first snapshots (of the content before any promote) restore it.
  for (const std::string tenant : {"beta", "delta"}) {
    auto first = (*store)->snapshots("sit", tenant);
    ASSERT_TRUE(first.ok() && !first->empty());
    CliResult restored = wpfleet({"snapshot", "restore", tenant, "-e", "sit", "--id", first->back().id});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    EXPECT_EQ(sha256_hex(json(tree(wp_content("sit", tenant))).dump()), before[tenant]) << tenant;
  }
}

}  // namespace
}  // namespace wpfleet::testing
