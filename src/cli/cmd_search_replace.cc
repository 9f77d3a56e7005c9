// search-replace: rewrite URLs or any text in a SQL dump or a live tenant without breaking
// PHP-serialized data.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/workbench.h"
#include "content/rewrite_dump.h"

namespace wpfleet::cli {

namespace {

struct SearchReplaceOptions {
  // FROM TO [FILE] (with --replace, FROM TO may be left out), or with -e: TENANT FROM TO.
  // Two positionals rather than one list: CLI11 hands the words after `--` back to the
  // parent command, as unexpected, once every positional has its minimum count, so a
  // single list would refuse `-e dev TENANT -- -FROM TO`.
  std::string first_arg;
  std::vector<std::string> more_args;
  std::vector<std::string> args;  // both, joined by the callback
  std::vector<std::string> replace;
  std::string env;    // set: rewrite a live tenant of this environment
  std::string match;  // "url", "text", or empty: each FROM's default_match()
  std::vector<std::string> tables, include_columns, skip_columns;
  bool report_changed_only = false;
  bool dry_run = false;
};

struct Request {
  std::vector<content::Replacement> pairs;
  content::DumpOptions scope;
  std::string file;  // empty: stdin
};

content::Replacement make_pair(std::string from, std::string to, const std::string& match) {
  const content::MatchMode mode = match.empty()    ? content::default_match(from)
                                  : match == "url" ? content::MatchMode::Url
                                                   : content::MatchMode::Text;
  return {std::move(from), std::move(to), mode};
}

// The names of a comma-separated list option, as often as it was given (--tables a,b
// --tables c), each without the spaces around it; an error if one is empty (',',
// 'a,,b', ' '), which names the option and shows what it takes.
Result<std::vector<std::string>> names_of(const std::string& option, const std::vector<std::string>& given) {
  std::vector<std::string> names;
  for (const std::string& list : given) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = std::min(list.find(',', start), list.size());
      const std::string name = list.substr(start, comma - start);
      const auto first = name.find_first_not_of(" \t");
      if (first == std::string::npos) {
        return make_error(option + " has an empty name in '" + list +
                          "': pass names separated by commas, e.g. " + option +
                          (option == "--tables" ? " 'wp_*options,wp_posts'" : " guid,post_excerpt"));
      }
      names.push_back(name.substr(first, name.find_last_not_of(" \t") + 1 - first));
      if (comma == list.size()) break;
      start = comma + 1;
    }
  }
  return names;
}

// --tables, --include-columns and --skip-columns as DumpOptions.
Result<content::DumpOptions> parse_scope(const SearchReplaceOptions& o) {
  content::DumpOptions scope;
  scope.every_column = !o.report_changed_only;
  TRY_ASSIGN(scope.tables, names_of("--tables", o.tables));
  TRY_ASSIGN(scope.include_columns, names_of("--include-columns", o.include_columns));
  TRY_ASSIGN(scope.skip_columns, names_of("--skip-columns", o.skip_columns));
  return scope;
}

