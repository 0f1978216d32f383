#pragma once
// Runs one of pitlog's command-line tools to completion and collects its stdout and stderr.
#include <string>
#include <vector>

namespace pitlog::campaigns::crash {

// argv[0] is the binary. Returns the exit status (128 + signal when killed); throws
// std::runtime_error when it cannot be started.
int runTool(const std::vector<std::string>& argv, std::string* output);

}  // namespace pitlog::campaigns::crash
