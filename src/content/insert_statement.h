// The statements of a dump that name a table's columns: the head of an INSERT as
// mysqldump writes it, up to VALUES, which names the table and (with --complete-insert)
// the columns that the rows' values go to; and CREATE TABLE, which names them all.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wpfleet::content {

struct TableColumns {
  std::string table;
  std::vector<std::string> columns;  // empty when the statement lists none
};

// Whether `head` (a statement's text so far, comments and literals left out) ends with
// the keyword VALUES, so that the next '(' opens the first row.
bool ends_with_values_keyword(std::string_view head);

// Parses `INSERT|REPLACE [modifiers] INTO `table` [(`col`, ...)] VALUES`; nothing for
// any other statement.
std::optional<TableColumns> parse_insert_head(std::string_view head);

// Parses `CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] `table` (definitions)
// ...` (a statement's text, its literals left out) for the names of its columns, in
// order; nothing for any other statement.
std::optional<TableColumns> parse_create_table(std::string_view statement);

}  // namespace wpfleet::content
