#pragma once
// pit-dump: prints the events of a live or stopped pitlog database without changing it (see
// database.h for how it opens one). Ops' tool: text by default, one event per line; JSON lines
// in API.md's `event` shape with --format json; filters; --follow; --stats.
//
// Exit status: 0 done; 1 some event value was damaged (undecodable, or a sequence missing) — it
// is reported with its sequence and the dump goes on; 2 bad usage or an unreadable database.
#include "tool_context.h"

namespace pitlog::tools {

int runPitDump(const Argv& argv, ToolContext& ctx);

}  // namespace pitlog::tools
