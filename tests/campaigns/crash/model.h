#pragma once
// The crash campaign's own idea of what pitd should know: integrations, their tokens and the
// rotation deadlines, written from API.md's lifecycle table and not from pitlog's decide/apply
// code. It is fed by answers the campaign received (certain) and by events read back from the
// log for requests whose answers a kill cut off (resolved). Deadlines come from the server's own
// times (a rotation's `startedAt` or its event's `at`) plus the window, so the model never guesses
// when the server acted; the questions it answers about a time span say `ambiguous` when a
// deadline falls inside it. Thread-safe: one mutex, every call short.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../common/campaign_api.h"

namespace pitlog::campaigns::crash {

using Millis = int64_t;

Millis wallMillis();
// "2026-11-28T17:00:00.000Z" to Unix milliseconds; nullopt when it is not that shape.
std::optional<Millis> parseRfc3339(const std::string& text);

enum class Truth { no, yes, ambiguous };

struct ModelToken {
  std::string tokenId;
  std::string plaintext;  // empty when the answer that carried it was cut by a kill
  std::string integrationId;
  int cycleIssued = 0;
};

class Model {
 public:
  Model(Millis windowMs, Millis marginMs) : windowMs_(windowMs), marginMs_(marginMs) {}

  Millis windowMs() const { return windowMs_; }

  void created(const std::string& id, const std::string& account, std::vector<std::string> scopes,
               const ModelToken& token);
  void scopesUpdated(const std::string& id, std::vector<std::string> scopes);
  // A rotation accepted at server time `at`: with expireNow every earlier token ends at once;
  // otherwise the current one becomes the previous, valid until at + window.
  void rotated(const std::string& id, const ModelToken& token, bool expireNow, Millis at);
  void cancelled(const std::string& id);   // the previous token is current again
  void expiredNow(const std::string& id);  // the previous token ends
  void deleted(const std::string& id);

  // Whether a rotation is pending (previous token still inside its window) at every instant of
  // [from, to], at none, or it depends on the instant.
  Truth rotationPending(const std::string& id, Millis from, Millis to) const;
  // Whether a scheduler `Expired` may have moved the stream's version on since `since`.
  bool deadlinePassedSince(const std::string& id, Millis since, Millis to) const;

  // What introspecting the token must answer at every instant of [from, to]; nullopt when that
  // depends on the instant (a deadline inside the span, widened by the margin).
  std::optional<ExpectedIntrospection> expected(const std::string& tokenId, Millis from,
                                                Millis to) const;

  std::vector<std::string> scopesOf(const std::string& id) const;
  std::string currentTokenId(const std::string& id) const;
  // Tokens whose plaintext the campaign holds.
  std::vector<ModelToken> knownTokens() const;
  size_t tokenCount() const;

 private:
  struct Integration {
    std::string account;
    std::vector<std::string> scopes;
    bool deleted = false;
    std::string current;
    std::string previous;  // "" when no rotation is pending
    Millis previousDeadline = 0;
    // Every deadline ever set: the scheduler may write a window's Expired (a new version) even
    // after a later rotation replaced that window.
    std::vector<Millis> deadlines;
  };
  Integration& at(const std::string& id);
  const Integration& at(const std::string& id) const;

  const Millis windowMs_;
  const Millis marginMs_;
  mutable std::mutex mu_;
  std::map<std::string, Integration> integrations_;
  std::map<std::string, ModelToken> tokens_;  // by tokenId
};

// Scopes as API.md returns them: sorted, duplicates collapsed.
std::vector<std::string> normalizedScopes(std::vector<std::string> scopes);

}  // namespace pitlog::campaigns::crash
