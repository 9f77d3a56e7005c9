#include "backends/local/tenant_data.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "backends/content_summary.h"
#include "backends/local/database.h"
#include "backends/local/identity.h"
#include "backends/local/local_backend.h"
#include "backends/local/names.h"
#include "backends/local/secrets.h"
#include "backends/local/wp_runner.h"
#include "platform/platform.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/mysql_client.h"
#include "util/process.h"
#include "util/safe_tree.h"

namespace wpfleet::local {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kChunk = 1 << 20;

std::string staging_db(const TenantContext& ctx) {
  return database_name(ctx.env.name, ctx.tenant.id) + "__staging";
}
std::string previous_db(const TenantContext& ctx) {
  return database_name(ctx.env.name, ctx.tenant.id) + "__previous";
}
std::string live_db(const TenantContext& ctx) { return database_name(ctx.env.name, ctx.tenant.id); }

// The files, beside each other in the site directory (root's, so resolved by name);
// what is inside them is the tenant's and is only reached through descriptors.
constexpr char kLiveFiles[] = "wp-content";
constexpr char kStagingFiles[] = "wp-content.staging";
constexpr char kPreviousFiles[] = "wp-content.previous";
// While the files are swapped: which directory was live before. The exchange is
// symmetric, so after a crash only this tells whether it happened.
constexpr char kSwapNote[] = "wp-content.swapping";

// Device and inode of the entry itself (never a link's target): the same name holds
// another directory after an exchange.
std::string directory_identity(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

// Credentials for the MariaDB command-line tools, handed over in a sealed memfd that the
// child reads as /dev/fd/N: never on the command line or in the environment (which
// /proc shows), never in a file that a killed wpfleet would leave behind.
class ClientOptions {
 public:
  static Result<ClientOptions> create(const MysqlEndpoint& endpoint) {
    const std::string text = "[client]\nuser=" + endpoint.user + "\npassword=" + endpoint.password +
                             "\nsocket=" + endpoint.socket + "\n";
    UniqueFd fd(::memfd_create("wpfleet-client.cnf", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd.valid()) return make_error(std::string("cannot create a memfd: ") + std::strerror(errno));
    // Not world-writable (as a memfd is made), or the client ignores the file.
    const bool written = ::fchmod(fd.get(), 0400) == 0 &&
                         ::write(fd.get(), text.data(), text.size()) ==
                             static_cast<ssize_t>(text.size()) &&
                         ::fcntl(fd.get(), F_ADD_SEALS,
                                 F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0;
    if (!written) {
      return make_error(std::string("cannot write the MariaDB client's options: ") + std::strerror(errno));
    }
    return ClientOptions(std::move(fd));
  }
  // The option file's argument must come first on the tool's command line.
  void pass_to(CommandSpec& spec) const {
    spec.argv.insert(spec.argv.begin() + 1,
                     "--defaults-extra-file=/dev/fd/" + std::to_string(fd_.get()));
    spec.inherit_fds.push_back(fd_.get());
  }

 private:
  explicit ClientOptions(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

constexpr char kLoadUserPrefix[] = "wpf_load_";

std::string load_user_prefix_of_this_process() {
  return kLoadUserPrefix + std::to_string(::getpid()) + "_";
}

// A MariaDB user that exists for one load and can reach the staging database alone:
// whatever a dump holds (CREATE USER, GRANT, another tenant's tables) goes no further.
// Its name says whose it is, so that one a crash left behind is dropped by the next
// load (the state lock keeps other processes' loads from running meanwhile).
class LoadUser {
 public:
  static Result<LoadUser> create(const BackendContext& backend, const std::string& database) {
    TRY_ASSIGN(auto client, connect_as_root(backend));
    TRY(drop_stale(*client));
    TRY_ASSIGN(std::string suffix, random_password(12));
    TRY_ASSIGN(std::string password, random_password(32));
    LoadUser user(std::move(client), load_user_prefix_of_this_process() + suffix);
    const std::string who = user.account();
    TRY(user.root_->execute("CREATE USER " + who + " IDENTIFIED BY " + user.root_->quote(password)));
    user.created_ = true;
    TRY(user.root_->execute("GRANT ALL PRIVILEGES ON " + quote_grant_database(database) + ".* TO " +
                            who));
    user.endpoint_ = MysqlEndpoint{backend.layout.mariadb_socket().string(), "", 0, user.name_,
                                   password, database};
    return user;
  }
  LoadUser(LoadUser&& other) noexcept
      : root_(std::move(other.root_)),
        name_(std::move(other.name_)),
        endpoint_(std::move(other.endpoint_)),
        created_(std::exchange(other.created_, false)) {}
  LoadUser& operator=(LoadUser&&) = delete;
  ~LoadUser() { (void)drop(); }

  const MysqlEndpoint& endpoint() const { return endpoint_; }
  Status drop() {
    if (!created_) return {};
    created_ = false;
    Status dropped = root_->execute("DROP USER IF EXISTS " + account());
    if (!dropped) {
      return make_error("cannot drop the temporary MariaDB user " + name_ + ": " +
                        dropped.error().message + " (the next load drops it)");
    }
    return {};
  }

 private:
  LoadUser(std::unique_ptr<MysqlClient> root, std::string name)
      : root_(std::move(root)), name_(std::move(name)) {}
  std::string account() const { return root_->quote(name_) + "@'localhost'"; }

  static Status drop_stale(MysqlClient& client) {
    TRY_ASSIGN(auto rows, client.query("SELECT User, Host FROM mysql.user WHERE User LIKE " +
                                       client.quote(std::string(kLoadUserPrefix) + "%")));
    for (const auto& row : rows) {
      if (!row[0] || !row[1] || !row[0]->starts_with(kLoadUserPrefix)) continue;
      if (row[0]->starts_with(load_user_prefix_of_this_process())) continue;  // in use here
      TRY(client.execute("DROP USER IF EXISTS " + client.quote(*row[0]) + "@" + client.quote(*row[1])));
    }
    return {};
  }

  std::unique_ptr<MysqlClient> root_;
  std::string name_;
  MysqlEndpoint endpoint_;
  bool created_ = false;
};

// The staging database for loads over several connections of its own.
class LoadUserStaging final : public StagingDatabase {
 public:
  explicit LoadUserStaging(LoadUser user) : user_(std::move(user)) {}
  const MysqlEndpoint& endpoint() const override { return user_.endpoint(); }
  Status finish() override { return user_.drop(); }

 private:
  LoadUser user_;
};

class MariadbLoad final : public SqlLoad {
 public:
  MariadbLoad(LoadUser user, ClientOptions options, StreamingChild child)
      : user_(std::move(user)), options_(std::move(options)), child_(std::move(child)) {}
  Status write(std::string_view sql) override {
    if (child_.write(sql)) return {};
    return finish();  // the client stopped reading: its error says why
  }
  Status finish() override {
    Status status = child_.finish();
    Status dropped = user_.drop();
    if (!status) return make_error("loading the database failed: " + status.error().message);
    return dropped;
  }

 private:
  // Destroyed in reverse: the client is gone before its user is dropped.
  LoadUser user_;
  ClientOptions options_;
  StreamingChild child_;
};

Result<std::vector<std::string>> tables_of(MysqlClient& client, const std::string& db) {
  TRY_ASSIGN(auto rows, client.query("SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = " + client.quote(db) +
                                     " ORDER BY table_name"));
  std::vector<std::string> tables;
  for (const auto& row : rows) {
    if (row[0]) tables.push_back(*row[0]);
  }
  return tables;
}

Result<std::map<std::string, std::uint64_t>> exact_row_counts(MysqlClient& client,
                                                              const std::string& db) {
  TRY_ASSIGN(auto tables, tables_of(client, db));
  std::map<std::string, std::uint64_t> counts;
  for (const auto& table : tables) {
    TRY_ASSIGN(auto rows, client.query("SELECT COUNT(*) FROM " + quote_identifier(db) + "." +
                                       quote_identifier(table)));
    counts[table] = std::stoull(rows.at(0).at(0).value_or("0"));
  }
  return counts;
}

// Rows WordPress rewrites by itself (scheduled events, caches, login sessions): they
// are not content, and a fingerprint that saw them would change every minute.
struct VolatileRows {
  std::string columns;  // what identifies and holds a row's content
  std::string where;    // which rows are volatile
};

std::optional<VolatileRows> volatile_rows_of(const std::string& table) {
  if (table.ends_with("options")) {
    return VolatileRows{"option_name, option_value",
                        "option_name LIKE '\\_transient\\_%' OR option_name LIKE "
                        "'\\_site\\_transient\\_%' OR option_name IN ('cron', 'doing_cron')"};
  }
  if (table.ends_with("usermeta")) {
    return VolatileRows{"user_id, meta_key, meta_value", "meta_key = 'session_tokens'"};
  }
  return std::nullopt;
}

std::string qualified(const std::string& db, const std::string& table) {
  return quote_identifier(db) + "." + quote_identifier(table);
}

// Moves tables between the databases of one tenant in one RENAME TABLE statement, which
// MariaDB applies atomically: no query sees a state in between.
Status move_tables(MysqlClient& client,
                   const std::vector<std::pair<std::string, std::string>>& moves) {
  if (moves.empty()) return {};
  std::string sql = "RENAME TABLE ";
  for (std::size_t i = 0; i < moves.size(); ++i) {
    sql += (i ? ", " : "") + moves[i].first + " TO " + moves[i].second;
  }
  return client.execute(sql);
}

Status recreate_database(MysqlClient& client, const std::string& db) {
  TRY(client.execute("DROP DATABASE IF EXISTS " + quote_identifier(db)));
  return client.execute("CREATE DATABASE " + quote_identifier(db) +
                        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
}

// Atomically exchanges two directory entries (Linux renameat2 RENAME_EXCHANGE).
Status exchange(const fs::path& a, const fs::path& b) {
  if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0) {
    return make_error("cannot swap " + a.string() + " and " + b.string() + ": " +
                      std::strerror(errno));
  }
  return {};
}

// A new, empty staging database, and the user that alone may load it.
Result<LoadUser> empty_staging(const BackendContext& backend, const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(backend));
  TRY(recreate_database(*client, staging_db(ctx)));
  return LoadUser::create(backend, staging_db(ctx));
}

}  // namespace

Status LocalTenantData::dump_database(const TenantContext& ctx,
                                      const std::vector<std::string>& tables,
                                      const ByteSink& sink) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  TRY_ASSIGN(ClientOptions options, ClientOptions::create(endpoint));
  CommandSpec spec;
  // --single-transaction: a consistent snapshot without locking the site (and without
  // the global lock RDS does not allow).
  spec.argv = {"mariadb-dump", "--single-transaction", "--quick", "--skip-lock-tables",
               "--no-tablespaces", "--default-character-set=utf8mb4", "--skip-dump-date",
               endpoint.database};
  spec.argv.insert(spec.argv.end(), tables.begin(), tables.end());
  options.pass_to(spec);
  spec.die_with_parent = true;  // it streams to us alone
  TRY_ASSIGN(StreamingChild dump, StreamingChild::start(spec, false, true));
  std::string buffer(kChunk, '\0');
  while (true) {
    const long n = dump.read(buffer.data(), buffer.size());
    if (n < 0) return make_error("cannot read mariadb-dump's output: " + std::string(std::strerror(errno)));
    if (n == 0) break;
    TRY(sink(std::string_view(buffer.data(), static_cast<std::size_t>(n))));
  }
  return dump.finish();
}

Result<std::map<std::string, std::uint64_t>> LocalTenantData::row_counts(const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  return exact_row_counts(*client, live_db(ctx));
}

Result<std::unique_ptr<SqlLoad>> LocalTenantData::load_staging_database(const TenantContext& ctx) {
  TRY_ASSIGN(LoadUser user, empty_staging(ctx_, ctx));
  TRY_ASSIGN(ClientOptions options, ClientOptions::create(user.endpoint()));
  CommandSpec spec;
  spec.argv = {"mariadb", "--binary-mode", "--default-character-set=utf8mb4", staging_db(ctx)};
  options.pass_to(spec);
  // A load that outlived a killed wpfleet would go on filling staging under a user the
  // next command drops.
  spec.die_with_parent = true;
  TRY_ASSIGN(StreamingChild load, StreamingChild::start(spec, true, false));
  return std::unique_ptr<SqlLoad>(
      new MariadbLoad(std::move(user), std::move(options), std::move(load)));
}

Result<std::optional<MysqlEndpoint>> LocalTenantData::database_endpoint(const TenantContext& ctx) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  return std::optional<MysqlEndpoint>(std::move(endpoint));
}

Result<std::unique_ptr<StagingDatabase>> LocalTenantData::open_staging_database(
    const TenantContext& ctx) {
  TRY_ASSIGN(LoadUser user, empty_staging(ctx_, ctx));
  return std::unique_ptr<StagingDatabase>(new LoadUserStaging(std::move(user)));
}

Result<std::map<std::string, std::uint64_t>> LocalTenantData::staged_row_counts(
    const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  return exact_row_counts(*client, staging_db(ctx));
}

Result<UniqueFd> LocalTenantData::staging_files(const TenantContext& ctx) {
  TRY_ASSIGN(UniqueFd site, open_dir(site_dir(ctx)));
  TRY(in_dir(site_dir(ctx), remove_tree_at(site.get(), kStagingFiles)));
  // Root's alone (0700) while it fills; adopt_staged_files gives it to the tenant.
  return in_dir(site_dir(ctx), ensure_dir_at(site.get(), kStagingFiles, 0700, std::nullopt));
}

Status LocalTenantData::read_files(const TenantContext& ctx, const TreeVisitor& visit) {
  TRY_ASSIGN(UniqueFd site, open_dir(site_dir(ctx)));
  TRY_ASSIGN(UniqueFd files, in_dir(site_dir(ctx), open_dir_beneath(site.get(), kLiveFiles)));
  return in_dir(site_dir(ctx), walk_tree(files.get(), visit));
}

Status LocalTenantData::adopt_staged_files(const TenantContext& ctx) {
  TRY_ASSIGN(RunAs owner, tenant_identity(ctx_.layout, ctx.env.name, ctx.tenant.id));
  TRY_ASSIGN(UniqueFd site, open_dir(site_dir(ctx)));
  TRY_ASSIGN(UniqueFd staging, in_dir(site_dir(ctx), open_dir_beneath(site.get(), kStagingFiles)));
  TRY(in_dir(site_dir(ctx), chown_tree(staging.get(), Owner{owner.uid, owner.gid})));
  if (::fchmod(staging.get(), 0755) != 0) {
    return make_error("cannot open the staged files to the web server: " + std::string(std::strerror(errno)));
  }
  return {};
}

Status LocalTenantData::swap_in_staging(const TenantContext& ctx, const SwapScope& scope) {
  if (scope.database) {
    TRY_ASSIGN(auto client, connect_as_root(ctx_));
    TRY_ASSIGN(auto staged, tables_of(*client, staging_db(ctx)));
    TRY_ASSIGN(auto live, tables_of(*client, live_db(ctx)));
    TRY(recreate_database(*client, previous_db(ctx)));
    std::vector<std::pair<std::string, std::string>> moves;
    for (const auto& table : live) {
      const bool replaced = std::find(staged.begin(), staged.end(), table) != staged.end();
      if (replaced || scope.replace_all_tables) {
        moves.emplace_back(qualified(live_db(ctx), table), qualified(previous_db(ctx), table));
      }
    }
    for (const auto& table : staged) {
      moves.emplace_back(qualified(staging_db(ctx), table), qualified(live_db(ctx), table));
    }
    TRY(move_tables(*client, moves));
    TRY(client->execute("DROP DATABASE IF EXISTS " + quote_identifier(staging_db(ctx))));
  }
  if (scope.files) {
    const fs::path live = site_dir(ctx) / kLiveFiles;
    const fs::path staging = site_dir(ctx) / kStagingFiles;
    const fs::path previous = site_dir(ctx) / kPreviousFiles;
    const fs::path note = site_dir(ctx) / kSwapNote;
    TRY(remove_tree(previous));
    TRY(write_file_atomic(note, directory_identity(live), 0600));
    TRY(exchange(staging, live));
    std::error_code ec;
    fs::rename(staging, previous, ec);
    if (ec) return make_error("cannot keep the previous files: " + ec.message());
    fs::remove(note, ec);
  }
  return {};
}

Status LocalTenantData::restore_previous(const TenantContext& ctx, const SwapScope& scope) {
  if (scope.database) {
    TRY_ASSIGN(auto client, connect_as_root(ctx_));
    TRY_ASSIGN(auto previous, tables_of(*client, previous_db(ctx)));
    TRY_ASSIGN(auto live, tables_of(*client, live_db(ctx)));
    TRY(recreate_database(*client, staging_db(ctx)));
    std::vector<std::pair<std::string, std::string>> moves;
    for (const auto& table : live) {
      const bool replaced = std::find(previous.begin(), previous.end(), table) != previous.end();
      if (replaced || scope.replace_all_tables) {
        moves.emplace_back(qualified(live_db(ctx), table), qualified(staging_db(ctx), table));
      }
    }
    for (const auto& table : previous) {
      moves.emplace_back(qualified(previous_db(ctx), table), qualified(live_db(ctx), table));
    }
    TRY(move_tables(*client, moves));
    TRY(client->execute("DROP DATABASE IF EXISTS " + quote_identifier(staging_db(ctx))));
    TRY(client->execute("DROP DATABASE IF EXISTS " + quote_identifier(previous_db(ctx))));
  }
  if (scope.files) {
    const fs::path live = site_dir(ctx) / kLiveFiles;
    const fs::path previous = site_dir(ctx) / kPreviousFiles;
    const fs::path note = site_dir(ctx) / kSwapNote;
    // A swap that stopped after its exchange left the replaced files in staging.
    auto before = read_file(note);
    if (before && directory_identity(live) != *before && fs::exists(site_dir(ctx) / kStagingFiles)) {
      std::error_code ec;
      fs::rename(site_dir(ctx) / kStagingFiles, previous, ec);
      if (ec) return make_error("cannot recover the previous files: " + ec.message());
    }
    std::error_code ignored;
    fs::remove(note, ignored);
    if (fs::exists(previous)) {
      TRY(exchange(previous, live));
      TRY(remove_tree(previous));
    }
  }
  return {};
}

Status LocalTenantData::discard_previous(const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY(client->execute("DROP DATABASE IF EXISTS " + quote_identifier(previous_db(ctx))));
  return remove_tree(site_dir(ctx) / kPreviousFiles);
}

Status LocalTenantData::discard_staging(const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY(client->execute("DROP DATABASE IF EXISTS " + quote_identifier(staging_db(ctx))));
  return remove_tree(site_dir(ctx) / kStagingFiles);
}

Result<std::string> LocalTenantData::content_fingerprint(const TenantContext& ctx) {
  TRY_ASSIGN(auto client, connect_as_root(ctx_));
  TRY_ASSIGN(auto tables, tables_of(*client, live_db(ctx)));
  ContentSummary summary;
  for (const auto& table : tables) {
    const std::string name = qualified(live_db(ctx), table);
    // Rows and a checksum of them, WordPress's own bookkeeping left out.
    if (const auto volatile_rows = volatile_rows_of(table)) {
      TRY_ASSIGN(auto rows,
                 client->query("SELECT COUNT(*), BIT_XOR(CAST(CONV(LEFT(SHA1(CONCAT_WS(0x1f, " +
                               volatile_rows->columns + ")), 16), 16, 10) AS UNSIGNED)) FROM " +
                               name + " WHERE NOT (" + volatile_rows->where + ")"));
      summary.tables[table] = {std::stoull(rows.at(0).at(0).value_or("0")), rows.at(0).at(1).value_or("NULL")};
      continue;
    }
    TRY_ASSIGN(auto counted, client->query("SELECT COUNT(*) FROM " + name));
    TRY_ASSIGN(auto checksum, client->query("CHECKSUM TABLE " + name));
    summary.tables[table] = {std::stoull(counted.at(0).at(0).value_or("0")),
                             checksum.at(0).at(1).value_or("NULL")};
  }
  std::vector<std::string> entries;
  TRY(read_files(ctx, [&](const TreeEntry& entry) -> Status {
    entries.push_back(entry.path + " " + std::to_string(entry.st.st_size) + " " +
                      std::to_string(entry.st.st_mtim.tv_sec) + "." +
                      std::to_string(entry.st.st_mtim.tv_nsec));
    if (S_ISREG(entry.st.st_mode)) {
      ++summary.files.count;
      summary.files.bytes += static_cast<std::uint64_t>(entry.st.st_size);
    }
    return {};
  }));
  std::sort(entries.begin(), entries.end());
  std::string listing;
  for (const auto& entry : entries) listing += entry + "\n";
  summary.files.digest = sha256_hex(listing);
  return format_content_summary(summary);
}

Status LocalTenantData::reset_admin_password(const TenantContext& ctx) {
  TRY_ASSIGN(std::string password,
             ctx_.secrets.get(tenant_secret_scope(ctx.env.name, ctx.tenant.id), kAdminPassword));
  const std::string php = "$user = get_user_by('login', '" + std::string(kAdminUser) +
                          "');\nif ($user) wp_set_password(stream_get_contents(STDIN), $user->ID);\n";
  return run_php(ctx, php, password);
}

Status LocalTenantData::run_php(const TenantContext& ctx, const std::string& php,
                                const std::string& input) {
  const std::string code = "require getenv('WPFLEET_CORE') . '/wp-load.php';\n" + php;
  TRY(run_wordpress_php(ctx_, ctx.env.name, ctx.tenant.id, code, input));
  return {};
}

Status LocalTenantData::run_sql(const TenantContext& ctx, const std::string& sql) {
  TRY_ASSIGN(MysqlEndpoint endpoint, tenant_endpoint(ctx_, ctx.env.name, ctx.tenant.id));
  TRY_ASSIGN(auto client, MysqlClient::connect(endpoint));
  return client->execute(sql);
}

fs::path LocalTenantData::site_dir(const TenantContext& ctx) const {
  return ctx_.layout.site_dir(ctx.env.name, ctx.tenant.id);
}

std::unique_ptr<TenantData> make_local_tenant_data(BackendContext& ctx) {
  return std::make_unique<LocalTenantData>(ctx);
}

}  // namespace wpfleet::local
