#pragma once
// The soak's expectations: every token it knows (issued, rotated out, deleted) with what
// introspecting it must answer. Readers (the introspection threads) and the one command thread
// share it. A command changes an entry in two steps, begin before it sends and finish after its
// answer, each bumping the entry's generation; a reader keeps an answer only when the generation
// was even (no command in flight) and unchanged from before its request to after it, so that a
// command landing mid-request is never mistaken for a wrong answer.
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "campaign_api.h"

namespace pitlog::campaigns::soak {

class TokenBook {
 public:
  struct Snapshot {
    std::string token;
    ExpectedIntrospection expected;
    uint64_t generation;
  };

  size_t add(std::string token, ExpectedIntrospection expected);
  size_t size() const;

  // The entry as it stands; nullopt while a command on it is in flight.
  std::optional<Snapshot> read(size_t index) const;
  bool unchangedSince(size_t index, uint64_t generation) const;

  void begin(size_t index);
  void finish(size_t index, const ExpectedIntrospection& expected);

 private:
  struct Entry {
    std::string token;
    ExpectedIntrospection expected;
    uint64_t generation = 0;  // odd while a command is in flight
  };
  mutable std::shared_mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace pitlog::campaigns::soak
