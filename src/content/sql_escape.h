// SQL string literal escaping as mysqldump and mariadb-dump write it.
#pragma once

#include <string>
#include <string_view>

namespace wpfleet::content {

// Appends the value of a literal's body (between the quotes) to `out`: backslash escapes
// \0 \' \" \b \n \r \t \Z \\ and '' are decoded; \% and \_ keep their backslash, as
// MySQL does; any other escaped byte stands for itself.
void sql_unescape(std::string_view body, std::string& out);

// Appends `value` escaped as mysql_real_escape_string does (\0 \n \r \\ \' \" \Z), so a
// rewritten literal looks like the dump tool's own.
void sql_escape(std::string_view value, std::string& out);

}  // namespace wpfleet::content
