#include "content/insert_statement.h"

#include <cctype>

namespace wpfleet::content {
namespace {

bool is_word_byte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

bool same_word(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

struct Token {
  enum class Kind { End, Word, Identifier, Punctuation };
  Kind kind = Kind::End;
  std::string text;  // a backquoted identifier without its quotes
};

class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}

  Token next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ >= text_.size()) return {};
    if (text_[pos_] == '`') return quoted();
    if (is_word_byte(text_[pos_])) {
      const std::size_t start = pos_;
      while (pos_ < text_.size() && is_word_byte(text_[pos_])) ++pos_;
      return {Token::Kind::Word, std::string(text_.substr(start, pos_ - start))};
    }
    return {Token::Kind::Punctuation, std::string(1, text_[pos_++])};
  }

 private:
  // `name`, with `` standing for one backquote.
  Token quoted() {
    std::string name;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] != '`') {
        name += text_[pos_];
      } else if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '`') {
        name += '`';
        ++pos_;
      } else {
        ++pos_;
        return {Token::Kind::Identifier, std::move(name)};
      }
    }
    return {};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

bool is_name(const Token& t) {
  return t.kind == Token::Kind::Identifier || t.kind == Token::Kind::Word;
}
bool is_punctuation(const Token& t, char c) {
  return t.kind == Token::Kind::Punctuation && t.text[0] == c;
}
bool is_word(const Token& t, std::string_view word) {
  return t.kind == Token::Kind::Word && same_word(t.text, word);
}

// `table` or `database`.`table`, starting at `t`, its first name; leaves in `t` the
// token after it.
std::string table_name(Tokens& tokens, Token& t) {
  std::string name = t.text;
  t = tokens.next();
  if (is_punctuation(t, '.')) {
    if (t = tokens.next(); !is_name(t)) return {};
    name = t.text;
    t = tokens.next();
  }
  return name;
}

// Whether a definition in CREATE TABLE's list that starts with the word `t` is an index
// or a constraint rather than a column.
bool starts_index_or_constraint(const Token& t) {
  if (t.kind != Token::Kind::Word) return false;
  for (std::string_view w : {"PRIMARY", "KEY", "INDEX", "UNIQUE", "FULLTEXT", "SPATIAL",
                             "CONSTRAINT", "FOREIGN", "CHECK", "PERIOD"}) {
    if (same_word(t.text, w)) return true;
  }
  return false;
}

}  // namespace

bool ends_with_values_keyword(std::string_view head) {
  while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back())))
    head.remove_suffix(1);
  constexpr std::string_view kValues = "VALUES";
  if (head.size() < kValues.size() ||
      !same_word(head.substr(head.size() - kValues.size()), kValues)) {
    return false;
  }
  return head.size() == kValues.size() || !is_word_byte(head[head.size() - kValues.size() - 1]);
}

std::optional<TableColumns> parse_insert_head(std::string_view head) {
  Tokens tokens(head);
  Token t = tokens.next();
  if (t.kind != Token::Kind::Word ||
      !(same_word(t.text, "INSERT") || same_word(t.text, "REPLACE"))) {
    return std::nullopt;
  }
  do {  // modifiers: LOW_PRIORITY, DELAYED, HIGH_PRIORITY, IGNORE
    t = tokens.next();
  } while (t.kind == Token::Kind::Word && !same_word(t.text, "INTO"));
  if (t.kind != Token::Kind::Word) return std::nullopt;

  TableColumns target;
  if (t = tokens.next(); !is_name(t)) return std::nullopt;
  target.table = table_name(tokens, t);
  if (is_punctuation(t, '(')) {
    do {
      if (t = tokens.next(); !is_name(t)) return std::nullopt;
      target.columns.push_back(t.text);
      t = tokens.next();
    } while (is_punctuation(t, ','));
    if (!is_punctuation(t, ')')) return std::nullopt;
    t = tokens.next();
  }
  if (t.kind != Token::Kind::Word || !same_word(t.text, "VALUES")) return std::nullopt;
  if (tokens.next().kind != Token::Kind::End) return std::nullopt;
  if (target.table.empty()) return std::nullopt;
  return target;
}

std::optional<TableColumns> parse_create_table(std::string_view statement) {
  Tokens tokens(statement);
  Token t = tokens.next();
  if (!is_word(t, "CREATE")) return std::nullopt;
  t = tokens.next();
  if (is_word(t, "OR")) {
    if (!is_word(tokens.next(), "REPLACE")) return std::nullopt;
    t = tokens.next();
  }
  if (is_word(t, "TEMPORARY")) t = tokens.next();
  if (!is_word(t, "TABLE")) return std::nullopt;
  t = tokens.next();
  if (is_word(t, "IF")) {
    if (!is_word(tokens.next(), "NOT") || !is_word(tokens.next(), "EXISTS")) return std::nullopt;
    t = tokens.next();
  }
  if (!is_name(t)) return std::nullopt;
  TableColumns target;
  target.table = table_name(tokens, t);
  if (target.table.empty() || !is_punctuation(t, '(')) return std::nullopt;
  // Each definition: a column's name first, or an index or constraint; then anything up
  // to the ',' or ')' at this depth.
  while (true) {
    t = tokens.next();
    if (!is_name(t)) return std::nullopt;
    if (!starts_index_or_constraint(t)) target.columns.push_back(t.text);
    for (int depth = 0;;) {
      t = tokens.next();
      if (t.kind == Token::Kind::End) return std::nullopt;
      if (is_punctuation(t, '(')) ++depth;
      if (is_punctuation(t, ')') && depth-- == 0) return target;
      if (is_punctuation(t, ',') && depth == 0) break;
    }
  }
}

}  // namespace wpfleet::content
