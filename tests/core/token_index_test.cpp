// The in-memory token view (projections/token_index.h): an open-addressing table with
// backward-shift deletion. Checked against a std::map under random puts and erases, with digests
// chosen so that probe runs collide and wrap around the end of the table.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <set>
#include <random>

#include "core_support.h"
#include "commands/scope_catalogue.h"
#include "projections/token_index.h"

using namespace pitlog;
using namespace pitlog::coretest;

namespace {

// A digest whose first 8 bytes (the table's hash) are `home`, the rest distinguishing it.
ev::Digest digestWithHome(uint64_t home, uint64_t tag) {
  ev::Digest d{};
  std::memcpy(d.data(), &home, sizeof home);
  std::memcpy(d.data() + 8, &tag, sizeof tag);
  return d;
}

proj::TokenEntry entryFor(const std::string& integration, proj::TokenState state,
                          std::optional<ev::UnixMillis> deadline,
                          std::vector<std::string> scopes = {"contacts.readonly"}) {
  proj::TokenEntry e;
  e.integrationId = integration;
  e.accountId = "acct";
  e.state = state;
  e.issuedAt = kT0;
  e.expiresAt = deadline;
  e.scopes = std::move(scopes);
  return e;
}

}  // namespace

TEST_CASE("token index agrees with a map under random puts and erases", "[token_index]") {
  const auto seed = Catch::rngSeed() ? Catch::rngSeed() : 424242u;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  proj::TokenIndex index;
  std::map<ev::Digest, proj::TokenEntry> model;
  std::vector<ev::Digest> universe;
  // A third of the homes are the last slots of the table whatever its size (all-ones low bits),
  // so their probe runs wrap around to slot 0, where another third have their homes; the rest
  // spread everywhere.
  for (uint64_t tag = 0; tag < 1200; ++tag) {
    uint64_t home;
    switch (tag % 3) {
      case 0: home = ~uint64_t{0} - rng() % 8; break;
      case 1: home = rng() % 8; break;
      default: home = rng(); break;
    }
    universe.push_back(digestWithHome(home, tag));
  }

  for (int step = 0; step < 6000; ++step) {
    const auto& d = universe[rng() % universe.size()];
    std::vector<proj::TokenChange> changes;
    if (rng() % 3 != 0) {
      auto e = entryFor("int_" + std::to_string(rng() % 50),
                        rng() % 2 ? proj::TokenState::current : proj::TokenState::previous,
                        rng() % 2 ? std::optional<ev::UnixMillis>(kT0 + int64_t(rng() % 1000))
                                  : std::nullopt,
                        {rng() % 2 ? "contacts.readonly" : "contacts.write"});
      model[d] = e;
      changes.push_back({d, e});
    } else {
      model.erase(d);
      changes.push_back({d, std::nullopt});
    }
    index.apply(changes);
    REQUIRE(index.size() == model.size());
    if (step % 300 == 0 || step > 5950) {
      for (const auto& u : universe) {
        auto found = index.find(u);
        auto it = model.find(u);
        if (found.has_value() != (it != model.end())) {
          FAIL("step " << step << ": find() says " << found.has_value() << " for digest "
                       << ev::toHex(u).substr(0, 24));
        }
        if (!found) continue;
        const bool same = found->grant->integrationId() == it->second.integrationId &&
                          found->grant->accountId() == "acct" &&
                          found->grant->scopes() == it->second.scopes &&
                          found->state == it->second.state &&
                          found->expiresAt == it->second.expiresAt;
        if (!same) FAIL("step " << step << ": wrong entry for digest " << ev::toHex(u).substr(0, 24));
      }
    }
  }

  // The scheduler's view of deadlines agrees with the model too.
  std::multiset<std::pair<ev::UnixMillis, std::string>> deadlines;  // earliest first, then by id
  for (const auto& [d, e] : model) {
    if (e.state == proj::TokenState::previous && e.expiresAt) deadlines.emplace(*e.expiresAt, e.integrationId);
  }
  if (deadlines.empty()) {
    CHECK_FALSE(index.nextDeadline());
  } else {
    CHECK(index.nextDeadline() == deadlines.begin()->first);
  }
  const ev::UnixMillis cut = kT0 + 500;
  std::vector<std::string> due;
  for (const auto& [t, id] : deadlines) {
    if (t <= cut && std::find(due.begin(), due.end(), id) == due.end()) due.push_back(id);
  }
  CHECK(index.dueIntegrations(cut) == due);
}

