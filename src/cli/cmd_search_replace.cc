// search-replace: rewrite URLs in a SQL dump without breaking PHP-serialized data.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "content/rewrite_dump.h"

namespace wpfleet::cli {

namespace {

struct SearchReplaceOptions {
  std::vector<std::string> args;  // FROM TO [FILE]; with --replace, FROM TO may be left out
  std::vector<std::string> replace;
  bool dry_run = false;
};

struct Request {
  std::vector<content::Replacement> pairs;
  std::string file;  // empty: stdin
};

Result<Request> parse_request(const SearchReplaceOptions& o) {
  Request request;
  for (const std::string& spec : o.replace) {
    const std::size_t equals = spec.find('=');
    if (equals == std::string::npos) {
      return make_error("--replace '" + spec + "' needs the form FROM=TO");
    }
    request.pairs.push_back({spec.substr(0, equals), spec.substr(equals + 1)});
  }
  std::size_t file_index = 0;
  if (o.args.size() >= 2 || o.replace.empty()) {
    if (o.args.size() < 2) {
      return make_error("usage: wpfleet search-replace FROM TO [FILE] (or --replace FROM=TO)");
    }
    request.pairs.push_back({o.args[0], o.args[1]});
    file_index = 2;
  }
  if (o.args.size() > file_index + 1) {
    return make_error("too many arguments: pass FROM TO and at most one dump file");
  }
  if (o.args.size() == file_index + 1) request.file = o.args[file_index];
  return request;
}

Result<int> open_input(const std::string& file) {
  if (file.empty() || file == "-") {
    if (::isatty(STDIN_FILENO)) {
      return make_error(
          "no dump to read: pass a file, or pipe one in (wpfleet search-replace "
          "FROM TO < dump.sql > new.sql)");
    }
    return STDIN_FILENO;
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("cannot read " + file + ": " + std::strerror(errno));
  return fd;
}

// "1234 MB", for progress lines.
std::string megabytes(std::uint64_t bytes) { return std::to_string(bytes / 1000000) + " MB"; }

nlohmann::json counts_json(const std::vector<content::ColumnCounts>& counts, bool dry_run) {
  nlohmann::json columns = nlohmann::json::array();
  std::uint64_t replacements = 0, malformed = 0;
  for (const auto& c : counts) {
    columns.push_back({{"table", c.table},
                       {"column", c.column},
                       {"replacements", c.replacements},
                       {"malformed", c.malformed}});
    replacements += c.replacements;
    malformed += c.malformed;
  }
  return {{"dry_run", dry_run},
          {"replacements", replacements},
          {"malformed", malformed},
          {"columns", columns}};
}

void print_counts_table(const nlohmann::json& summary) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : summary["columns"]) {
    const std::string table = c["table"];
    rows.push_back({table.empty() ? "(outside INSERT rows)" : table, c["column"],
                    std::to_string(c["replacements"].get<std::uint64_t>()),
                    std::to_string(c["malformed"].get<std::uint64_t>())});
  }
  rows.push_back({"total", "", std::to_string(summary["replacements"].get<std::uint64_t>()),
                  std::to_string(summary["malformed"].get<std::uint64_t>())});
  print_table({"TABLE", "COLUMN", "REPLACED", "MALFORMED"}, rows);
  if (summary["malformed"].get<std::uint64_t>() > 0) {
    std::cout << "Malformed serialized values (wrong lengths or counts) were left exactly as "
                 "they were: repair them in WordPress, then run again.\n";
  }
}

// The counts go to stdout on a dry run (it writes no SQL) and to stderr otherwise, so
// that stdout carries only the rewritten dump.
void report_counts(const Context& ctx, const nlohmann::json& summary, bool dry_run) {
  std::streambuf* const stdout_buffer = std::cout.rdbuf();
  if (!dry_run) std::cout.rdbuf(std::cerr.rdbuf());
  if (ctx.options().json()) {
    ctx.print_json(summary);
  } else {
    print_counts_table(summary);
  }
  std::cout.rdbuf(stdout_buffer);
}

int search_replace_command(const Context& ctx, const SearchReplaceOptions& o) {
  auto request = parse_request(o);
  if (!request) return fail(request.error(), kExitInvalidInput);
  auto replacer = content::Replacer::create(request->pairs);
  if (!replacer) return fail(replacer.error(), kExitInvalidInput);
  auto in_fd = open_input(request->file);
  if (!in_fd) return fail(in_fd.error(), kExitInvalidInput);

  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  const auto progress = [&last_progress](std::uint64_t bytes_read) {
    if (Clock::now() - last_progress < std::chrono::seconds(1)) return;
    last_progress = Clock::now();
    Context::progress("search-replace: " + megabytes(bytes_read) + " read");
  };
  const std::optional<int> out_fd = o.dry_run ? std::nullopt : std::optional<int>(STDOUT_FILENO);
  auto counts = content::rewrite_dump(*in_fd, out_fd, *replacer, progress);
  if (*in_fd != STDIN_FILENO) ::close(*in_fd);
  if (!counts) return fail(counts.error(), kExitFailure);
  report_counts(ctx, counts_json(*counts, o.dry_run), o.dry_run);
  return kExitOk;
}

}  // namespace

void register_search_replace(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<SearchReplaceOptions>();
  auto* cmd = app.add_subcommand(
      "search-replace",
      "Replace URLs in a SQL dump (FILE or stdin, to stdout), keeping PHP-serialized data "
      "valid, e.g. `wpfleet search-replace http://old.example https://new.example dump.sql "
      "> new.sql`");
  cmd->add_option("args", o->args, "FROM TO [FILE]");
  cmd->add_option("--replace", o->replace, "Another FROM=TO pair, all in one pass (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--dry-run", o->dry_run, "Only count what would be replaced; write no SQL");
  cmd->footer(
      "For an http(s) URL, both http:// and https:// and the protocol-relative //host are "
      "replaced, in plain, JSON-escaped (http:\\/\\/) and URL-encoded (http%3A%2F%2F) "
      "forms, and never as part of a longer host (old.example.com). Serialized lengths are "
      "recomputed; malformed serialized values are left as they are and counted. Counts go "
      "to stderr (stdout with --dry-run).");
  cmd->callback(
      [&ctx, &selected, o] { selected = [&ctx, o] { return search_replace_command(ctx, *o); }; });
}

}  // namespace wpfleet::cli
