#include "event_log.h"

#include <sstream>
#include <stdexcept>

#include "support/json.h"
#include "tool_runner.h"

namespace pitlog::campaigns::crash {

namespace {

std::string member(const testing::Json& j, const std::string& name) {
  auto v = j[name];
  return v.isString() ? v.str() : std::string();
}

Millis timeMember(const testing::Json& j, const std::string& name) {
  auto parsed = parseRfc3339(member(j, name));
  return parsed ? *parsed : 0;
}

LoggedEvent parseEvent(const std::string& line) {
  auto j = testing::Json::parse(line);
  LoggedEvent e;
  e.seq = static_cast<uint64_t>(j["seq"].num());
  e.streamId = member(j, "streamId");
  e.streamVersion = j["streamVersion"].isNumber() ? static_cast<int64_t>(j["streamVersion"].num()) : 0;
  e.eventId = member(j, "eventId");
  e.requestId = member(j, "requestId");
  e.type = member(j, "type");
  e.actorRole = member(j["actor"], "role");
  e.at = timeMember(j, "at");
  auto d = j["data"];
  e.tokenId = member(d, "tokenId");
  e.previousTokenId = member(d, "previousTokenId");
  e.previousExpiresAt = timeMember(d, "previousExpiresAt");
  e.expireNow = d["expireNow"].isBool() && d["expireNow"].boolean();
  e.reason = member(d, "reason");
  e.restoredTokenId = member(d, "restoredTokenId");
  e.userId = member(d, "userId");
  e.allowed = d["allowed"].isBool() && d["allowed"].boolean();
  if (e.seq == 0 || e.eventId.empty() || e.type.empty() || e.at == 0) {
    throw std::runtime_error("pit-dump printed an event without seq, eventId, type or at");
  }
  return e;
}

}  // namespace

std::vector<LoggedEvent> EventLog::readNew(std::vector<std::string>* problems) {
  const uint64_t from = all_.empty() ? 1 : all_.back().seq + 1;
  std::string out;
  int status = runTool({pitDump_, "--data", dataDir_, "--format", "json", "--from",
                        std::to_string(from)},
                       &out);
  if (status != 0) {
    throw std::runtime_error("pit-dump exited with " + std::to_string(status) + ": " +
                             testing::redacted(out.substr(0, 2000)));
  }
  std::vector<LoggedEvent> fresh;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    LoggedEvent e = parseEvent(line);
    const uint64_t expectedSeq = all_.empty() ? 1 : all_.back().seq + 1;
    if (e.seq != expectedSeq) {
      problems->push_back("sequence " + std::to_string(e.seq) + " follows " +
                          std::to_string(expectedSeq - 1) + ": the log has a gap or repeat");
    }
    if (!eventIds_.insert(e.eventId).second) {
      ++duplicates_;
      problems->push_back("event id " + e.eventId + " appears twice (seq " +
                          std::to_string(e.seq) + ")");
    }
    if (e.type == "Expired" && !expiredTokens_.insert(e.tokenId).second) {
      ++duplicates_;
      problems->push_back("token " + e.tokenId + " expired twice (seq " + std::to_string(e.seq) +
                          ")");
    }
    all_.push_back(e);
    fresh.push_back(std::move(e));
  }
  return fresh;
}

std::vector<std::string> checkScheduler(const std::vector<LoggedEvent>& events, Millis windowMs,
                                        Millis stoppedAt, Millis graceMs, int64_t* windowsElapsed) {
  *windowsElapsed = 0;
  struct Stream {
    std::map<std::string, Millis> windows;  // previous token -> its deadline, while open
    bool deleted = false;
  };
  std::map<std::string, Stream> streams;
  std::vector<std::string> problems;
  auto where = [](const LoggedEvent& e) {
    return " (seq " + std::to_string(e.seq) + ", stream " + e.streamId + ")";
  };
  for (const auto& e : events) {
    if (e.type == "PermissionChanged") continue;
    Stream& s = streams[e.streamId];
    if (s.deleted) problems.push_back(e.type + " after Deleted" + where(e));
    if (e.type == "RotationStarted" && !e.expireNow) {
      if (e.previousExpiresAt != e.at + windowMs) {
        problems.push_back("previousExpiresAt is not the event's time plus the window" + where(e));
      }
      s.windows[e.previousTokenId] = e.at + windowMs;
    } else if (e.type == "RotationCancelled") {
      s.windows.erase(e.restoredTokenId);
    } else if (e.type == "Expired") {
      auto w = s.windows.find(e.tokenId);
      if (e.reason == "window_elapsed") {
        ++*windowsElapsed;
        if (e.actorRole != "system") problems.push_back("window_elapsed not by system" + where(e));
        if (w == s.windows.end()) {
          problems.push_back("scheduler expired a token with no open window" + where(e));
        } else if (e.at < w->second) {
          problems.push_back("scheduler expired a token before its deadline" + where(e));
        }
      }
      if (w != s.windows.end()) s.windows.erase(w);
    } else if (e.type == "Deleted") {
      s.deleted = true;
      s.windows.clear();
    }
  }
  for (const auto& [stream, s] : streams) {
    for (const auto& [token, deadline] : s.windows) {
      if (deadline < stoppedAt - graceMs) {
        problems.push_back("window of token " + token + " in stream " + stream + " elapsed " +
                           std::to_string(stoppedAt - deadline) +
                           " ms before the stop and no Expired closed it");
      }
    }
  }
  return problems;
}

}  // namespace pitlog::campaigns::crash
