#include "content/sql_escape.h"

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

const char* escape_for(char c) {
  switch (c) {
    case '\0':
      return "\\0";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\\':
      return "\\\\";
    case '\'':
      return "\\'";
    case '"':
      return "\\\"";
    case '\x1a':
      return "\\Z";
    default:
      return nullptr;
  }
}

}  // namespace

std::string sql_unescape(std::string_view body) {
  std::string value;
  value.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      const char next = body[++i];
      if (next == '%' || next == '_') value += '\\';
      value += unescaped(next);
    } else if (c == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
      value += '\'';
      ++i;
    } else {
      value += c;
    }
  }
  return value;
}

void sql_escape(std::string_view value, std::string& out) {
  out.reserve(out.size() + value.size() + value.size() / 8);
  for (char c : value) {
    if (const char* escape = escape_for(c)) {
      out += escape;
    } else {
      out += c;
    }
  }
}

}  // namespace wpfleet::content
