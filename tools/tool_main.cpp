#include "tool_main.h"

#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "database.h"

namespace pitlog::tools {
namespace {

std::atomic<bool> stopRequested{false};
std::atomic<bool> checksStop{false};

// SIGINT and SIGTERM go to a thread of their own (blocked everywhere else, before any other
// thread starts): a mode that checks its stop flag (--follow) ends cleanly; any other (a long
// verify, a dump) ends at once, after removing its temporary directories, which a handler could
// not do safely and a killed process would leave behind.
void watchStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      stopRequested.store(true);
      if (checksStop.load()) continue;
      removeTemporaryDirectories();
      ::_exit(128 + sig);
    }
  }).detach();
}

}  // namespace

int runMain(int argc, char** argv, int (*tool)(const Argv&, ToolContext&)) {
  watchStopSignals();
  // `pit-dump | head`: a write to the closed pipe fails instead of killing the process, so that
  // the tool stops printing and still removes its temporary directories.
  signal(SIGPIPE, SIG_IGN);

  std::ios::sync_with_stdio(false);
  ToolContext ctx{.out = std::cout, .err = std::cerr, .in = &std::cin};
  ctx.interactive = ::isatty(STDERR_FILENO) == 1;
  ctx.stop = &stopRequested;
  ctx.checksStop = &checksStop;
  ctx.processEndsAfter = true;
  int status = tool(Argv(argv, argv + argc), ctx);
  std::cout.flush();
  return status;
}

}  // namespace pitlog::tools
