// verify-inproc: pitlog's verification (commands::verifyToken over the in-memory token index) vs
// the baseline a user would write instead, SHA-256 (one-shot EVP) + std::unordered_map lookup,
// over the same tokens and the same query stream, in the same process.
//   verify_inproc [tokens=1000000] [queries=2000000] [rounds=3]
// Query mix: 70% live tokens, 20% well-formed unknown tokens, 10% malformed (bad checksum).
#include <openssl/sha.h>

#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.h"
#include "bench/query_mix.h"
#include "commands/token.h"
#include "commands/verify.h"

using namespace pitlog;

namespace {

struct BaselineEntry {
  std::string accountId, integrationId, scopeText;
  int64_t expiresAt = INT64_MAX;
};

}  // namespace

int main(int argc, char** argv) {
  const size_t tokens = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const size_t queries = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2'000'000;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  std::mt19937_64 rng(42);

  projections::TokenIndex index;
  std::unordered_map<std::string, BaselineEntry> baseline;
  baseline.reserve(tokens);
  std::vector<std::string> live;
  live.reserve(tokens);
  std::vector<projections::TokenChange> changes;
  const std::vector<std::string> scopes = {"contacts.readonly", "contacts.write"};
  for (size_t i = 0; i < tokens; ++i) {
    auto t = commands::generateToken();
    projections::TokenEntry e{"int_" + std::to_string(i), "acct-" + std::to_string(i % 1000),
                              projections::TokenState::current, 1'800'000'000'000, std::nullopt,
                              scopes};
    changes.push_back({t.digest, e});
    baseline.emplace(std::string(events::Sha256::asView(t.digest)),
                     BaselineEntry{e.accountId, e.integrationId, "contacts.readonly contacts.write"});
    live.push_back(t.plaintext);
    if (changes.size() == 100'000) {
      index.apply(changes);
      changes.clear();
    }
  }
  index.apply(changes);

  const std::vector<std::string> stream = bench::introspectionQueryMix(live, queries, rng);

  const int64_t now = 1'900'000'000'000;
  std::vector<double> ours, theirs, ratios;
  size_t agree = 0;
  for (int r = 0; r < rounds; ++r) {
    size_t activeOurs = 0, activeTheirs = 0;
    auto start = bench::Clock::now();
    for (const auto& q : stream) {
      auto v = commands::verifyToken(index, q, std::string_view("contacts.write"), now);
      activeOurs += v.active;
    }
    double sOurs = bench::secondsSince(start);

    start = bench::Clock::now();
    for (const auto& q : stream) {
      unsigned char md[SHA256_DIGEST_LENGTH];
      SHA256(reinterpret_cast<const unsigned char*>(q.data()), q.size(), md);
      auto it = baseline.find(std::string(reinterpret_cast<char*>(md), sizeof md));
      bool active = it != baseline.end() && now < it->second.expiresAt &&
                    it->second.scopeText.find("contacts.write") != std::string::npos;
      activeTheirs += active;
    }
    double sTheirs = bench::secondsSince(start);
    agree += activeOurs == activeTheirs;
    ours.push_back(queries / sOurs);
    theirs.push_back(queries / sTheirs);
    ratios.push_back((queries / sOurs) / (queries / sTheirs));
  }
  std::printf(
      "bench=verify-inproc tokens=%zu queries=%zu rounds=%d pitlog_ops_s=%.0f baseline_ops_s=%.0f "
      "ratio_median=%.2f ratio_min=%.2f ratio_max=%.2f answers_agree=%s\n",
      tokens, queries, rounds, bench::median(ours), bench::median(theirs), bench::median(ratios),
      *std::min_element(ratios.begin(), ratios.end()), *std::max_element(ratios.begin(), ratios.end()),
      agree == static_cast<size_t>(rounds) ? "yes" : "NO");
  return agree == static_cast<size_t>(rounds) ? 0 : 1;
}
