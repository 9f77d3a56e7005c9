// Several connections loading one database at once, each session set as mariadb-dump's
// header sets the one that loads its dump (utf8mb4, UTC, NO_AUTO_VALUE_ON_ZERO, no
// foreign-key checks while rows arrive). Rows go in batches through MariaDB's array
// binding: their values are sent as they are, never written or parsed as SQL.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/mysql_client.h"
#include "util/result.h"

namespace wpfleet {

// One connection of a load. Used from one thread at a time.
class LoadConnection {
 public:
  LoadConnection(std::unique_ptr<MysqlClient> client, std::size_t batch_bytes)
      : client_(std::move(client)), batch_bytes_(batch_bytes) {}

  Status execute(std::string_view sql);

  // Rows for `columns` of `table` (any rows buffered for another table are sent first):
  // each value given by add() (append its bytes to what it returns) or add_null(), then
  // end_row(). Buffered rows are sent once they hold about batch_bytes, and by flush().
  Status start_rows(const std::string& table, const std::vector<std::string>& columns);
  std::string& add() {
    starts_.push_back(data_.size());
    nulls_.push_back(false);
    return data_;
  }
  void add_null() {
    starts_.push_back(data_.size());
    nulls_.push_back(true);
  }
  Status end_row();
  Status flush();

 private:
  // Sends the rows whose values are [first, end) of those buffered.
  Status send(std::size_t first, std::size_t end, std::size_t rows);
  void clear();

  std::unique_ptr<MysqlClient> client_;
  std::size_t batch_bytes_;
  std::string table_;
  std::string insert_;  // INSERT INTO `t` (`a`,`b`) VALUES (?,?)
  std::size_t rows_ = 0;
  std::string data_;                // the buffered values' bytes, one after another
  std::vector<std::size_t> starts_;  // where each value starts in data_
  std::vector<bool> nulls_;
  std::vector<std::optional<std::string_view>> values_;  // scratch for a batch
};

class ParallelLoad {
 public:
  static Result<ParallelLoad> open(const MysqlEndpoint& target, unsigned connections,
                                   std::size_t batch_bytes = 4 << 20);
  LoadConnection& connection(std::size_t index) { return *connections_.at(index); }

 private:
  std::vector<std::unique_ptr<LoadConnection>> connections_;
};

}  // namespace wpfleet