Result<Request> parse_request(const SearchReplaceOptions& o) {
  Request request;
  TRY_ASSIGN(request.scope, parse_scope(o));
  for (const std::string& spec : o.replace) {
    const std::size_t equals = spec.find('=');
    if (equals == std::string::npos) {
      return make_error("--replace '" + spec +
                        "' needs the form FROM=TO (a FROM holding '=' goes as FROM TO after --)");
    }
    request.pairs.push_back(make_pair(spec.substr(0, equals), spec.substr(equals + 1), o.match));
  }
  std::size_t file_index = 0;
  if (o.args.size() >= 2 || o.replace.empty()) {
    if (o.args.size() < 2) {
      return make_error("usage: wpfleet search-replace FROM TO [FILE] (or --replace FROM=TO)");
    }
    request.pairs.push_back(make_pair(o.args[0], o.args[1], o.match));
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

// `operation`: the live operation that made the replacements, if any. `beside_dump`:
// stdout carries the rewritten dump, so the counts (with --output json, their document)
// go to stderr.
void report_counts(const Context& ctx, const std::vector<content::ColumnCounts>& counts,
                   bool dry_run, bool beside_dump, const std::string& operation = "") {
  nlohmann::json summary = replacement_counts_json(counts);
  summary["dry_run"] = dry_run;
  if (!operation.empty()) summary["operation"] = operation;
  if (!ctx.options().json()) {
    print_replacement_counts(beside_dump ? std::cerr : std::cout, summary);
  } else if (beside_dump) {
    std::cerr << summary.dump(2) << "\n";
  } else {
    ctx.print_json(summary);
  }
}

// `-e ENV TENANT FROM TO`: on a live tenant, as a journalled operation.
int live_search_replace(Context& ctx, const SearchReplaceOptions& o) {
  if (o.args.empty())
    return fail("usage: wpfleet search-replace -e ENV TENANT FROM TO", kExitInvalidInput);
  SearchReplaceOptions pairs_only = o;
  pairs_only.args.erase(pairs_only.args.begin());
  auto request = parse_request(pairs_only);
  if (!request) return fail(request.error(), kExitInvalidInput);
  if (!request->file.empty()) {
    return fail(
        "with -e, name a tenant, not a dump file: wpfleet search-replace -e ENV TENANT "
        "FROM TO",
        kExitInvalidInput);
  }
  if (auto valid = content::Replacer::create(request->pairs); !valid) {
    return fail(valid.error(), kExitInvalidInput);
  }
  int exit_code = kExitFailure;
  auto bench = open_workbench(ctx, "search-replace",
                              o.dry_run ? LockMode::None : LockMode::Exclusive, exit_code);
  if (!bench) return exit_code;
  const std::string& tenant = o.args.front();
  if (o.dry_run) {
    auto survey =
        bench->operations->search_replace_dry_run(o.env, tenant, request->pairs, request->scope);
    if (!survey) return fail(survey.error(), kExitFailure);
    report_counts(ctx, survey->replacements, true, false);
    return kExitOk;
  }
  auto done = bench->operations->search_replace(o.env, tenant, request->pairs, request->scope);
  if (!done) return fail(done.error(), kExitFailure);
  const std::string& id = done->operation.id;
  report_counts(ctx, done->replacements, false, false, id);
  std::cerr << ready_to_paste("search-replace of " + o.env + "/" + tenant + " succeeded: " + id +
                              " (undo with `wpfleet rollback " + id + "`)")
            << "\n";
  return kExitOk;
}

int search_replace_command(Context& ctx, const SearchReplaceOptions& o) {
  if (!o.env.empty()) return live_search_replace(ctx, o);
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
  if (out_fd) Context::stdout_holds_data();
  auto counts = content::rewrite_dump(*in_fd, out_fd, *replacer, request->scope, progress);
  if (*in_fd != STDIN_FILENO) ::close(*in_fd);
  if (!counts) return fail(counts.error(), kExitFailure);
  // stdout carries the rewritten dump unless this is a dry run.
  report_counts(ctx, *counts, o.dry_run, !o.dry_run);
  return kExitOk;
}

}  // namespace

void register_search_replace(CLI::App& app, Context& ctx, CommandBody& selected) {
  auto o = std::make_shared<SearchReplaceOptions>();
  auto* cmd = app.add_subcommand(
      "search-replace",
      "Replace URLs or text in a SQL dump (FILE or stdin, to stdout), keeping PHP-serialized "
      "data valid, e.g. `wpfleet search-replace http://old.example https://new.example "
      "dump.sql > new.sql`");
  cmd->add_option("args", o->first_arg, "FROM TO [FILE], or with -e: TENANT FROM TO");
  cmd->add_option("more_args", o->more_args, "(the rest of args)");
  cmd->add_option("-e,--env", o->env,
                  "Rewrite a live tenant of this environment (snapshot first; undo with rollback)");
  cmd->add_option("--replace", o->replace,
                  "Another FROM=TO pair, all in one pass (repeatable); pairs do not chain")
      ->allow_extra_args(false);
  cmd->add_option("--match", o->match,
                  "url: whole host names only (the default for a URL or host name FROM); "
                  "text: every occurrence (the default for any other FROM)")
      ->check(CLI::IsMember({"url", "text"}));
  cmd->add_option("--tables", o->tables,
                  "Only these tables, comma-separated; '*' matches any run of characters and "
                  "'?' one ('wp_*options')")
      ->allow_extra_args(false);
  cmd->add_option("--include-columns", o->include_columns,
                  "Only these columns, comma-separated (any case)")
      ->allow_extra_args(false);
  cmd->add_option("--skip-columns", o->skip_columns,
                  "Not these columns, comma-separated (any case), e.g. guid")
      ->allow_extra_args(false);
  cmd->add_flag("--report-changed-only", o->report_changed_only,
                "List only the columns where something was replaced, left alone or kept "
                "(default: every column examined)");
  cmd->add_flag("--dry-run", o->dry_run, "Only count what would be replaced; write no SQL");
  cmd->footer(
      "FROM and TO may hold any bytes; put them after -- if FROM starts with '-'. They are "
      "found as they are and in their JSON-escaped (http:\\/\\/, \\u002F, \\\", \\u00e9), "
      "URL-encoded (http%3A%2F%2F) and HTML-escaped (http:&#x2F;&#x2F;, &#47;, &amp;) forms, "
      "and TO is written in the form found. --match url: for an http(s) URL, both http:// "
      "and https:// and the protocol-relative //host are replaced (the bare host only when "
      "given as a pair of its own), and never as part of a longer host (old.example.com); "
      "--match text: every occurrence. Occurrences left alone are counted. Several pairs "
      "(--replace) are applied in one pass: each value is rewritten once, where several "
      "FROMs match at one place the longest wins, and pairs do not chain (with a=b and b=c, "
      "a becomes b, never c). Serialized lengths are recomputed and array keys "
      "rewritten too, except a key whose new name the array already has (kept and "
      "counted); malformed serialized values are left as they are and counted. Columns are "
      "named by the dump's INSERT column lists or CREATE TABLE statements. Counts go to "
      "stderr (stdout with --dry-run or -e), as JSON with --output json.");
  cmd->callback([&ctx, &selected, o, cmd] {
    if (cmd->count("args") > 0) o->args.push_back(o->first_arg);
    o->args.insert(o->args.end(), o->more_args.begin(), o->more_args.end());
    selected = [&ctx, o] { return search_replace_command(ctx, *o); };
  });
}

}  // namespace wpfleet::cli
