// The head of an INSERT statement as mysqldump writes it, up to VALUES, which names the
// table and (with --complete-insert) the columns that the rows' values go to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

struct InsertTarget {
  std::string table;
  std::vector<std::string> columns;  // empty when the statement lists none
};

// Whether `head` (a statement's text so far, comments and literals left out) ends with
// the keyword VALUES, so that the next '(' opens the first row.
bool ends_with_values_keyword(std::string_view head);

// Parses `INSERT|REPLACE [modifiers] INTO `table` [(`col`, ...)] VALUES`; nothing for
// any other statement.
std::optional<InsertTarget> parse_insert_head(std::string_view head);

}  // namespace wpfleet::content
