#include "token_sweep.h"

#include <atomic>
#include <mutex>
#include <thread>

#include "support/http_client.h"

namespace pitlog::campaigns::crash {

SweepResult sweepTokens(const Model& model, const std::vector<ModelToken>& tokens, int port,
                        const std::string& serviceKey, int threads) {
  SweepResult result;
  std::mutex mu;
  std::atomic<size_t> next{0};
  const Headers headers = requestHeaders(serviceKey, std::nullopt, "", true);
  auto run = [&]() {
    SweepResult mine;
    for (size_t i; (i = next++) < tokens.size();) {
      const ModelToken& t = tokens[i];
      Millis t0 = wallMillis();
      std::string diff;
      std::string body;
      try {
        auto r = testing::httpRequest(port, "POST", "/v1/introspect", headers,
                                      introspectBody(t.plaintext));
        body = r.body;
        if (r.status != 200) diff = "status " + std::to_string(r.status);
      } catch (const std::exception& e) {
        diff = std::string("request failed: ") + e.what();
      }
      Millis t1 = wallMillis();
      auto expected = model.expected(t.tokenId, t0, t1);
      if (!expected) {
        ++mine.skippedNearDeadline;
        continue;
      }
      ++mine.checked;
      if (diff.empty()) diff = compareIntrospection(body, *expected);
      if (!diff.empty()) {
        mine.problems.push_back("token " + t.tokenId + " of " + t.integrationId +
                                " (issued in cycle " + std::to_string(t.cycleIssued) +
                                "): " + diff);
      }
    }
    std::lock_guard lock(mu);
    result.checked += mine.checked;
    result.skippedNearDeadline += mine.skippedNearDeadline;
    result.problems.insert(result.problems.end(), mine.problems.begin(), mine.problems.end());
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(run);
  for (auto& t : pool) t.join();
  return result;
}

}  // namespace pitlog::campaigns::crash
