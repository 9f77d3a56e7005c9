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

// Both directions copy a run of plain bytes at a time: literals are long and escapes
// comparatively rare.
void sql_unescape(std::string_view body, std::string& out) {
  out.reserve(out.size() + body.size());
  std::size_t pos = 0;
  while (true) {
    const std::size_t special = find_any_of<'\\', '\''>(body, pos);
    out.append(body.substr(pos, special - pos));
    if (special + 1 >= body.size()) {  // the end, or a lone byte at the very end
      out.append(body.substr(special));
      return;
    }
    const char next = body[special + 1];
    if (body[special] == '\'') {  // '' stands for one quote
      out += '\'';
      pos = special + (next == '\'' ? 2 : 1);
      continue;
    }
    if (next == '%' || next == '_') out += '\\';
    out += unescaped(next);
    pos = special + 2;
  }
}

void sql_escape(std::string_view value, std::string& out) {
  out.reserve(out.size() + value.size() + value.size() / 8);
  std::size_t pos = 0;
  while (true) {
    const std::size_t special = find_any_of<'\0', '\n', '\r', '\\', '\'', '"', '\x1a'>(value, pos);
    out.append(value.substr(pos, special - pos));
    if (special == value.size()) return;
    out += '\\';
    out += escape_letter(value[special]);
    pos = special + 1;
  }
}

}  // namespace wpfleet::content
