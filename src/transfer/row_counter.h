// Counts the rows of each table in a SQL dump as it streams past, from the INSERT
// statements themselves: the counts that import verifies against are exactly what the
// dump holds, however busy the site was while it was taken.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace wpfleet::transfer {

class RowCounter {
 public:
  void feed(std::string_view chunk);
  const std::map<std::string, std::uint64_t>& rows() const { return rows_; }

 private:
  enum class State { StatementStart, LineComment, Code, Literal, LiteralEscape, Identifier };
  void start_statement();
  void code_char(char c);

  State state_ = State::StatementStart;
  std::string head_;      // the statement's text before its first '(' (bounded)
  bool in_insert_ = false;
  bool seen_paren_ = false;
  int depth_ = 0;
  std::string table_;
  std::map<std::string, std::uint64_t> rows_;
};

}  // namespace wpfleet::transfer
