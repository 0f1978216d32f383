#pragma once
// The introspection benchmarks' query mix: 70% live tokens, 20% well-formed unknown tokens, 10%
// malformed ones (a live token with one character changed), so that hits, misses and rejections
// are all measured, in the same proportions by every benchmark that uses it.
#include <random>
#include <string>
#include <vector>

#include "commands/token.h"

namespace pitlog::bench {

inline std::vector<std::string> introspectionQueryMix(const std::vector<std::string>& live,
                                                      size_t queries, std::mt19937_64& rng) {
  std::vector<std::string> stream;
  stream.reserve(queries);
  for (size_t i = 0; i < queries; ++i) {
    auto dice = rng() % 10;
    if (dice < 7) {
      stream.push_back(live[rng() % live.size()]);
    } else if (dice < 9) {
      stream.push_back(commands::generateToken().plaintext);
    } else {
      std::string bad = live[rng() % live.size()];
      bad[10] = bad[10] == 'a' ? 'b' : 'a';
      stream.push_back(bad);
    }
  }
  return stream;
}

}  // namespace pitlog::bench
