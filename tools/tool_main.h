#pragma once
// The few lines every tool's main shares: argv into a vector, stdout/stderr into a ToolContext,
// SIGINT/SIGTERM into its stop flag (so --follow ends cleanly; other modes end at once).
#include "tool_context.h"

namespace pitlog::tools {

int runMain(int argc, char** argv, int (*tool)(const Argv&, ToolContext&));

}  // namespace pitlog::tools
