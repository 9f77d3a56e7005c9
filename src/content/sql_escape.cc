#include "content/sql_escape.h"

#include "content/byte_search.h"

namespace wpfleet::content {
namespace {

char unescaped(char c) {
  switch (c) {
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'Z':
      return '\x1a';
    default:
      return c;
  }
}

// The escape letter of a byte mysql_real_escape_string() escapes (\n -> 'n').
char escape_letter(char c) {
  switch (c) {
    case '\0':
      return '0';
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\x1a':
      return 'Z';
    default:
      return c;  // \ ' "
  }
}

}  // namespace

// Both directions copy a run of plain bytes at a time, finding the escapes of a whole
// 16-byte block at once: literals are long, and escapes in prose (quotes, newlines) come
// every few dozen bytes.
void sql_unescape(std::string_view body, std::string& out, std::vector<EscapeMark>* marks) {
  const std::size_t start = out.size();
  out.reserve(start + body.size());
  std::size_t copied = 0;
  const auto mark = [&] {
    if (marks) marks->push_back({copied, out.size() - start});
  };
  for_each_of<'\\', '\''>(body, [&](std::size_t special) {
    out.append(body.substr(copied, special - copied));
    if (special + 1 >= body.size()) {  // a lone byte at the very end
      copied = special;
      return body.size();
    }
    const char next = body[special + 1];
    if (body[special] == '\'') {  // '' stands for one quote
      out += '\'';
      copied = special + (next == '\'' ? 2 : 1);
      mark();
      return copied;
    }
    if (next == '%' || next == '_') out += '\\';
    out += unescaped(next);
    copied = special + 2;
    mark();
    return copied;
  });
  out.append(body.substr(copied));
}

void sql_escape(std::string_view value, std::string& out) {
  out.reserve(out.size() + value.size() + value.size() / 8);
  std::size_t copied = 0;
  for_each_of<'\0', '\n', '\r', '\\', '\'', '"', '\x1a'>(value, [&](std::size_t special) {
    out.append(value.substr(copied, special - copied));
    const char escape[2] = {'\\', escape_letter(value[special])};
    out.append(escape, 2);
    copied = special + 1;
    return copied;
  });
  out.append(value.substr(copied));
}

}  // namespace wpfleet::content
