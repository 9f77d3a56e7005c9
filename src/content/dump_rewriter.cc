#include "content/dump_rewriter.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "content/sql_escape.h"

namespace wpfleet::content {
namespace {

// A statement head longer than this is no INSERT of ours (a dump's longest, CREATE TABLE,
// is a few KiB); capping it keeps memory bounded whatever the input.
constexpr std::size_t kMaxHead = 64 * 1024;

bool same_name(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool names_contain(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [name](const std::string& n) { return same_name(n, name); });
}

}  // namespace

bool matches_table_pattern(const std::string& pattern, const std::string& table) {
  return ::fnmatch(pattern.c_str(), table.c_str(), 0) == 0;
}

void DumpRewriter::feed(std::string_view chunk, std::string& out) {
  span_start_ = literal_start_ = 0;
  std::size_t pos = 0;
  while (pos < chunk.size()) {
    pos = in_literal() ? scan_literal(chunk, pos, out) : scan_code(chunk, pos, out);
  }
  if (in_literal()) {
    raw_.append(chunk.substr(literal_start_));
  } else {
    out.append(chunk.substr(span_start_));
  }
}

Status DumpRewriter::finish(std::string& out) {
  if (state_ == State::LiteralQuote) end_literal(literal_body({}, 0), out);
  if (in_literal()) {
    out += raw_;
    raw_.clear();
    state_ = State::Code;
    return make_error(
        "the dump ends inside a quoted string, so it looks cut short (its last value was "
        "copied unchanged); check that the dump completed: mariadb-dump ends it with "
        "'-- Dump completed'");
  }
  std::string unmatched;
  for (std::size_t p = 0; p < options_.tables.size(); ++p) {
    if (!pattern_matched_[p]) unmatched += (unmatched.empty() ? "" : ", ") + options_.tables[p];
  }
  if (!unmatched.empty()) {
    std::string seen;
    for (const std::string& table : tables_seen_) seen += (seen.empty() ? "" : ", ") + table;
    return make_error("--tables " + unmatched + " matched no table with rows in the dump (" +
                      (seen.empty() ? std::string("it has none") : "it has " + seen) +
                      "); check the names ('*' matches any run of characters, '?' one)");
  }
  if (!unnamed_table_.empty()) {
    return make_error("the dump does not name the columns of table " + unnamed_table_ +
                      " (its INSERTs list none and no CREATE TABLE of it comes first), so "
                      "--include-columns and --skip-columns cannot choose among them and its "
                      "values were left as they were; dump it with its CREATE TABLE "
                      "statements or with --complete-insert");
  }
  return {};
}

std::vector<ColumnCounts> DumpRewriter::counts() const {
  std::vector<ColumnCounts> list;
  for (const auto& [key, counts] : counts_) list.push_back(counts);
  return list;
}

// Code passes through untouched, so it is only looked at, byte by byte; it is emitted
// as one span when a literal starts or the chunk ends.
std::size_t DumpRewriter::scan_code(std::string_view chunk, std::size_t pos, std::string& out) {
  for (; pos < chunk.size(); ++pos) {
    if (step(chunk[pos])) {
      out.append(chunk.substr(span_start_, pos + 1 - span_start_));
      literal_start_ = pos + 1;
      return pos + 1;
    }
  }
  return pos;
}

// A literal's bytes are only looked at here, quote to quote (memchr): a quote after an
// odd number of backslashes is escaped, which is cheaper to check at the few quotes than
// to stop at every backslash. The body is taken as a view of the chunk when the literal
// ends (see literal_body), and copied only when it spans chunks.
std::size_t DumpRewriter::scan_literal(std::string_view chunk, std::size_t pos, std::string& out) {
  while (pos < chunk.size()) {
    if (state_ == State::LiteralQuote) {
      if (chunk[pos] != '\'') {
        end_literal(literal_body(chunk, pos), out);
        span_start_ = pos;
        return pos;
      }
      ++pos;  // '' stands for a quote inside the literal
      state_ = State::Literal;
      continue;
    }
    const void* quote = std::memchr(chunk.data() + pos, '\'', chunk.size() - pos);
    if (!quote) return chunk.size();
    pos = static_cast<std::size_t>(static_cast<const char*>(quote) - chunk.data());
    if (!escaped_by_backslashes(chunk, pos)) state_ = State::LiteralQuote;
    ++pos;
  }
  return pos;
}

// Whether chunk[pos] follows an odd number of the literal's backslashes, which may
// continue in raw_ from earlier chunks.
bool DumpRewriter::escaped_by_backslashes(std::string_view chunk, std::size_t pos) const {
  std::size_t backslashes = 0;
  while (pos > literal_start_ && chunk[pos - 1] == '\\') {
    ++backslashes;
    --pos;
  }
  if (pos == literal_start_) {
    for (auto it = raw_.rbegin(); it != raw_.rend() && *it == '\\'; ++it) ++backslashes;
  }
  return backslashes % 2 == 1;
}

// The body of a literal whose closing quote is chunk[pos - 1], or the last byte of the
// previous chunk when pos is 0.
std::string_view DumpRewriter::literal_body(std::string_view chunk, std::size_t pos) {
  if (pos == 0) {
    raw_.pop_back();
    return raw_;
  }
  const std::string_view here = chunk.substr(literal_start_, pos - 1 - literal_start_);
  if (raw_.empty()) return here;
  raw_.append(here);
  return raw_;
}

// Advances the state outside literals by one byte; true when that byte opens a literal.
bool DumpRewriter::step(char c) {
  switch (state_) {
    case State::Code:
      return code_byte(c);
    case State::AfterDash:
      if (c == '-') {
        state_ = State::AfterDashDash;
        return false;
      }
      state_ = State::Code;
      return code_byte(c);
    case State::AfterDashDash:  // "--" starts a comment only before whitespace
      if (static_cast<unsigned char>(c) > ' ') {
        state_ = State::Code;
        return code_byte(c);
      }
      state_ = c == '\n' ? State::Code : State::LineComment;
      return false;
    case State::AfterSlash:
      if (c == '*') {
        state_ = State::CommentOpened;
        return false;
      }
      state_ = State::Code;
      return code_byte(c);
    case State::CommentOpened:
    case State::CommentOpenedM:
      if (c == '!') {
        state_ = State::Code;
      } else if (c == 'M' && state_ == State::CommentOpened) {
        state_ = State::CommentOpenedM;
      } else {
        state_ = State::BlockComment;
        return step(c);
      }
      return false;
    case State::LineComment:
      if (c == '\n') state_ = State::Code;
      return false;
    case State::BlockComment:
      if (c == '*') state_ = State::BlockCommentStar;
      return false;
    case State::BlockCommentStar:
      if (c == '/') state_ = State::Code;
      if (c != '*' && c != '/') state_ = State::BlockComment;
      return false;
    case State::Backtick:
      if (!in_rows_ && head_.size() < kMaxHead) head_ += c;
      if (c == '`') state_ = State::Code;
      return false;
    case State::DoubleQuoted:
      if (c == '\\') state_ = State::DoubleQuotedEscape;
      if (c == '"') state_ = State::Code;
      return false;
    case State::DoubleQuotedEscape:
      state_ = State::DoubleQuoted;
      return false;
    default:  // literal states are handled by scan_literal
      return false;
  }
}

bool DumpRewriter::code_byte(char c) {
  switch (c) {
    case '\'':
      literal_column_ = in_rows_ && depth_ >= 1 ? column_ : -1;
      state_ = State::Literal;
      return true;
    case '`':
      state_ = State::Backtick;
      break;
    case '"':
      state_ = State::DoubleQuoted;
      break;
    case '-':
      state_ = State::AfterDash;
      break;
    case '/':
      state_ = State::AfterSlash;
      break;
    case '#':
      state_ = State::LineComment;
      break;
    case '(':
      open_paren();
      break;
    case ')':
      if (depth_ > 0) --depth_;
      break;
    case ',':
      if (in_rows_ && depth_ == 1) ++column_;
      break;
    case ';':
      if (depth_ == 0) {
        end_statement();
        return false;
      }
      break;
    default:
      break;
  }
  if (!in_rows_ && head_.size() < kMaxHead) head_ += c;
  return false;
}

// At depth 0, '(' opens a row when the statement is past VALUES.
void DumpRewriter::open_paren() {
  if (depth_++ != 0) return;
  if (in_rows_) {
    column_ = 0;
  } else if (ends_with_values_keyword(head_)) {
    if (auto target = parse_insert_head(head_)) start_rows(std::move(*target));
  }
}

// The statement's rows go into target.table: where their values are in scope.
void DumpRewriter::start_rows(TableColumns target) {
  in_rows_ = true;
  table_ = std::move(target.table);
  columns_ = std::move(target.columns);
  if (columns_.empty()) {
    if (auto created = table_columns_.find(table_); created != table_columns_.end()) {
      columns_ = created->second;
    }
  }
  column_ = 0;
  table_in_scope_ = options_.tables.empty();
  for (std::size_t p = 0; p < options_.tables.size(); ++p) {
    if (matches_table_pattern(options_.tables[p], table_))
      table_in_scope_ = pattern_matched_[p] = true;
  }
  tables_seen_.insert(table_);
  column_in_scope_.clear();
  for (const std::string& column : columns_) {
    column_in_scope_.push_back(
        (options_.include_columns.empty() || names_contain(options_.include_columns, column)) &&
        !names_contain(options_.skip_columns, column));
  }
  row_entries_.clear();
}

void DumpRewriter::end_statement() {
  if (!in_rows_) {
    if (auto created = parse_create_table(head_)) {
      table_columns_[created->table] = std::move(created->columns);
    }
  }
  head_.clear();
  in_rows_ = false;
  table_.clear();
  columns_.clear();
  depth_ = 0;
}

bool DumpRewriter::literal_in_scope() {
  if (literal_column_ < 0) return !options_.names_tables_or_columns();
  if (!table_in_scope_) return false;
  if (options_.include_columns.empty() && options_.skip_columns.empty()) return true;
  if (static_cast<std::size_t>(literal_column_) < column_in_scope_.size()) {
    return column_in_scope_[literal_column_];
  }
  if (unnamed_table_.empty()) unnamed_table_ = table_;
  return false;
}

void DumpRewriter::end_literal(std::string_view body, std::string& out) {
  state_ = State::Code;
  const bool in_scope = literal_in_scope();
  if (!in_scope || !replacer_.may_occur_in(body)) {
    out.append(body);
    if (in_scope) record({});
  } else {
    value_.clear();
    marks_.clear();
    sql_unescape(body, value_, &marks_);
    rewritten_.clear();
    const ValueCounts counts = value_rewriter_.rewrite(value_, rewritten_, &edits_);
    if (counts.replacements > 0) {
      write_edited(body, out);
    } else {
      out.append(body);
    }
    record(counts);
  }
  out += '\'';
  raw_.clear();
}

// The rewritten literal: the body's own bytes where the value did not change (they keep
// the dump's escaping and need no escaping again: most of a post), each edit's new text
// escaped.
void DumpRewriter::write_edited(std::string_view body, std::string& out) const {
  std::size_t mark = 0;
  // Where value[v] is in the body: from the last escape ending at or before it, they are
  // in step (edits come in order, so the marks are walked once).
  const auto body_at = [&](std::size_t v) {
    while (mark < marks_.size() && marks_[mark].value <= v) ++mark;
    return mark == 0 ? v : marks_[mark - 1].body + (v - marks_[mark - 1].value);
  };
  std::size_t copied = 0;
  for (const Edit& edit : edits_) {
    const std::size_t begin = body_at(edit.from_begin);
    out.append(body.substr(copied, begin - copied));
    sql_escape(std::string_view(rewritten_).substr(edit.to_begin, edit.to_end - edit.to_begin),
               out);
    copied = body_at(edit.from_end);
  }
  out.append(body.substr(copied));
}

void DumpRewriter::record(const ValueCounts& counts) {
  const bool listed = options_.every_column && literal_column_ >= 0;
  if (!listed && counts.replacements == 0 && counts.malformed == 0 && counts.left_alone == 0 &&
      counts.keys_kept == 0) {
    return;
  }
  ColumnCounts& entry = entry_for_literal();
  entry.replacements += counts.replacements;
  entry.malformed += counts.malformed;
  entry.left_alone += counts.left_alone;
  entry.keys_kept += counts.keys_kept;
}

// The counts of the literal's column; row_entries_ spares a map lookup per value.
ColumnCounts& DumpRewriter::entry_for_literal() {
  const bool in_row = literal_column_ >= 0;
  const auto column = static_cast<std::size_t>(literal_column_);
  if (in_row && column < row_entries_.size() && row_entries_[column]) return *row_entries_[column];
  auto [it, added] = counts_.try_emplace({in_row ? table_ : std::string(), literal_column_});
  ColumnCounts& entry = it->second;
  if (added && in_row) {
    entry.table = table_;
    entry.column = column < columns_.size() ? columns_[column] : std::to_string(column + 1);
  }
  if (in_row) {
    if (column >= row_entries_.size()) row_entries_.resize(column + 1, nullptr);
    row_entries_[column] = &entry;
  }
  return entry;
}

}  // namespace wpfleet::content
