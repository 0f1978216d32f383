#include "commands/local_commit_log.h"

#include "events/log.h"

namespace pitlog::commands {

uint64_t LocalCommitLog::positionAfter(uint64_t expectedPosition, const Commit& commit) const {
  return commit.events.empty() ? expectedPosition : commit.events.back().seq;
}

AppendOutcome LocalCommitLog::append(const Commit& commit, uint64_t expectedPosition,
                                     const std::string&) {
  return Appended{positionAfter(expectedPosition, commit)};
}

std::vector<PositionedCommit> LocalCommitLog::readAfter(uint64_t position, size_t max) {
  std::vector<PositionedCommit> out;
  if (max == 0 || position == UINT64_MAX) return out;
  events::forEachEvent(store_, position + 1, 0, [&](uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = events::DecodedEvent::decode(bytes, &error);
    if (!event) throw events::StoreError("event " + std::to_string(seq) + " is damaged: " + error);
    PositionedCommit c;
    c.position = seq;
    c.commit.events.push_back({seq, event->hash(), std::string(bytes)});
    out.push_back(std::move(c));
    return out.size() < max;
  });
  return out;
}

}  // namespace pitlog::commands
