// A MariaDB server on 127.0.0.1 (a free port) in a temporary directory, standing in
// for RDS in the aws tests: a master user with every privilege, as RDS's has, and
// logins over TCP as a tenant's container makes them. Started by the constructor
// (which throws when it cannot), stopped by the destructor.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>

#include "harness.h"
#include "util/mysql_client.h"

namespace wpfleet::testing {

class LoopbackMariaDb {
 public:
  LoopbackMariaDb(const std::string& master_user, const std::string& master_password);
  ~LoopbackMariaDb();
  LoopbackMariaDb(const LoopbackMariaDb&) = delete;
  LoopbackMariaDb& operator=(const LoopbackMariaDb&) = delete;

  unsigned port() const { return port_; }
  // MariaDB's root over the server's socket.
  Result<std::unique_ptr<MysqlClient>> root() const;
  // A login of `user` to `database` over TCP, as a tenant's container makes it.
  Status login(const std::string& user, const std::string& password,
               const std::string& database) const;
  std::set<std::string> databases() const;
  // Root's way in, for the MariaDB command-line tools.
  std::string socket() const { return (dir_.path() / "mysqld.sock").string(); }

 private:

  TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

}  // namespace wpfleet::testing
