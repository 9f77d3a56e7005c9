// A consistent dump of a MariaDB database read by several connections at once, as
// mydumper does: one snapshot shared by all of them, taken without a global lock (RDS
// grants none), and the rows of big tables split by primary-key ranges so the streams
// are balanced. The schema comes as the SQL mariadb-dump writes (SHOW CREATE TABLE);
// rows come as the server sends them, each value's exact bytes (utf8mb4, TIMESTAMPs in
// UTC, as mariadb-dump reads them), so a loader sends them on without any SQL escaping
// or parsing (util/parallel_load.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/mysql_client.h"
#include "util/result.h"

namespace wpfleet {

// A table's rows as a stream delivers them: the columns read (generated ones left out:
// a load cannot set them) and what each value is.
struct DumpColumns {
  const std::string& table;
  const std::vector<std::string>& columns;
  const std::vector<ValueKind>& kinds;
};

// Where one stream of the dump goes, from one thread.
class DumpSink {
 public:
  virtual ~DumpSink() = default;
  // A statement of the schema (DROP TABLE, CREATE TABLE, ALTER TABLE), complete.
  virtual Status statement(std::string_view sql) = 0;
  virtual Status row(const DumpColumns& columns, const RawRow& row) = 0;
  // After each part of a table: a sink that buffers rows sends them now.
  virtual Status end_rows() = 0;
};

struct ParallelDumpOptions {
  unsigned streams = 2;
  std::vector<std::string> tables;  // empty: every table of the database
  // Secondary indexes are left out of CREATE TABLE and added once the rows are in
  // (myloader's --innodb-optimize-keys): InnoDB builds an index from sorted keys far
  // faster than it grows one row by row.
  bool defer_indexes = true;
  // A table is split into parts of about its streams' share / 4, but none smaller.
  std::uint64_t min_chunk_bytes = 4 << 20;
};

struct TableDump;  // what the snapshot says about one table (parallel_dump.cc)

class ParallelDump {
 public:
  // Opens `options.streams` connections to `source`'s database on one consistent
  // snapshot: a control connection holds LOCK TABLES ... READ on the tables to dump
  // (writers wait, for milliseconds) while each stream starts its transaction WITH
  // CONSISTENT SNAPSHOT and reads what the plan needs, then lets go.
  static Result<std::unique_ptr<ParallelDump>> open(const MysqlEndpoint& source,
                                                    const ParallelDumpOptions& options);
  ~ParallelDump();
  ParallelDump(const ParallelDump&) = delete;
  ParallelDump& operator=(const ParallelDump&) = delete;

  // Why this database cannot be dumped this way (it has views or triggers, which only
  // mariadb-dump's single stream carries); empty if it can. Nothing was locked then.
  const std::string& unsupported() const { return unsupported_; }

  // Writes the dump in three phases, each finished before the next starts, so a sink
  // that loads what it gets as it comes loads the database: every table's DROP and
  // CREATE to sinks[0]; the rows to every sink at once, each from its own thread; the
  // deferred indexes, a table at a time per sink. One sink per stream. Returns the rows
  // written per table.
  Result<std::map<std::string, std::uint64_t>> run(const std::vector<DumpSink*>& sinks);

 private:
  ParallelDump() = default;
  Status plan(MysqlClient& control, const ParallelDumpOptions& options);

  std::vector<std::unique_ptr<MysqlClient>> streams_;
  std::vector<TableDump> tables_;
  std::string unsupported_;
  std::uint64_t min_chunk_bytes_ = 0;
};

// CREATE TABLE as SHOW CREATE TABLE writes it, split into the statement without its
// secondary indexes and the ALTER TABLE that adds them back; nothing to split (empty
// ALTER) when the table has no primary key (InnoDB would cluster it on a unique index
// instead), foreign keys (they need their indexes), or a line this does not understand.
struct SplitCreate {
  std::string create;
  std::string add_indexes;  // "ALTER TABLE `t` ADD KEY ..., ADD ...;\n", or empty
};
SplitCreate split_secondary_indexes(const std::string& table, const std::string& create);

}  // namespace wpfleet
