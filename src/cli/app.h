// The command line: global options, the table of commands, exit codes.
#pragma once

namespace wpfleet::cli {

// Exit codes (also listed in `wpfleet --help`).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // something did not work; the message says what to do
inline constexpr int kExitChangesPending = 2;  // `plan` only: applying would change something
inline constexpr int kExitInvalidInput = 3;  // bad flags, invalid fleet file, unknown tenant

int run(int argc, char** argv);

}  // namespace wpfleet::cli
