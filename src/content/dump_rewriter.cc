#include "content/dump_rewriter.h"

#include <cstring>

#include "content/insert_statement.h"
#include "content/sql_escape.h"

namespace wpfleet::content {
namespace {

// A statement head longer than this is no INSERT of ours (a dump's longest, CREATE TABLE,
// is a few KiB); capping it keeps memory bounded whatever the input.
constexpr std::size_t kMaxHead = 64 * 1024;

}  // namespace

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
  if (!in_literal()) return {};
  out += raw_;
  raw_.clear();
  state_ = State::Code;
  return make_error(
      "the dump ends inside a quoted string, so it looks cut short (its last value was "
      "copied unchanged); check that the dump completed: mariadb-dump ends it with "
      "'-- Dump completed'");
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
    if (auto target = parse_insert_head(head_)) {
      in_rows_ = true;
      table_ = std::move(target->table);
      columns_ = std::move(target->columns);
      column_ = 0;
    }
  }
}

void DumpRewriter::end_statement() {
  head_.clear();
  in_rows_ = false;
  table_.clear();
  columns_.clear();
  depth_ = 0;
}

void DumpRewriter::end_literal(std::string_view body, std::string& out) {
  state_ = State::Code;
  if (!replacer_.may_occur_in(body)) {
    out.append(body);
  } else {
    value_.clear();
    sql_unescape(body, value_);
    rewritten_.clear();
    const ValueCounts counts = value_rewriter_.rewrite(value_, rewritten_);
    if (counts.replacements > 0) {
      sql_escape(rewritten_, out);
    } else {
      out.append(body);
    }
    record(counts);
  }
  out += '\'';
  raw_.clear();
}

void DumpRewriter::record(const ValueCounts& counts) {
  if (counts.replacements == 0 && counts.malformed == 0 && counts.left_alone == 0) return;
  const bool in_row = literal_column_ >= 0;
  auto [it, added] = counts_.try_emplace({in_row ? table_ : std::string(), literal_column_});
  ColumnCounts& entry = it->second;
  if (added && in_row) {
    entry.table = table_;
    entry.column = static_cast<std::size_t>(literal_column_) < columns_.size()
                       ? columns_[literal_column_]
                       : std::to_string(literal_column_ + 1);
  }
  entry.replacements += counts.replacements;
  entry.malformed += counts.malformed;
  entry.left_alone += counts.left_alone;
}

}  // namespace wpfleet::content