TEST_CASE("token index holds thousands of integrations with distinct live scope sets",
          "[token_index]") {
  // Scope sets are interned and pruned now and then; with more distinct live sets than the
  // pruning threshold nothing can be pruned, and interning must still terminate.
  proj::TokenIndex index;
  const auto catalogue = commands::ScopeCatalogue::builtIn();
  const auto& all = catalogue.scopes();
  REQUIRE(all.size() >= 12);
  const size_t n = 4200;
  std::vector<ev::Digest> digests;
  for (size_t i = 0; i < n; ++i) {
    // The subset of the first 12 scopes given by i's low bits, plus one more chosen by i >> 12:
    // a distinct set for every i.
    std::vector<std::string> scopes;
    for (size_t b = 0; b < 12; ++b) {
      if (i >> b & 1) scopes.push_back(all[b]);
    }
    scopes.push_back(all[12 + (i >> 12) % (all.size() - 12)]);
    std::sort(scopes.begin(), scopes.end());
    auto d = ev::sha256("token " + std::to_string(i));
    digests.push_back(d);
    index.apply({{d, entryFor("int_" + std::to_string(i), proj::TokenState::current, std::nullopt,
                              scopes)}});
  }
  REQUIRE(index.size() == n);
  for (size_t i = 0; i < n; i += 97) {
    auto slot = index.find(digests[i]);
    REQUIRE(slot);
    CHECK(slot->grant->integrationId() == "int_" + std::to_string(i));
    CHECK(slot->grant->hasScope(all[12 + (i >> 12) % (all.size() - 12)]));
  }
}

TEST_CASE("token index: a grant keeps short and long integration ids whole, and the grants of one "
          "account share its id's one copy", "[token_index]") {
  proj::TokenIndex index;
  const std::string longId = "int_" + std::string(60, 'x');  // 64: past the inline room
  auto t1 = ev::sha256("t1"), t2 = ev::sha256("t2"), t3 = ev::sha256("t3");
  index.apply({{t1, entryFor("int_0123456789abcdef01234567", proj::TokenState::current, {})}});
  index.apply({{t2, entryFor(longId, proj::TokenState::current, {})}});
  auto other = entryFor("int_3", proj::TokenState::current, {});
  other.accountId = "another-account";
  index.apply({{t3, other}});
  auto s1 = index.find(t1), s2 = index.find(t2), s3 = index.find(t3);
  REQUIRE(s1);
  REQUIRE(s2);
  REQUIRE(s3);
  CHECK(s1->grant->integrationId() == "int_0123456789abcdef01234567");
  CHECK(s2->grant->integrationId() == longId);
  // NUL-terminated, as kj::StringPtr (capnp::Text::Reader) requires of what the answers render.
  CHECK(s1->grant->integrationId().data()[s1->grant->integrationId().size()] == '\0');
  CHECK(s2->grant->integrationId().data()[s2->grant->integrationId().size()] == '\0');
  CHECK(s1->grant->accountId() == "acct");
  CHECK(&s1->grant->accountId() == &s2->grant->accountId());  // interned
  CHECK(s3->grant->accountId() == "another-account");
}

TEST_CASE("token index: grants carry scope text, a scope change is seen by every token",
          "[token_index]") {
  proj::TokenIndex index;
  auto t1 = ev::sha256("t1"), t2 = ev::sha256("t2");
  index.apply({{t1, entryFor("int_1", proj::TokenState::previous, kT0 + 10,
                             {"calendars.readonly", "contacts.readonly"})},
               {t2, entryFor("int_1", proj::TokenState::current, std::nullopt,
                             {"calendars.readonly", "contacts.readonly"})}});
  auto s1 = index.find(t1);
  REQUIRE(s1);
  CHECK(s1->grant->scopeText() == "calendars.readonly contacts.readonly");
  CHECK(s1->grant->hasScope("contacts.readonly"));
  CHECK_FALSE(s1->grant->hasScope("contacts.write"));
  CHECK(index.nextDeadline() == kT0 + 10);
  CHECK(index.dueIntegrations(kT0 + 9).empty());
  CHECK(index.dueIntegrations(kT0 + 10) == std::vector<std::string>{"int_1"});

  index.apply({{t1, entryFor("int_1", proj::TokenState::previous, kT0 + 10, {"contacts.write"})},
               {t2, entryFor("int_1", proj::TokenState::current, std::nullopt, {"contacts.write"})}});
  CHECK(index.find(t1)->grant->scopeText() == "contacts.write");
  CHECK(index.find(t2)->grant->hasScope("contacts.write"));
  CHECK_FALSE(index.find(t2)->grant->hasScope("contacts.readonly"));
  // The old grant a reader may still hold stays intact.
  CHECK(s1->grant->scopeText() == "calendars.readonly contacts.readonly");

  // Restored to current (a cancel): the deadline goes away.
  index.apply({{t1, entryFor("int_1", proj::TokenState::current, std::nullopt, {"contacts.write"})},
               {t2, std::nullopt}});
  CHECK_FALSE(index.nextDeadline());
  CHECK(index.dueIntegrations(kT0 + 100).empty());
  CHECK_FALSE(index.find(t2));
  CHECK(index.size() == 1);
}
