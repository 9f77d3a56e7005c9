// Search-replace over a SQL dump as mysqldump and mariadb-dump write it, as a stream:
// memory holds one chunk and the longest string literal, never the whole dump.
//
// Only the bodies of '...' string literals are rewritten (see ValueRewriter for what
// happens inside one), and of those only the ones DumpOptions leaves in scope. Everything
// else — SQL, identifiers, comments, "..." strings — and every literal in which nothing is
// replaced passes through byte for byte. In a rewritten literal, what was replaced is
// escaped as mysql_real_escape_string() does, like the dump tool's own, and the rest keeps
// its bytes (all of a serialized or JSON value is escaped again, since its lengths or
// escapes may have changed anywhere).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/insert_statement.h"
#include "content/replacer.h"
#include "content/sql_escape.h"
#include "content/value_rewriter.h"
#include "util/result.h"

namespace wpfleet::content {

// Which string literals of a dump are rewritten, as WP-CLI's search-replace chooses
// columns, and what DumpRewriter::counts() lists.
struct DumpOptions {
  // Tables whose rows are rewritten: names, or patterns (matches_table_pattern:
  // `wp_*options`). Empty: every table.
  std::vector<std::string> tables;
  // Columns (names in any case, as MariaDB compares them): only these, if any are given,
  // and never those skipped.
  std::vector<std::string> include_columns;
  std::vector<std::string> skip_columns;
  // counts() lists every column in scope that holds a string value, with nothing found
  // too; otherwise only those where something was replaced, left alone, kept or malformed.
  bool every_column = false;

  // Literals outside INSERT rows (a CREATE TABLE's defaults and comments) belong to no
  // table and no column: they are rewritten unless tables or columns were chosen.
  bool names_tables_or_columns() const { return !tables.empty() || !include_columns.empty(); }
};

// Whether `table` matches a --tables pattern: a name, or a shell pattern ('*': any run
// of characters, '?': one), as fnmatch(3) reads it.
bool matches_table_pattern(const std::string& pattern, const std::string& table);

struct ColumnCounts {
  std::string table;  // empty for literals outside INSERT rows
  // From the INSERT's column list, else the dump's CREATE TABLE of the table, else the
  // 1-based position.
  std::string column;
  std::uint64_t replacements = 0;
  std::uint64_t malformed = 0;   // serialized values left alone because they do not parse
  std::uint64_t left_alone = 0;  // occurrences that did not stand as a whole host (url mode)
  std::uint64_t keys_kept = 0;   // serialized array keys whose new name was taken
};

class DumpRewriter {
 public:
  explicit DumpRewriter(const Replacer& replacer, DumpOptions options = {})
      : replacer_(replacer),
        value_rewriter_(replacer),
        options_(std::move(options)),
        pattern_matched_(options_.tables.size(), false) {}

  // Rewrites the next piece of the dump, appending what can be written so far to `out`.
  // Chunks may split the dump anywhere; the output does not depend on where.
  void feed(std::string_view chunk, std::string& out);

  // At the end of the dump: an error if it ends inside a string literal (a dump cut
  // short), whose remains are then copied unchanged to `out`; if a table pattern matched
  // no table; or if columns were chosen by name and the dump did not name a table's
  // columns (its values were left as they were).
  Status finish(std::string& out);

  // Per table (by name) and column (by position): see DumpOptions::every_column.
  std::vector<ColumnCounts> counts() const;

 private:
  enum class State : std::uint8_t {
    Code,
    AfterDash,  // '-': maybe a "-- " comment
    AfterDashDash,
    AfterSlash,     // '/': maybe a comment
    CommentOpened,  // "/*": a comment, unless "/*!" or "/*M!" (code for the server)
    CommentOpenedM,
    LineComment,
    BlockComment,
    BlockCommentStar,
    Backtick,      // `identifier`
    DoubleQuoted,  // "string", passed through as it is
    DoubleQuotedEscape,
    Literal,       // 'string'
    LiteralQuote,  // after a quote: the end, unless another quote follows ('')
  };

  bool in_literal() const { return state_ >= State::Literal; }
  std::size_t scan_code(std::string_view chunk, std::size_t pos, std::string& out);
  std::size_t scan_literal(std::string_view chunk, std::size_t pos, std::string& out);
  bool escaped_by_backslashes(std::string_view chunk, std::size_t pos) const;
  bool step(char c);
  bool code_byte(char c);
  void open_paren();
  void end_statement();
  std::string_view literal_body(std::string_view chunk, std::size_t pos);
  void start_rows(TableColumns target);
  bool literal_in_scope();
  void end_literal(std::string_view body, std::string& out);
  void write_edited(std::string_view body, std::string& out) const;
  void record(const ValueCounts& counts);
  ColumnCounts& entry_for_literal();

  const Replacer& replacer_;
  ValueRewriter value_rewriter_;
  const DumpOptions options_;
  State state_ = State::Code;

  // Where the statement is: its text so far (until VALUES), the table and columns it
  // inserts into, the parenthesis depth and which value of the row comes next.
  std::string head_;
  bool in_rows_ = false;
  std::string table_;
  std::vector<std::string> columns_;
  int depth_ = 0;
  int column_ = 0;
  // The rows' scope: their table's, and each column's when columns are chosen by name.
  bool table_in_scope_ = true;
  std::vector<bool> column_in_scope_;
  std::vector<ColumnCounts*> row_entries_;  // per column, into counts_, once made

  // Column names from the dump's CREATE TABLE statements, for INSERTs without a list.
  std::map<std::string, std::vector<std::string>> table_columns_;
  std::string unnamed_table_;          // a table in scope whose columns the dump did not name
  std::vector<bool> pattern_matched_;  // per options_.tables pattern
  std::set<std::string> tables_seen_;  // those with rows

  std::string raw_;                // a literal's body from earlier chunks, still escaped
  int literal_column_ = -1;        // its column, -1 outside INSERT rows
  std::string value_, rewritten_;  // scratch, reused across literals
  std::vector<EscapeMark> marks_;  // where value_ and the literal's body are in step
  std::vector<Edit> edits_;        // what changed from value_ to rewritten_

  // Within one chunk: where the code not yet emitted starts, and where the current
  // literal's body starts.
  std::size_t span_start_ = 0, literal_start_ = 0;

  std::map<std::pair<std::string, int>, ColumnCounts> counts_;
};

}  // namespace wpfleet::content
