#include "backends/mysql_staging.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "util/crypto.h"
#include "util/process.h"

namespace wpfleet {

namespace {

constexpr std::size_t kChunk = 1 << 20;

// Credentials for the MariaDB command-line tools, handed over in a sealed memfd that the
// child reads as /dev/fd/N: never on the command line or in the environment (which
// /proc shows), never in a file that a killed wpfleet would leave behind.
class ClientOptions {
 public:
  static Result<ClientOptions> create(const MysqlEndpoint& endpoint) {
    std::string text = "[client]\nuser=" + endpoint.user + "\npassword=" + endpoint.password + "\n";
    if (!endpoint.socket.empty()) {
      text += "socket=" + endpoint.socket + "\n";
    } else {
      text += "host=" + endpoint.host + "\nport=" + std::to_string(endpoint.port) +
              "\nprotocol=TCP\n";
    }
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
// One a crash left behind is dropped by the next load: a load user of another process
// without a session. The state lock does not keep other loads away (another operator or
// a CI job sharing an RDS server has its own state), and a running load keeps its
// connections open until it drops its user.
class LoadUser {
 public:
  // `client` is an admin's connection, which the user keeps to drop itself.
  static Result<LoadUser> create(std::unique_ptr<MysqlClient> client, const MysqlServer& server,
                                 const std::string& database) {
    TRY(drop_stale(*client));
    TRY_ASSIGN(std::string suffix, random_password(12));
    TRY_ASSIGN(std::string password, random_password(32));
    LoadUser user(std::move(client), load_user_prefix_of_this_process() + suffix,
                  server.account_host);
    const std::string who = user.account();
    TRY(user.admin_->execute("CREATE USER " + who + " IDENTIFIED BY " + user.admin_->quote(password)));
    user.created_ = true;
    TRY(user.admin_->execute("GRANT ALL PRIVILEGES ON " + quote_grant_database(database) + ".* TO " +
                             who));
    user.endpoint_ = server.location;
    user.endpoint_.user = user.name_;
    user.endpoint_.password = password;
    user.endpoint_.database = database;
    return user;
  }
  LoadUser(LoadUser&& other) noexcept
      : admin_(std::move(other.admin_)),
        name_(std::move(other.name_)),
        host_(std::move(other.host_)),
        endpoint_(std::move(other.endpoint_)),
        created_(std::exchange(other.created_, false)) {}
  LoadUser& operator=(LoadUser&&) = delete;
  ~LoadUser() { (void)drop(); }

  const MysqlEndpoint& endpoint() const { return endpoint_; }
  Status drop() {
    if (!created_) return {};
    created_ = false;
    Status dropped = admin_->execute("DROP USER IF EXISTS " + account());
    if (!dropped) {
      return make_error("cannot drop the temporary MariaDB user " + name_ + ": " +
                        dropped.error().message + " (the next load drops it)");
    }
    return {};
  }

 private:
  LoadUser(std::unique_ptr<MysqlClient> admin, std::string name, std::string host)
      : admin_(std::move(admin)), name_(std::move(name)), host_(std::move(host)) {}
  std::string account() const { return admin_->quote(name_) + "@" + admin_->quote(host_); }

  static Status drop_stale(MysqlClient& client) {
    TRY_ASSIGN(auto rows, client.query("SELECT User, Host FROM mysql.user WHERE User LIKE " +
                                       client.quote(std::string(kLoadUserPrefix) + "%") +
                                       " AND User NOT IN (SELECT USER FROM "
                                       "information_schema.PROCESSLIST WHERE USER IS NOT NULL)"));
    for (const auto& row : rows) {
      if (!row[0] || !row[1] || !row[0]->starts_with(kLoadUserPrefix)) continue;
      if (row[0]->starts_with(load_user_prefix_of_this_process())) continue;  // in use here
      TRY(client.execute("DROP USER IF EXISTS " + client.quote(*row[0]) + "@" + client.quote(*row[1])));
    }
    return {};
  }

  std::unique_ptr<MysqlClient> admin_;
  std::string name_;
  std::string host_;
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

// Exact row counts of every table of `db`.
Result<std::map<std::string, std::uint64_t>> exact_row_counts(MysqlClient& client,
                                                              const std::string& db) {
  TRY_ASSIGN(auto tables, tables_of(client, db));
  std::map<std::string, std::uint64_t> counts;
  for (const auto& table : tables) {
    TRY_ASSIGN(auto rows, client.query("SELECT COUNT(*) FROM " + qualified(db, table)));
    counts[table] = std::stoull(rows.at(0).at(0).value_or("0"));
  }
  return counts;
}

Status recreate_database(MysqlClient& client, const std::string& db) {
  TRY(client.execute("DROP DATABASE IF EXISTS " + quote_identifier(db)));
  return client.execute("CREATE DATABASE " + quote_identifier(db) +
                        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
}

Status drop_database(MysqlClient& client, const std::string& db) {
  return client.execute("DROP DATABASE IF EXISTS " + quote_identifier(db));
}

}  // namespace

Status dump_with_mariadb_dump(const MysqlEndpoint& endpoint, const std::vector<std::string>& tables,
                              const ByteSink& sink) {
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

Result<std::unique_ptr<MysqlClient>> MysqlStaging::connect() const { return admin_(); }

Result<std::map<std::string, std::uint64_t>> MysqlStaging::live_row_counts() {
  TRY_ASSIGN(auto client, connect());
  return exact_row_counts(*client, names_.live);
}

Result<std::map<std::string, std::uint64_t>> MysqlStaging::staged_row_counts() {
  TRY_ASSIGN(auto client, connect());
  return exact_row_counts(*client, names_.staging);
}

Result<std::unique_ptr<SqlLoad>> MysqlStaging::load() {
  TRY_ASSIGN(auto client, connect());
  TRY(recreate_database(*client, names_.staging));
  TRY_ASSIGN(LoadUser user, LoadUser::create(std::move(client), server_, names_.staging));
  TRY_ASSIGN(ClientOptions options, ClientOptions::create(user.endpoint()));
  CommandSpec spec;
  spec.argv = {"mariadb", "--binary-mode", "--default-character-set=utf8mb4", names_.staging};
  options.pass_to(spec);
  // A load that outlived a killed wpfleet would go on filling staging under a user the
  // next command drops.
  spec.die_with_parent = true;
  TRY_ASSIGN(StreamingChild child, StreamingChild::start(spec, true, false));
  return std::unique_ptr<SqlLoad>(
      new MariadbLoad(std::move(user), std::move(options), std::move(child)));
}

Result<std::unique_ptr<StagingDatabase>> MysqlStaging::open() {
  TRY_ASSIGN(auto client, connect());
  TRY(recreate_database(*client, names_.staging));
  TRY_ASSIGN(LoadUser user, LoadUser::create(std::move(client), server_, names_.staging));
  return std::unique_ptr<StagingDatabase>(new LoadUserStaging(std::move(user)));
}

Status MysqlStaging::move_all(MysqlClient& client, const std::string& from, const std::string& to,
                              const std::string& aside, bool replace_all_tables) {
  TRY_ASSIGN(auto incoming, tables_of(client, from));
  TRY_ASSIGN(auto current, tables_of(client, to));
  TRY(recreate_database(client, aside));
  std::vector<std::pair<std::string, std::string>> moves;
  for (const auto& table : current) {
    const bool replaced = std::find(incoming.begin(), incoming.end(), table) != incoming.end();
    if (replaced || replace_all_tables) moves.emplace_back(qualified(to, table), qualified(aside, table));
  }
  for (const auto& table : incoming) moves.emplace_back(qualified(from, table), qualified(to, table));
  if (!moves.empty()) {
    // One RENAME TABLE, which MariaDB applies atomically: no query sees a state in
    // between.
    std::string sql = "RENAME TABLE ";
    for (std::size_t i = 0; i < moves.size(); ++i) {
      sql += (i ? ", " : "") + moves[i].first + " TO " + moves[i].second;
    }
    TRY(client.execute(sql));
  }
  return drop_database(client, from);
}

Status MysqlStaging::swap_in(bool replace_all_tables) {
  TRY_ASSIGN(auto client, connect());
  return move_all(*client, names_.staging, names_.live, names_.previous, replace_all_tables);
}

Status MysqlStaging::restore_previous(bool replace_all_tables) {
  TRY_ASSIGN(auto client, connect());
  TRY(move_all(*client, names_.previous, names_.live, names_.staging, replace_all_tables));
  return drop_database(*client, names_.staging);
}

Status MysqlStaging::discard_previous() {
  TRY_ASSIGN(auto client, connect());
  return drop_database(*client, names_.previous);
}

Status MysqlStaging::discard_staging() {
  TRY_ASSIGN(auto client, connect());
  return drop_database(*client, names_.staging);
}

Status MysqlStaging::summarize(ContentSummary& summary) {
  TRY_ASSIGN(auto client, connect());
  TRY_ASSIGN(auto tables, tables_of(*client, names_.live));
  for (const auto& table : tables) {
    const std::string name = qualified(names_.live, table);
    // Rows and a checksum of them, WordPress's own bookkeeping left out.
    if (const auto volatile_rows = volatile_rows_of(table)) {
      TRY_ASSIGN(auto rows,
                 client->query("SELECT COUNT(*), BIT_XOR(CAST(CONV(LEFT(SHA1(CONCAT_WS(0x1f, " +
                               volatile_rows->columns + ")), 16), 16, 10) AS UNSIGNED)) FROM " +
                               name + " WHERE NOT (" + volatile_rows->where + ")"));
      summary.tables[table] = {std::stoull(rows.at(0).at(0).value_or("0")),
                               rows.at(0).at(1).value_or("NULL")};
      continue;
    }
    TRY_ASSIGN(auto counted, client->query("SELECT COUNT(*) FROM " + name));
    TRY_ASSIGN(auto checksum, client->query("CHECKSUM TABLE " + name));
    summary.tables[table] = {std::stoull(counted.at(0).at(0).value_or("0")),
                             checksum.at(0).at(1).value_or("NULL")};
  }
  return {};
}

}  // namespace wpfleet
