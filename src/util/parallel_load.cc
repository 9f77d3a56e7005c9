#include "util/parallel_load.h"

namespace wpfleet {

Status LoadConnection::execute(std::string_view sql) {
  Status done = client_->execute(sql);
  if (!done) return make_error("loading the database failed: " + done.error().message);
  return {};
}

Status LoadConnection::start_rows(const std::string& table, const std::vector<std::string>& columns) {
  TRY(flush());
  table_ = table;
  insert_ = "INSERT INTO " + quote_identifier(table) + " (";
  std::string marks;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    insert_ += (i ? "," : "") + quote_identifier(columns[i]);
    marks += i ? ",?" : "?";
  }
  insert_ += ") VALUES (" + marks + ")";
  return {};
}

Status LoadConnection::end_row() {
  ++rows_;
  if (data_.size() < batch_bytes_) return {};
  // A big row goes alone, so that a batch is never much more than batch_bytes (the
  // server refuses a command beyond its max_allowed_packet, as it would a dump's INSERT).
  const std::size_t columns = starts_.size() / rows_;
  const std::size_t row_start = starts_[starts_.size() - columns];
  if (rows_ > 1 && data_.size() - row_start > batch_bytes_ / 2) {
    TRY(send(0, starts_.size() - columns, rows_ - 1));
    TRY(send(starts_.size() - columns, starts_.size(), 1));
  } else {
    TRY(send(0, starts_.size(), rows_));
  }
  clear();
  return {};
}

Status LoadConnection::flush() {
  if (rows_ == 0) return {};
  Status sent = send(0, starts_.size(), rows_);
  clear();
  return sent;
}

Status LoadConnection::send(std::size_t first, std::size_t end, std::size_t rows) {
  values_.clear();
  for (std::size_t i = first; i < end; ++i) {
    if (nulls_[i]) {
      values_.emplace_back(std::nullopt);
      continue;
    }
    const std::size_t stop = i + 1 < starts_.size() ? starts_[i + 1] : data_.size();
    values_.emplace_back(std::string_view(data_).substr(starts_[i], stop - starts_[i]));
  }
  Status sent = client_->insert_rows(insert_, rows, values_);
  if (!sent) return make_error("loading table " + table_ + " failed: " + sent.error().message);
  return {};
}

void LoadConnection::clear() {
  rows_ = 0;
  data_.clear();
  starts_.clear();
  nulls_.clear();
}

Result<ParallelLoad> ParallelLoad::open(const MysqlEndpoint& target, unsigned connections,
                                        std::size_t batch_bytes) {
  ParallelLoad load;
  for (unsigned i = 0; i < connections; ++i) {
    TRY_ASSIGN(auto client, MysqlClient::connect(target));
    // unique_checks stay on: with them off, InnoDB takes a table lock for a bulk insert
    // into an empty table, and two connections filling one table deadlock on it.
    TRY(client->execute("SET SESSION time_zone = '+00:00', sql_mode = 'NO_AUTO_VALUE_ON_ZERO', "
                        "foreign_key_checks = 0, sql_notes = 0"));
    load.connections_.push_back(std::make_unique<LoadConnection>(std::move(client), batch_bytes));
  }
  return load;
}

}  // namespace wpfleet
