#pragma once
// pitctl: every route of pitd's HTTP API as a subcommand, for people at a shell (tables) and
// scripts (--json). Options come from flags, a config file (--config) and PITLOG_* environment
// variables (flag > env > file).
//
// Exit codes: 0 success; 1 the API answered with an error (its message is printed); 2 bad usage,
// unreadable key file, or pitd unreachable.
#include <ostream>

namespace pitlog::tools {

int runPitctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace pitlog::tools
