#include <unistd.h>

#include <cstdlib>

#include "pit_replay.h"
#include "tool_main.h"

namespace {

// A replay holds every view it rebuilds in memory: at ten million events, 11 GB of mostly small
// allocations. Faulting those in 4 KiB pages took 42 of a 10M-event verify's 96 s (bench/
// RESULTS.md); with glibc's malloc asked to back its heaps with transparent huge pages it took 70 s
// in all. That request is a tunable read once at start, so the process starts itself again, once,
// with it set — unless GLIBC_TUNABLES is set already (the operator's choice stands, and it marks
// the second start) or the exec fails (then it runs as it is).
void startWithHugePages(char** argv) {
  if (std::getenv("GLIBC_TUNABLES") != nullptr) return;
  if (::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("GLIBC_TUNABLES");
}

}  // namespace

int main(int argc, char** argv) {
  startWithHugePages(argv);
  return pitlog::tools::runMain(argc, argv, pitlog::tools::runPitReplay);
}
