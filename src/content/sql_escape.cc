#include "content/sql_escape.h"

#include <cstring>

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

// Both directions copy a run of plain bytes at a time into room made beforehand:
// literals are long and escapes comparatively rare.
void sql_unescape(std::string_view body, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + body.size());  // a value is never longer than its escaped body
  char* to = out.data() + start;
  std::size_t pos = 0;
  while (true) {
    const std::size_t special = find_any_of<'\\', '\''>(body, pos);
    std::memcpy(to, body.data() + pos, special - pos);
    to += special - pos;
    if (special + 1 >= body.size()) {  // the end, or a lone byte at the very end
      std::memcpy(to, body.data() + special, body.size() - special);
      to += body.size() - special;
      break;
    }
    const char next = body[special + 1];
    pos = special + 2;
    if (body[special] == '\'') {  // '' stands for one quote
      *to++ = '\'';
      if (next != '\'') --pos;
      continue;
    }
    if (next == '%' || next == '_') *to++ = '\\';
    *to++ = unescaped(next);
  }
  out.resize(static_cast<std::size_t>(to - out.data()));
}

void sql_escape(std::string_view value, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + 2 * value.size());  // room for escaping every byte
  char* to = out.data() + start;
  std::size_t pos = 0;
  while (true) {
    const std::size_t special = find_any_of<'\0', '\n', '\r', '\\', '\'', '"', '\x1a'>(value, pos);
    std::memcpy(to, value.data() + pos, special - pos);
    to += special - pos;
    if (special == value.size()) break;
    *to++ = '\\';
    *to++ = escape_letter(value[special]);
    pos = special + 1;
  }
  out.resize(static_cast<std::size_t>(to - out.data()));
}

}  // namespace wpfleet::content
