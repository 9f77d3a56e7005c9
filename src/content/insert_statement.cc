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

std::optional<InsertTarget> parse_insert_head(std::string_view head) {
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

  InsertTarget target;
  if (t = tokens.next(); !is_name(t)) return std::nullopt;
  target.table = t.text;
  t = tokens.next();
  if (is_punctuation(t, '.')) {  // `database`.`table`
    if (t = tokens.next(); !is_name(t)) return std::nullopt;
    target.table = t.text;
    t = tokens.next();
  }
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
  return target;
}

}  // namespace wpfleet::content
