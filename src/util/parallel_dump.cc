#include "util/parallel_dump.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

namespace wpfleet {

struct TableDump {
  std::string name;
  std::uint64_t bytes = 0;  // the server's estimate
  std::string drop, create, add_indexes;
  std::vector<std::string> columns;  // generated columns left out
  std::string select;                // SELECT `a`,`b` FROM `t`
  std::string integer_key;  // a one-column integer primary key, to split by ranges
  std::optional<std::pair<long long, long long>> key_range;  // its MIN and MAX
};

namespace {

// A part of a table's rows that one stream reads in one query.
struct DumpChunk {
  std::size_t table = 0;
  std::string where;  // empty: every row
  std::uint64_t bytes = 0;
};

constexpr std::uint64_t kMaxChunksPerTable = 64;

// Runs `work(stream)` on one thread per stream and returns the first error any of them
// met; `stop` tells the others to give up early.
Status on_threads(std::size_t count, std::atomic<bool>& stop,
                  const std::function<Status(std::size_t)>& work) {
  std::mutex mutex;
  std::optional<Error> first;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < count; ++i) {
    threads.emplace_back([&, i] {
      Status done = work(i);
      if (done) return;
      std::lock_guard lock(mutex);
      if (!first) first = done.error();  // before `stop`: the others' errors only follow it
      stop = true;
    });
  }
  for (auto& thread : threads) thread.join();
  if (first) return *first;
  return {};
}

bool is_integer_type(const std::string& type) {
  for (const char* prefix : {"tinyint", "smallint", "mediumint", "int", "bigint"}) {
    if (type.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::optional<long long> parse_integer(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text->c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;  // e.g. beyond a signed BIGINT
  return value;
}

// The chunks of one table: key ranges of about `target` bytes each, or the whole table.
void add_chunks(const TableDump& table, std::size_t index, std::uint64_t target,
                std::vector<DumpChunk>& chunks) {
  std::uint64_t pieces = target ? (table.bytes + target - 1) / target : 1;
  pieces = std::min(pieces, kMaxChunksPerTable);
  if (table.integer_key.empty() || !table.key_range || pieces < 2) {
    chunks.push_back({index, "", table.bytes});
    return;
  }
  const auto [low, high] = *table.key_range;
  const unsigned long long span = static_cast<unsigned long long>(high) - static_cast<unsigned long long>(low);
  pieces = std::min<std::uint64_t>(pieces, span + 1);
  if (pieces < 2) {
    chunks.push_back({index, "", table.bytes});
    return;
  }
  const unsigned long long step = span / pieces + 1;
  const std::string key = quote_identifier(table.integer_key);
  std::string previous;  // the lower bound of the chunk being made
  for (std::uint64_t i = 1; i < pieces; ++i) {
    const std::string bound =
        std::to_string(static_cast<long long>(static_cast<unsigned long long>(low) + i * step));
    chunks.push_back({index,
                      (previous.empty() ? "" : key + " >= " + previous + " AND ") + key + " < " + bound,
                      table.bytes / pieces});
    previous = bound;
  }
  chunks.push_back({index, key + " >= " + previous, table.bytes / pieces});
}

std::string unsupported_reason(const std::vector<std::string>& views,
                               const std::vector<std::string>& triggers) {
  std::string reason;
  const auto list = [](const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
    return text;
  };
  if (!views.empty()) reason = "views or sequences (" + list(views) + ")";
  if (!triggers.empty()) reason += (reason.empty() ? "" : " and ") + ("triggers on " + list(triggers));
  return reason.empty() ? "" : "it has " + reason;
}


bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

SplitCreate split_secondary_indexes(const std::string& table, const std::string& create) {
  SplitCreate whole{create, ""};
  const auto open = create.find("(\n");
  const auto close = create.rfind("\n)");
  if (open == std::string::npos || close == std::string::npos || close < open) return whole;
  std::vector<std::string> kept, moved;
  bool primary = false;
  std::size_t pos = open + 2;
  while (pos <= close) {
    std::size_t end = create.find('\n', pos);
    if (end == std::string::npos || end > close) end = close;
    std::string line = create.substr(pos, end - pos);
    pos = end + 1;
    // A quote left open means a value spans lines: not a statement this can take apart.
    if (std::count(line.begin(), line.end(), '\'') % 2 != 0) return whole;
    if (!line.empty() && line.back() == ',') line.pop_back();
    if (line.rfind("  `", 0) == 0) {
      kept.push_back(line);
    } else if (line.rfind("  PRIMARY KEY ", 0) == 0) {
      primary = true;
      kept.push_back(line);
    } else if (line.rfind("  KEY ", 0) == 0 || line.rfind("  UNIQUE KEY ", 0) == 0 ||
               line.rfind("  FULLTEXT KEY ", 0) == 0 || line.rfind("  SPATIAL KEY ", 0) == 0) {
      moved.push_back(line.substr(2));
    } else {
      return whole;  // foreign keys, checks, periods: left as they are
    }
  }
  if (!primary || moved.empty()) return whole;
  SplitCreate split;
  split.create = create.substr(0, open + 2);
  for (std::size_t i = 0; i < kept.size(); ++i) split.create += kept[i] + (i + 1 < kept.size() ? ",\n" : "");
  split.create += create.substr(close);
  split.add_indexes = "ALTER TABLE " + quote_identifier(table);
  for (std::size_t i = 0; i < moved.size(); ++i) split.add_indexes += (i ? ", ADD " : " ADD ") + moved[i];
  split.add_indexes += ";\n";
  return split;
}

ParallelDump::~ParallelDump() = default;

Result<std::unique_ptr<ParallelDump>> ParallelDump::open(const MysqlEndpoint& source,
                                                         const ParallelDumpOptions& options) {
  if (options.streams == 0) return make_error("a parallel dump needs at least one stream");
  std::unique_ptr<ParallelDump> dump(new ParallelDump());
  dump->min_chunk_bytes_ = std::max<std::uint64_t>(options.min_chunk_bytes, 1);
  // Values as mariadb-dump reads them: utf8mb4 (the connection's), TIMESTAMPs in UTC.
  const std::string session = "SET SESSION time_zone = '+00:00', sql_quote_show_create = 1";
  TRY_ASSIGN(auto control, MysqlClient::connect(source));
  TRY(control->execute(session));
  for (unsigned i = 0; i < options.streams; ++i) {
    TRY_ASSIGN(auto stream, MysqlClient::connect(source));
    TRY(stream->execute(session));
    dump->streams_.push_back(std::move(stream));
  }
  TRY(dump->plan(*control, options));
  return dump;
}

Status ParallelDump::plan(MysqlClient& control, const ParallelDumpOptions& options) {
  TRY_ASSIGN(auto listed, control.query("SELECT table_name, table_type, data_length FROM "
                                        "information_schema.tables WHERE table_schema = DATABASE() "
                                        "ORDER BY table_name"));
  std::vector<std::string> names, views;
  for (const auto& row : listed) {
    const std::string name = row[0].value_or("");
    if (!options.tables.empty() && !contains(options.tables, name)) continue;
    names.push_back(name);
    if (row[1].value_or("") != "BASE TABLE") {
      views.push_back(name);
    } else {
      TableDump& table = tables_.emplace_back();
      table.name = name;
      table.bytes = std::strtoull(row[2].value_or("0").c_str(), nullptr, 10);
    }
  }
  for (const auto& name : options.tables) {
    if (!contains(names, name)) return make_error("the database has no table " + name + ": check the table names");
  }
  TRY_ASSIGN(auto triggered, control.query("SELECT DISTINCT event_object_table FROM "
                                           "information_schema.triggers WHERE "
                                           "trigger_schema = DATABASE() ORDER BY 1"));
  std::vector<std::string> triggers;
  for (const auto& row : triggered) {
    if (contains(names, row[0].value_or(""))) triggers.push_back(row[0].value_or(""));
  }
  unsupported_ = unsupported_reason(views, triggers);
  if (!unsupported_.empty() || tables_.empty()) return {};

  std::string lock = "LOCK TABLES ";
  for (std::size_t i = 0; i < tables_.size(); ++i) {
    lock += (i ? ", " : "") + quote_identifier(tables_[i].name) + " READ";
  }
  TRY(control.execute(lock));
  // While writers wait: every stream's snapshot starts, and opens every table (which
  // keeps DDL off them until the stream's transaction ends).
  for (auto& stream : streams_) {
    TRY(stream->execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
    TRY(stream->execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"));
    for (const auto& table : tables_) {
      TRY(stream->execute("SELECT 1 FROM " + quote_identifier(table.name) + " LIMIT 0"));
    }
  }
  for (auto& table : tables_) {
    const std::string quoted = quote_identifier(table.name);
    TRY_ASSIGN(auto created, control.query("SHOW CREATE TABLE " + quoted));
    if (created.empty() || created[0].size() < 2 || !created[0][1]) {
      return make_error("SHOW CREATE TABLE " + quoted + " returned nothing");
    }
    SplitCreate split{*created[0][1], ""};
    if (options.defer_indexes) split = split_secondary_indexes(table.name, split.create);
    table.drop = "DROP TABLE IF EXISTS " + quoted + ";\n";
    table.create = split.create + ";\n";
    table.add_indexes = split.add_indexes;

    TRY_ASSIGN(auto columns, control.query("SHOW COLUMNS FROM " + quoted));
    std::string selected;
    for (const auto& column : columns) {
      if (column.size() < 6 || !column[0]) continue;
      if (column[5].value_or("").find("GENERATED") != std::string::npos) continue;
      selected += (selected.empty() ? "" : ",") + quote_identifier(*column[0]);
      table.columns.push_back(*column[0]);
    }
    table.select = "SELECT " + selected + " FROM " + quoted;

    TRY_ASSIGN(auto keys, control.query("SHOW KEYS FROM " + quoted + " WHERE Key_name = 'PRIMARY'"));
    if (keys.size() == 1 && keys[0].size() > 4 && keys[0][4]) {
      const std::string key = *keys[0][4];
      const auto column = std::find_if(columns.begin(), columns.end(), [&](const Row& c) { return c[0] == key; });
      if (column != columns.end() && is_integer_type((*column)[1].value_or(""))) {
        TRY_ASSIGN(auto range, control.query("SELECT MIN(" + quote_identifier(key) + "), MAX(" +
                                             quote_identifier(key) + ") FROM " + quoted));
        const auto low = parse_integer(range.at(0).at(0));
        const auto high = parse_integer(range.at(0).at(1));
        table.integer_key = key;
        if (low && high) table.key_range = std::make_pair(*low, *high);
      }
    }
  }
  return control.execute("UNLOCK TABLES");
}

Result<std::map<std::string, std::uint64_t>> ParallelDump::run(const std::vector<DumpSink*>& sinks) {
  if (sinks.size() != streams_.size()) return make_error("a parallel dump needs one sink per stream");
  std::map<std::string, std::uint64_t> rows;
  for (const auto& table : tables_) {
    TRY(sinks[0]->statement(table.drop));
    TRY(sinks[0]->statement(table.create));
    rows[table.name] = 0;
  }

  std::uint64_t total = 0;
  for (const auto& table : tables_) total += table.bytes;
  const std::uint64_t target = std::max<std::uint64_t>(total / (streams_.size() * 4), min_chunk_bytes_);
  std::vector<DumpChunk> chunks;
  for (std::size_t i = 0; i < tables_.size(); ++i) add_chunks(tables_[i], i, target, chunks);
  // Largest first, so the streams end together.
  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const DumpChunk& a, const DumpChunk& b) { return a.bytes > b.bytes; });

  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::vector<std::map<std::string, std::uint64_t>> counted(streams_.size());
  const auto dump_rows = [&](std::size_t s) -> Status {
    for (std::size_t c = next++; c < chunks.size() && !stop; c = next++) {
      const TableDump& table = tables_[chunks[c].table];
      std::vector<ValueKind> kinds;
      const DumpColumns columns{table.name, table.columns, kinds};
      std::uint64_t& count = counted[s][table.name];
      const auto on_columns = [&](const std::vector<ValueKind>& k) -> Status {
        kinds = k;
        return {};
      };
      const auto on_row = [&](const RawRow& row) -> Status {
        if (stop) return make_error("stopped");
        ++count;
        return sinks[s]->row(columns, row);
      };
      const std::string sql = table.select + (chunks[c].where.empty() ? "" : " WHERE " + chunks[c].where);
      TRY(streams_[s]->stream(sql, on_columns, on_row));
      TRY(sinks[s]->end_rows());
    }
    return {};
  };
  TRY(on_threads(streams_.size(), stop, dump_rows));
  for (const auto& per_stream : counted) {
    for (const auto& [table, n] : per_stream) rows[table] += n;
  }

  std::atomic<std::size_t> next_table{0};
  const auto add_indexes = [&](std::size_t s) -> Status {
    for (std::size_t t = next_table++; t < tables_.size() && !stop; t = next_table++) {
      if (!tables_[t].add_indexes.empty()) TRY(sinks[s]->statement(tables_[t].add_indexes));
    }
    return {};
  };
  TRY(on_threads(streams_.size(), stop, add_indexes));
  for (auto& stream : streams_) TRY(stream->execute("COMMIT"));
  return rows;
}

}  // namespace wpfleet
