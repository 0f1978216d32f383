#pragma once
// After a restart, with no worker running: introspect tokens and compare each answer with the
// model's prediction at the moment it was asked. A token whose deadline falls within the margin
// of its request is skipped and counted, never guessed.
#include <cstdint>
#include <string>
#include <vector>

#include "model.h"

namespace pitlog::campaigns::crash {

struct SweepResult {
  int64_t checked = 0;
  int64_t skippedNearDeadline = 0;
  std::vector<std::string> problems;  // tokens named by tokenId only
};

SweepResult sweepTokens(const Model& model, const std::vector<ModelToken>& tokens, int port,
                        const std::string& serviceKey, int threads);

}  // namespace pitlog::campaigns::crash
