#pragma once
// pit-replay: the compliance tool. Replays the log of a live or stopped database (never writing
// to it, except `rebuild` on a stopped one) to verify it, to show the views as of any moment, to
// print an account's audit trail, and to make and check chain checkpoints.
//
// Exit status: 0 done and nothing wrong; 1 a finding (failed verification: the first failing
// sequence is named); 2 bad usage, an unreadable database, or a refused rebuild.
#include "tool_context.h"

namespace pitlog::tools {

int runPitReplay(const Argv& argv, ToolContext& ctx);

}  // namespace pitlog::tools
