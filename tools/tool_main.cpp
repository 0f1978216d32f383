#include "tool_main.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>

namespace pitlog::tools {
namespace {

// Written by the signal handler, read by the tool: a lock-free atomic is async-signal-safe.
std::atomic<bool> stopRequested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onStopSignal(int) { stopRequested.store(true); }

}  // namespace

int runMain(int argc, char** argv, int (*tool)(const Argv&, ToolContext&)) {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_DFL);  // `pit-dump | head` ends quietly

  std::ios::sync_with_stdio(false);
  ToolContext ctx{.out = std::cout, .err = std::cerr};
  ctx.interactive = ::isatty(STDERR_FILENO) == 1;
  ctx.stop = &stopRequested;
  int status = tool(Argv(argv, argv + argc), ctx);
  std::cout.flush();
  return status;
}

}  // namespace pitlog::tools
