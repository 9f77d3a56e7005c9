#include "loopback_mariadb.h"

#include <signal.h>
#include <sys/wait.h>

#include <stdexcept>

#include "util/process.h"

namespace wpfleet::testing {

LoopbackMariaDb::LoopbackMariaDb(const std::string& master_user, const std::string& master_password)
    : port_(free_port()) {
  const std::string data = (dir_.path() / "data").string();
  CommandSpec install;
  install.argv = {"mariadb-install-db", "--no-defaults", "--datadir=" + data,
                  "--auth-root-authentication-method=normal", "--skip-test-db", "--user=root"};
  auto installed = run_command(install);
  if (!installed || installed->exit_code != 0) {
    throw std::runtime_error("mariadb-install-db failed: " +
                             (installed ? installed->err : installed.error().message));
  }
  CommandSpec server;
  server.argv = {"mariadbd", "--no-defaults", "--user=root", "--datadir=" + data,
                 "--socket=" + socket(), "--port=" + std::to_string(port_),
                 "--bind-address=127.0.0.1", "--skip-name-resolve",
                 "--innodb-buffer-pool-size=16M", "--performance-schema=OFF",
                 "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"};
  auto pid = spawn_child(server, (dir_.path() / "mariadb.log").string());
  if (!pid) throw std::runtime_error("cannot start mariadbd: " + pid.error().message);
  pid_ = *pid;
  if (!eventually(30, [&] { return root().ok(); })) {
    throw std::runtime_error("mariadbd did not start on port " + std::to_string(port_));
  }
  auto client = root();
  for (const std::string& sql :
       {"CREATE USER '" + master_user + "'@'%' IDENTIFIED BY '" + master_password + "'",
        "GRANT ALL PRIVILEGES ON *.* TO '" + master_user + "'@'%' WITH GRANT OPTION"}) {
    if (auto done = (*client)->execute(sql); !done) throw std::runtime_error(done.error().message);
  }
}

LoopbackMariaDb::~LoopbackMariaDb() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

Result<std::unique_ptr<MysqlClient>> LoopbackMariaDb::root() const {
  MysqlEndpoint endpoint;
  endpoint.socket = socket();
  endpoint.user = "root";
  return MysqlClient::connect(endpoint, 2);
}

Status LoopbackMariaDb::login(const std::string& user, const std::string& password,
                              const std::string& database) const {
  MysqlEndpoint endpoint;
  endpoint.host = "127.0.0.1";
  endpoint.port = port_;
  endpoint.user = user;
  endpoint.password = password;
  endpoint.database = database;
  auto client = MysqlClient::connect(endpoint, 2);
  if (!client) return std::move(client).error();
  return {};
}

std::set<std::string> LoopbackMariaDb::databases() const {
  std::set<std::string> out;
  auto client = root();
  if (!client) return out;
  auto rows = (*client)->query("SHOW DATABASES");
  if (!rows) return out;
  for (const auto& row : *rows) out.insert(*row[0]);
  return out;
}

}  // namespace wpfleet::testing
