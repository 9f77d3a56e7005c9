// SQL string literal escaping as mysqldump and mariadb-dump write it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

// Where the body and its value are in step again after an escape: body[..., body) is
// value[..., value), and from there on they are the same bytes until the next escape.
struct EscapeMark {
  std::size_t body, value;
};

// Appends the value of a literal's body (between the quotes) to `out`: backslash escapes
// \0 \' \" \b \n \r \t \Z \\ and '' are decoded; \% and \_ keep their backslash, as
// MySQL does; any other escaped byte stands for itself. With `marks`, appends a mark
// after each escape (positions from the start of the body and of the value).
void sql_unescape(std::string_view body, std::string& out,
                  std::vector<EscapeMark>* marks = nullptr);

// Appends `value` escaped as mysql_real_escape_string does (\0 \n \r \\ \' \" \Z), so a
// rewritten literal looks like the dump tool's own.
void sql_escape(std::string_view value, std::string& out);

}  // namespace wpfleet::content
