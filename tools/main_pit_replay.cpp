#include "pit_replay.h"
#include "tool_main.h"

int main(int argc, char** argv) {
  return pitlog::tools::runMain(argc, argv, pitlog::tools::runPitReplay);
}
