// The wpfleet command lines wpfleet prints for the user to paste: "undo with `wpfleet
// rollback OP`", `tenant show`'s secret command, verify's fixes, every error's advice.
// Pasted as printed, they must act on the same fleet file and state as the command that
// printed them, so they carry its global options.
#pragma once

#include <string>
#include <string_view>

namespace wpfleet::cli {

struct GlobalOptions;

// The global options that choose the fleet file and the state, as they go on a command
// line: " -f FILE" unless it is ./fleet.toml, " --state-dir DIR" when one was given,
// quoted for a POSIX shell where needed; "" when both are the defaults.
std::string fleet_options(const GlobalOptions& options);

// `text` with those options added to every command it quotes as "`wpfleet ...`" (how
// every hint is written, the engine's and backends' too). They go at the end, where
// global options are read as well, so "`wpfleet apply`" reads "`wpfleet apply -f FILE`";
// before a "--", after which everything is an argument. A command that has them already
// is left as it is.
std::string pasteable(const GlobalOptions& options, std::string_view text);

}  // namespace wpfleet::cli
