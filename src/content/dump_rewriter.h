// Search-replace over a SQL dump as mysqldump and mariadb-dump write it, as a stream:
// memory holds one chunk and the longest string literal, never the whole dump.
//
// Only the bodies of '...' string literals are rewritten (see ValueRewriter for what
// happens inside one). Everything else — SQL, identifiers, comments, "..." strings —
// and every literal in which nothing is replaced passes through byte for byte. A
// rewritten literal is escaped as mysql_real_escape_string() does, like the dump tool's own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "content/replacer.h"
#include "content/value_rewriter.h"
#include "util/result.h"

namespace wpfleet::content {

struct ColumnCounts {
  std::string table;   // empty for literals outside INSERT rows
  std::string column;  // from the INSERT's column list, else the 1-based position
  std::uint64_t replacements = 0;
  std::uint64_t malformed = 0;  // serialized values left alone because they do not parse
  std::uint64_t left_alone = 0;  // occurrences that did not stand as a whole host (url mode)
};

class DumpRewriter {
 public:
  explicit DumpRewriter(const Replacer& replacer)
      : replacer_(replacer), value_rewriter_(replacer) {}

  // Rewrites the next piece of the dump, appending what can be written so far to `out`.
  // Chunks may split the dump anywhere; the output does not depend on where.
  void feed(std::string_view chunk, std::string& out);

  // At the end of the dump: an error if it ends inside a string literal (a dump cut
  // short), whose remains are then copied unchanged to `out`.
  Status finish(std::string& out);

  // Per table and column, those where something was replaced, left alone or found malformed.
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
  void end_literal(std::string_view body, std::string& out);
  void record(const ValueCounts& counts);

  const Replacer& replacer_;
  ValueRewriter value_rewriter_;
  State state_ = State::Code;

  // Where the statement is: its text so far (until VALUES), the table and columns it
  // inserts into, the parenthesis depth and which value of the row comes next.
  std::string head_;
  bool in_rows_ = false;
  std::string table_;
  std::vector<std::string> columns_;
  int depth_ = 0;
  int column_ = 0;

  std::string raw_;                // a literal's body from earlier chunks, still escaped
  int literal_column_ = -1;        // its column, -1 outside INSERT rows
  std::string value_, rewritten_;  // scratch, reused across literals

  // Within one chunk: where the code not yet emitted starts, and where the current
  // literal's body starts.
  std::size_t span_start_ = 0, literal_start_ = 0;

  std::map<std::pair<std::string, int>, ColumnCounts> counts_;
};

}  // namespace wpfleet::content
