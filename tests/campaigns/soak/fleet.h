#pragma once
// The soak's side that changes things: integrations spread over a few accounts, created, rotated
// (later and now), cut short, edited and deleted over HTTP, with every token they issue and every
// change to what a token must answer recorded in the TokenBook. Each command must succeed; one
// that does not is an error, and the tokens it touched are left out of checking from then on.
// Integration i is only ever changed by one thread at a time: during set-up thread t takes the
// integrations with i % threads == t, afterwards one command thread takes them all.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "campaign_api.h"
#include "token_book.h"

namespace pitlog::campaigns::soak {

class Fleet {
 public:
  Fleet(int port, std::string serviceKey, TokenBook& book, int accounts)
      : port_(port), key_(std::move(serviceKey)), book_(book), accounts_(accounts) {}

  // Creates `count` integrations on `threads` threads, then rotates a tenth now and a tenth later
  // and deletes a twentieth, so that introspection meets every kind of token from the start.
  void populate(int count, int threads);

  // One command chosen at random among create, rotate (later or now), expire-now, patch, delete.
  void randomCommand(std::mt19937_64& rng);

  int64_t commands() const { return commands_; }
  int64_t errors() const { return errors_; }
  size_t liveIntegrations() const;
  std::vector<std::string> problems() const;

 private:
  struct Integration {
    std::string id;
    std::string account;
    std::vector<std::string> scopes;
    size_t current = 0;                 // book index
    std::optional<size_t> previous;     // book index, during a rotation window
    bool deleted = false;
  };

  bool create(const std::string& account, std::mt19937_64& rng, Integration* out);
  void rotate(Integration& i, bool now);
  void expireNow(Integration& i);
  void patch(Integration& i, std::mt19937_64& rng);
  void remove(Integration& i);

  // Sends a command as the account's admin; the answer when its status is `expected`, else
  // nullopt after counting an error.
  std::optional<testing::HttpResponse> command(const std::string& method, const std::string& path,
                                               const std::string& body, int expected);
  ExpectedIntrospection activeFor(const Integration& i) const;
  std::vector<std::string> randomScopes(std::mt19937_64& rng) const;
  void problem(const std::string& what);

  const int port_;
  const std::string key_;
  TokenBook& book_;
  const int accounts_;
  std::vector<Integration> integrations_;
  std::atomic<int64_t> commands_{0};
  std::atomic<int64_t> errors_{0};
  mutable std::mutex problemsMu_;
  std::vector<std::string> problems_;
};

}  // namespace pitlog::campaigns::soak
