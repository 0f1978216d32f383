#pragma once
// What every tool is given by its main (or by a test): where to print, whether a person is
// watching, and when to stop. Tools never touch std::cout, std::cerr or signals themselves, so
// tests run them in-process with an argv array and a std::ostringstream.
#include <atomic>
#include <chrono>
#include <functional>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "events/time_format.h"

namespace pitlog::tools {

// Exit statuses shared by pit-dump and pit-replay (and documented in their --help).
enum ExitCode : int {
  kExitOk = 0,       // done, and nothing wrong was found
  kExitFinding = 1,  // the tool worked and found something wrong (failed verification, damage)
  kExitUsage = 2,    // bad usage, or the database could not be opened or read
};

struct ToolContext {
  std::ostream& out;  // results: what scripts parse
  std::ostream& err;  // diagnostics and progress
  // Standard input, for the arguments that may be "-"; null when there is none to read.
  std::istream* in = nullptr;
  // Progress lines ("\r… events/s") are for a person at a terminal; main sets this from isatty().
  bool interactive = false;
  // Set from a signal handler (SIGINT, SIGTERM): long-running modes (--follow) end cleanly.
  // May be null: then only the other end conditions stop them.
  const std::atomic<bool>* stop = nullptr;
  // Set by a mode that checks `stop` itself (--follow) for as long as it does. Otherwise a stop
  // signal ends the process at once, after removing the tool's temporary directories. May be null.
  std::atomic<bool>* checksStop = nullptr;
  // Set by main: the process ends when the tool returns, so a tool may leave large in-memory
  // structures (verify's rebuilt views) to the process's end instead of freeing them one by one.
  // False in tests, which run tools in-process and check for leaks.
  bool processEndsAfter = false;
  std::chrono::milliseconds pollInterval{200};  // --follow
  std::function<events::UnixMillis()> clock{};  // "now" for statements; null: the system clock

  bool stopRequested() const { return stop != nullptr && stop->load(); }
  void checkingStop(bool on) const {
    if (checksStop != nullptr) checksStop->store(on);
  }
  events::UnixMillis now() const;
};

// Thrown for bad usage; caught once by the tool's entry point, which prints it with a hint and
// exits kExitUsage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// argv as main() receives it, argv[0] being the program name.
using Argv = std::vector<std::string>;

}  // namespace pitlog::tools
