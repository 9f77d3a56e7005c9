#include "transfer/row_counter.h"

namespace wpfleet::transfer {

namespace {
constexpr std::size_t kHeadLimit = 256;
constexpr std::string_view kInsert = "INSERT INTO `";
}  // namespace

void RowCounter::start_statement() {
  state_ = State::StatementStart;
  head_.clear();
  in_insert_ = false;
  seen_paren_ = false;
  depth_ = 0;
}

void RowCounter::code_char(char c) {
  switch (c) {
    case '\'':
      state_ = State::Literal;
      return;
    case '`':
      if (!seen_paren_ && head_.size() < kHeadLimit) head_ += c;
      state_ = State::Identifier;
      return;
    case '(':
      if (depth_++ == 0) {
        if (!seen_paren_) {
          seen_paren_ = true;
          if (head_.rfind(kInsert, 0) == 0) {
            const auto end = head_.find('`', kInsert.size());
            table_ = head_.substr(kInsert.size(), end - kInsert.size());
            in_insert_ = true;
          }
        }
        if (in_insert_) ++rows_[table_];
      }
      return;
    case ')':
      --depth_;
      return;
    case ';':
      if (depth_ == 0) start_statement();
      return;
    default:
      if (!seen_paren_ && head_.size() < kHeadLimit) head_ += c;
  }
}

void RowCounter::feed(std::string_view chunk) {
  for (char c : chunk) {
    switch (state_) {
      case State::StatementStart:
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') break;
        if (c == '-') {  // "-- " comment lines between statements
          state_ = State::LineComment;
          break;
        }
        state_ = State::Code;
        code_char(c);
        break;
      case State::LineComment:
        if (c == '\n') state_ = State::StatementStart;
        break;
      case State::Code:
        code_char(c);
        break;
      case State::Literal:
        if (c == '\\') state_ = State::LiteralEscape;
        else if (c == '\'') state_ = State::Code;  // '' re-enters Literal at the next quote
        break;
      case State::LiteralEscape:
        state_ = State::Literal;
        break;
      case State::Identifier:
        if (!seen_paren_ && head_.size() < kHeadLimit) head_ += c;
        if (c == '`') state_ = State::Code;
        break;
    }
  }
}

}  // namespace wpfleet::transfer
