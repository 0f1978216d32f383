#include "tool_context.h"

#include <chrono>

namespace pitlog::tools {

events::UnixMillis ToolContext::now() const {
  if (clock) return clock();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace pitlog::tools
