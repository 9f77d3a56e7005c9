#include "platform/mariadb_setup.h"

#include <filesystem>
#include <memory>

#include "platform/log_excerpt.h"
#include "platform/services.h"
#include "state/secret_store.h"
#include "state/store.h"
#include "util/crypto.h"
#include "util/fs.h"
#include "util/mysql_client.h"

namespace wpfleet {

namespace {

namespace fs = std::filesystem;

MysqlEndpoint root_endpoint(const StateLayout& layout, const std::string& password) {
  MysqlEndpoint endpoint;
  endpoint.socket = layout.mariadb_socket().string();
  endpoint.user = "root";
  endpoint.password = password;
  return endpoint;
}

// mariadb-install-db also makes root@127.0.0.1, root@::1 and root@<hostname> without a
// password. The server never listens on TCP, but an account nobody uses is one too many.
Status drop_other_root_accounts(MysqlClient& client) {
  TRY_ASSIGN(std::vector<Row> accounts,
             client.query("SELECT User, Host FROM mysql.global_priv "
                          "WHERE User = '' OR (User = 'root' AND Host <> 'localhost')"));
  for (const Row& account : accounts) {
    TRY(client.execute("DROP USER " + client.quote(account[0].value_or("")) + "@" +
                       client.quote(account[1].value_or(""))));
  }
  return {};
}

}  // namespace

Status initialise_mariadb_datadir(const StateLayout& layout, const PlatformBinaries& binaries,
                                  const PlatformUsers& users, const ProgressFn& progress) {
  if (fs::exists(layout.mariadb_data())) return {};
  progress("initialising the MariaDB data directory…");
  const fs::path staging = layout.mariadb_dir() / "data.new";
  TRY(remove_tree(staging));
  TRY_ASSIGN(CommandOutput output, run_command(mariadb_install_command(binaries, staging, users)));
  if (output.exit_code != 0) {
    return make_error("mariadb-install-db could not create the MariaDB data directory:\n" +
                      last_lines(output.out + output.err, 15));
  }
  // It leaves a few files owned by root, which a later mariadb-upgrade could not replace.
  TRY(give_to(staging, users.mariadb, /*recursive=*/true));
  std::error_code error;
  fs::rename(staging, layout.mariadb_data(), error);
  if (error) {
    return make_error("cannot move the new MariaDB data directory into place: " + error.message());
  }
  return {};
}

Result<std::string> ensure_mariadb_root_password(const StateLayout& layout) {
  TRY_ASSIGN(std::unique_ptr<StateStore> store, StateStore::open(layout.state_db()));
  TRY_ASSIGN(SecretStore secrets, SecretStore::open(*store, layout.secret_key()));
  return secrets.ensure(kPlatformSecretScope, kMariadbRootSecret, [] { return random_password(); });
}

Status secure_root_account(const StateLayout& layout, const std::string& password) {
  Result<std::unique_ptr<MysqlClient>> with_password =
      MysqlClient::connect(root_endpoint(layout, password), 2);
  if (with_password) return {};
  Result<std::unique_ptr<MysqlClient>> fresh = MysqlClient::connect(root_endpoint(layout, ""), 2);
  if (!fresh) return std::move(with_password).error();
  MysqlClient& client = **fresh;
  TRY(drop_other_root_accounts(client));
  // Last, so that a crash before this point leaves an account the next `up` can finish.
  return client.execute("ALTER USER 'root'@'localhost' IDENTIFIED BY " + client.quote(password));
}

Result<MysqlEndpoint> mariadb_root_endpoint(const StateLayout& layout, const SecretStore& secrets) {
  Result<std::string> password = secrets.get(kPlatformSecretScope, kMariadbRootSecret);
  if (!password) {
    return make_error(password.error().message +
                      " (the MariaDB root password is created by "
                      "`wpfleet up`)");
  }
  return root_endpoint(layout, *password);
}

}  // namespace wpfleet
