// A seeded randomized model test of the whole core. Thousands of mixed commands (three accounts,
// admins and plain users, grants and withdrawals, every lifecycle command with and without
// If-Match and Idempotency-Key, invalid input, clock jumps across rotation windows, scheduler
// runs, restarts) go through the Engine; a simple model written here from API.md and DESIGN.md
// predicts each answer. After every step the engine's answer, its log position and verify() for
// the affected tokens must match the model; every few steps verify() of every token ever issued,
// and the stored views must equal a fresh rebuild from the log.
//
// The seed is printed with every failure; rerun with `--rng-seed <seed>`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "core_support.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using commands::ExpireMode;
using pitlog::testing::TempDir;

namespace {

constexpr int64_t kWindow = 10'000;
const std::vector<std::string> kAccounts = {"a0", "a1", "a2"};
struct User {
  std::string id;
  ev::Role role;
};
const std::vector<User> kUsers = {{"adm", ev::Role::admin},
                                  {"adm2", ev::Role::admin},
                                  {"u1", ev::Role::user},
                                  {"u2", ev::Role::user}};

// ---- The model: what API.md says, with no code shared with the product. ----

struct Previous {
  size_t token;
  ev::UnixMillis deadline;
};

struct MIntegration {
  std::string id, account;
  bool deleted = false;
  std::vector<std::string> scopes;
  uint32_t version = 0;
  size_t current = 0;               // index into Model::tokens
  std::vector<Previous> previous;   // previous tokens still in the view (pending or lapsed)
};

struct MToken {
  std::string plaintext;
  std::string integration;
};

struct MIdem {
  std::string fingerprint;
  ev::UnixMillis at = 0;
  std::string integration;
  uint32_t version = 0;
  uint64_t firstSeq = 0, lastSeq = 0;
};

struct Model {
  std::map<std::string, MIntegration> integrations;
  std::vector<std::string> order;  // integration ids in creation order (picks stay seeded)
  std::vector<MToken> tokens;
  std::map<std::pair<std::string, std::string>, bool> permissions;
  std::map<std::pair<std::string, std::string>, uint32_t> permissionVersions;
  std::map<std::pair<std::string, std::string>, MIdem> idempotency;
  uint64_t seq = 0;

  bool mayManage(const std::string& account, const User& u) const {
    auto it = permissions.find({account, u.id});
    if (it != permissions.end()) return it->second;
    return u.role == ev::Role::admin;
  }
  static const Previous* pending(const MIntegration& i, ev::UnixMillis now) {
    for (const auto& p : i.previous) {
      if (now < p.deadline) return &p;
    }
    return nullptr;
  }
  // Is token t valid at now, and if so with which deadline?
  bool valid(size_t t, ev::UnixMillis now, std::optional<ev::UnixMillis>* deadline = nullptr) const {
    const auto& i = integrations.at(tokens[t].integration);
    if (i.deleted) return false;
    if (i.current == t) {
      if (deadline) deadline->reset();
      return true;
    }
    for (const auto& p : i.previous) {
      if (p.token == t && now < p.deadline) {
        if (deadline) *deadline = p.deadline;
        return true;
      }
    }
    return false;
  }
};

std::string describe(const commands::Command& c) {
  std::ostringstream out;
  out << c.accountId << "/" << c.actor.userId << " ";
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, commands::CreateIntegration>) out << "create " << a.name;
        if constexpr (std::is_same_v<T, commands::EditIntegration>) out << "edit " << a.integrationId;
        if constexpr (std::is_same_v<T, commands::RotateToken>)
          out << "rotate-" << (a.expire == ExpireMode::now ? "now " : "later ") << a.integrationId;
        if constexpr (std::is_same_v<T, commands::CancelRotation>) out << "cancel " << a.integrationId;
        if constexpr (std::is_same_v<T, commands::ExpireRotationNow>) out << "expire-now " << a.integrationId;
        if constexpr (std::is_same_v<T, commands::ExpireElapsedWindow>) out << "scheduler " << a.integrationId;
        if constexpr (std::is_same_v<T, commands::DeleteIntegration>) out << "delete " << a.integrationId;
        if constexpr (std::is_same_v<T, commands::SetPermission>)
          out << "permission " << a.userId << "=" << a.allowed;
      },
      c.action);
  if (c.ifMatch) out << " if-match " << (c.ifMatch->versions.empty() ? 0 : c.ifMatch->versions[0]);
  if (c.idempotency) out << " key " << c.idempotency->key;
  return out.str();
}

class ModelRun {
 public:
  explicit ModelRun(uint64_t seed) : rng_(seed) {
    scopes_ = commands::ScopeCatalogue::builtIn().scopes();
    scopes_.resize(8);
    open();
  }

  void open() {
    auto o = engineOptions(dir_.sub("data"), clock_, kWindow);
    engine_ = commands::Engine::open(o);
  }

  void run(int steps) {
    for (step_ = 0; step_ < steps; ++step_) {
      touched_.clear();
      oneStep();
      if (trace_) std::fprintf(stderr, "  after step %d: %s (now %s)\n", step_, last_.c_str(),
                               ev::formatRfc3339(now()).c_str());
      INFO("step " << step_ << ": " << last_);
      REQUIRE(engine_->lastSeq() == model_.seq);
      checkTouched();
      if (step_ % 25 == 0) checkAllTokens();
      if (step_ % 50 == 0) checkStore();
    }
    INFO("after the last step");
    checkAllTokens();
    checkStore();
    engine_.reset();
    // No plaintext token anywhere on disk.
    TreeSnapshot files(dir_.path());
    for (const auto& t : model_.tokens) {
      INFO("token " << hintOf(t.plaintext));
      REQUIRE_FALSE(files.contains(t.plaintext));
    }
  }

  size_t tokensIssued() const { return model_.tokens.size(); }
  size_t integrations() const { return model_.integrations.size(); }
  uint64_t events() const { return model_.seq; }
  const std::map<std::string, int>& tally() const { return tally_; }

 private:
  uint64_t pick(uint64_t n) { return rng_() % n; }
  bool chance(int percent) { return pick(100) < uint64_t(percent); }
  ev::UnixMillis now() const { return clock_.now(); }

  void oneStep() {
    const auto roll = pick(1000);
    if (roll < 60) return clockJump();
    if (roll < 100) return scheduler();
    if (roll < 105) return restart();
    if (roll < 160 && !keyed_.empty()) return retryKeyed();
    commands::Command c = randomCommand();
    if (chance(15)) {
      std::string key = "k" + std::to_string(pick(12));
      c.idempotency = idemKey(key, describe(c) + "#" + std::to_string(pick(1u << 30)));
      keyed_.push_back(c);
      if (keyed_.size() > 30) keyed_.erase(keyed_.begin());
    }
    execute(std::move(c));
  }

  void clockJump() {
    const auto kind = pick(10);
    int64_t by;
    if (kind < 3) {
      by = 1 + int64_t(pick(100));
    } else if (kind < 6) {
      by = int64_t(pick(kWindow));
    } else if (kind < 8) {
      // Onto (or just before) a pending deadline.
      std::vector<ev::UnixMillis> ahead;
      for (const auto& id : model_.order) {
        for (const auto& p : model_.integrations.at(id).previous) {
          if (p.deadline > now()) ahead.push_back(p.deadline);
        }
      }
      by = ahead.empty() ? 1 : ahead[pick(ahead.size())] - now() - int64_t(pick(2));
    } else if (kind < 9) {
      by = kWindow + int64_t(pick(2 * kWindow));
    } else {
      by = chance(50) ? commands::kIdempotencyTtlMs - 1 : commands::kIdempotencyTtlMs / 3;
    }
    clock_.advance(std::max<int64_t>(by, 0));
    last_ = "clock +" + std::to_string(by);
    tally_["clock jump"]++;
    // Every previous token's validity may have changed.
    for (const auto& [id, i] : model_.integrations) {
      for (const auto& p : i.previous) touched_.insert(p.token);
    }
  }

  void scheduler() {
    size_t due = 0;
    for (auto& [id, i] : model_.integrations) {
      if (i.deleted) continue;
      size_t lapsed = 0;
      for (const auto& p : i.previous) {
        if (p.deadline <= now()) ++lapsed;
      }
      if (lapsed == 0) continue;
      ++due;
      i.version += static_cast<uint32_t>(lapsed);
      model_.seq += lapsed;
      for (const auto& p : i.previous) touched_.insert(p.token);
      std::erase_if(i.previous, [&](const Previous& p) { return p.deadline <= now(); });
      touchedIntegrations_.insert(id);
    }
    last_ = "scheduler (" + std::to_string(due) + " due)";
    tally_["scheduler"]++;
    REQUIRE(engine_->scheduleDueExpiries() == due);
    // A command through the same FIFO: when it is answered, the scheduler's are done.
    auto r = engine_->execute(command("a0", adminActor("a0"), commands::CancelRotation{"int_none"}));
    REQUIRE(r.code == Code::notFound);
  }

  void restart() {
    last_ = "restart";
    tally_["restart"]++;
    engine_.reset();
    open();
    checkAllTokens();
  }

  void retryKeyed() {
    commands::Command c = keyed_[pick(keyed_.size())];
    if (chance(20)) {
      // The same key with another request.
      c.idempotency->fingerprint = ev::sha256("other request " + std::to_string(pick(1000)));
    }
    execute(std::move(c));
  }

  std::vector<std::string> randomScopes() {
    std::vector<std::string> s;
    const auto n = 1 + pick(3);
    for (uint64_t k = 0; k < n; ++k) s.push_back(scopes_[pick(scopes_.size())]);
    return s;
  }

  std::string randomTarget(const std::string& account) {
    if (model_.integrations.empty() || chance(5)) return "int_000000000000000000000000";
    std::vector<std::string> own, all;
    for (const auto& id : model_.order) {
      const auto& i = model_.integrations.at(id);
      all.push_back(id);
      if (i.account == account && !i.deleted) own.push_back(id);
    }
    if (!own.empty() && chance(80)) return own[pick(own.size())];
    return all[pick(all.size())];
  }

  commands::Command randomCommand() {
    const std::string& account = kAccounts[pick(kAccounts.size())];
    const User& user = kUsers[chance(70) ? pick(2) : pick(kUsers.size())];
    ev::Actor actor{account, user.id, user.role};
    const auto kind = pick(100);
    commands::Action action;
    if (kind < 16) {
      action = createAction("n" + std::to_string(pick(1000)), randomScopes(),
                            chance(30) ? "d" : "");
    } else if (kind < 28) {
      commands::EditIntegration e;
      e.integrationId = randomTarget(account);
      if (chance(50)) e.scopes = randomScopes();
      if (chance(50)) e.name = "renamed" + std::to_string(pick(100));
      if (!e.scopes && !e.name) e.description = "desc";
      action = e;
    } else if (kind < 44) {
      action = commands::RotateToken{randomTarget(account), ExpireMode::later};
    } else if (kind < 53) {
      action = commands::RotateToken{randomTarget(account), ExpireMode::now};
    } else if (kind < 63) {
      action = commands::CancelRotation{randomTarget(account)};
    } else if (kind < 73) {
      action = commands::ExpireRotationNow{randomTarget(account)};
    } else if (kind < 82) {
      action = commands::DeleteIntegration{randomTarget(account)};
    } else if (kind < 98) {
      // Admins are mostly granted (a withdrawn admin is rarer than a granted user).
      const User& whom = kUsers[pick(kUsers.size())];
      action = commands::SetPermission{whom.id, chance(whom.role == ev::Role::admin ? 75 : 50)};
    } else {
      // Invalid input: answered 400 before anything else.
      if (chance(50)) {
        action = createAction(std::string(101, 'x'), randomScopes());
      } else {
        action = createAction("ok", {"not.a.scope"});
      }
    }
    auto c = command(account, actor, std::move(action));
    if (chance(12)) {
      uint32_t v = 1;
      if (const auto* p = std::get_if<commands::SetPermission>(&c.action)) {
        auto it = model_.permissionVersions.find({account, p->userId});
        v = it != model_.permissionVersions.end() ? it->second : 0;
      } else {
        auto it = model_.integrations.find(commands::targetIntegration(c.action));
        if (it != model_.integrations.end()) v = it->second.version;
      }
      if (chance(50)) v += 1;  // stale or from the future
      c.ifMatch = commands::IfMatch{false, {v}};
    }
    return c;
  }

  // ---- Executing a command against both sides. ----

  struct Expected {
    Code code = Code::ok;
    bool replayed = false;
    bool token = false;
    uint32_t version = 0;
    uint64_t firstSeq = 0, lastSeq = 0;
  };

  void execute(commands::Command c) {
    last_ = describe(c);
    const auto seqBefore = model_.seq;
    Expected want = predict(c);
    auto r = engine_->execute(c);
    if (trace_) std::fprintf(stderr, "step %d: %s -> %s\n", step_, last_.c_str(), commands::codeName(r.code));
    INFO("step " << step_ << ": " << last_ << " -> " << commands::codeName(r.code) << " "
                 << r.message);
    REQUIRE(commands::codeName(r.code) == std::string(commands::codeName(want.code)));
    tally_[std::string(commands::codeName(r.code)) + (want.replayed ? " (replayed)" : "")]++;
    if (!r.ok()) {
      REQUIRE_FALSE(r.token);
      REQUIRE(model_.seq == seqBefore);
      return;
    }
    REQUIRE(r.replayed == want.replayed);
    REQUIRE(r.token.has_value() == want.token);
    if (want.replayed) {
      REQUIRE(r.version == want.version);
      REQUIRE(r.firstSeq == want.firstSeq);
      REQUIRE(r.lastSeq == want.lastSeq);
      if (r.integration) REQUIRE(r.integration->version == want.version);
      return;
    }
    commit(c, r);
    REQUIRE(r.firstSeq == seqBefore + 1);
    REQUIRE(r.lastSeq == model_.seq);
    const auto& target = commands::targetIntegration(c.action);
    if (!target.empty() || std::holds_alternative<commands::CreateIntegration>(c.action)) {
      REQUIRE(r.integration);
      REQUIRE(r.version == model_.integrations.at(r.integration->id).version);
      REQUIRE(r.integration->version == r.version);
    }
    if (c.idempotency) {
      model_.idempotency[{c.accountId, c.idempotency->key}] =
          MIdem{std::string(ev::Sha256::asView(c.idempotency->fingerprint)), now(),
                r.integration ? r.integration->id : std::string(), r.version, r.firstSeq,
                r.lastSeq};
    }
  }

  // The answer API.md prescribes, without changing the model.
  Expected predict(const commands::Command& c) {
    Expected e;
    // 400: the stateless rules (here: the two kinds of bad input randomCommand makes).
    if (const auto* create = std::get_if<commands::CreateIntegration>(&c.action)) {
      bool badScope = std::any_of(create->scopes.begin(), create->scopes.end(),
                                  [](const std::string& s) { return s == "not.a.scope"; });
      if (create->name.size() > 100 || badScope) {
        e.code = Code::invalidArgument;
        return e;
      }
    }
    // 403: permissions are set by admins only (a withdrawal of their own management right does
    // not matter); everything else needs "may manage".
    const User user{c.actor.userId, c.actor.role};
    const auto* setPermission = std::get_if<commands::SetPermission>(&c.action);
    if (setPermission ? c.actor.role != ev::Role::admin : !model_.mayManage(c.accountId, user)) {
      e.code = Code::permissionDenied;
      return e;
    }
    // Idempotency: within 24 hours a key answers as its first request did.
    if (c.idempotency) {
      auto it = model_.idempotency.find({c.accountId, c.idempotency->key});
      if (it != model_.idempotency.end() && now() - it->second.at < commands::kIdempotencyTtlMs) {
        if (it->second.fingerprint != ev::Sha256::asView(c.idempotency->fingerprint)) {
          e.code = Code::conflict;
          return e;
        }
        e.replayed = true;
        e.version = it->second.version;
        e.firstSeq = it->second.firstSeq;
        e.lastSeq = it->second.lastSeq;
        return e;
      }
    }
    if (setPermission) {
      // If-Match is checked against the user's permission stream.
      auto v = model_.permissionVersions.find({c.accountId, setPermission->userId});
      const uint32_t version = v == model_.permissionVersions.end() ? 0 : v->second;
      if (c.ifMatch && !c.ifMatch->matches(version)) e.code = Code::versionMismatch;
      return e;
    }
    if (std::holds_alternative<commands::CreateIntegration>(c.action)) {
      e.token = true;
      return e;
    }
    const auto& target = commands::targetIntegration(c.action);
    auto it = model_.integrations.find(target);
    if (it == model_.integrations.end() || it->second.deleted ||
        it->second.account != c.accountId) {
      e.code = Code::notFound;
      return e;
    }
    const auto& i = it->second;
    if (c.ifMatch && !c.ifMatch->matches(i.version)) {
      e.code = Code::versionMismatch;
      return e;
    }
    const Previous* pending = Model::pending(i, now());
    if (const auto* rot = std::get_if<commands::RotateToken>(&c.action)) {
      if (rot->expire == ExpireMode::later && pending) e.code = Code::conflict;
      e.token = e.code == Code::ok;
      return e;
    }
    if ((std::holds_alternative<commands::CancelRotation>(c.action) ||
         std::holds_alternative<commands::ExpireRotationNow>(c.action)) &&
        !pending) {
      e.code = Code::conflict;
    }
    return e;
  }

  // Applies a successful command to the model.
  void commit(const commands::Command& c, const commands::CommandResult& r) {
    if (const auto* p = std::get_if<commands::SetPermission>(&c.action)) {
      model_.permissions[{c.accountId, p->userId}] = p->allowed;
      const uint32_t version = ++model_.permissionVersions[{c.accountId, p->userId}];
      REQUIRE(r.version == version);
      model_.seq += 1;
      REQUIRE(r.userId == p->userId);
      REQUIRE(r.allowed == p->allowed);
      return;
    }
    if (const auto* create = std::get_if<commands::CreateIntegration>(&c.action)) {
      REQUIRE(r.integration);
      REQUIRE(r.token);
      REQUIRE_FALSE(model_.integrations.count(r.integration->id));
      MIntegration i;
      i.id = r.integration->id;
      i.account = c.accountId;
      i.scopes = create->scopes;
      std::sort(i.scopes.begin(), i.scopes.end());
      i.scopes.erase(std::unique(i.scopes.begin(), i.scopes.end()), i.scopes.end());
      i.version = 1;
      i.current = issue(*r.token, i.id);
      model_.integrations[i.id] = i;
      model_.order.push_back(i.id);
      model_.seq += 1;
      touchedIntegrations_.insert(i.id);
      return;
    }
    auto& i = model_.integrations.at(commands::targetIntegration(c.action));
    touchedIntegrations_.insert(i.id);
    for (const auto& p : i.previous) touched_.insert(p.token);
    touched_.insert(i.current);
    uint32_t events = 1;
    if (const auto* e = std::get_if<commands::EditIntegration>(&c.action)) {
      if (e->scopes) {
        auto s = *e->scopes;
        std::sort(s.begin(), s.end());
        s.erase(std::unique(s.begin(), s.end()), s.end());
        i.scopes = s;
      }
    } else if (const auto* rot = std::get_if<commands::RotateToken>(&c.action)) {
      REQUIRE(r.token);
      if (rot->expire == ExpireMode::later) {
        i.previous.push_back({i.current, now() + kWindow});
      } else {
        // Every valid token is expired: the current one and a pending previous one.
        events += 1;
        if (Model::pending(i, now())) events += 1;
        std::erase_if(i.previous, [&](const Previous& p) { return now() < p.deadline; });
      }
      i.current = issue(*r.token, i.id);
    } else if (std::holds_alternative<commands::CancelRotation>(c.action)) {
      const Previous* p = Model::pending(i, now());
      REQUIRE(p);
      const size_t restored = p->token;
      std::erase_if(i.previous, [&](const Previous& q) { return q.token == restored; });
      i.current = restored;
    } else if (std::holds_alternative<commands::ExpireRotationNow>(c.action)) {
      const Previous* p = Model::pending(i, now());
      REQUIRE(p);
      const size_t expired = p->token;
      std::erase_if(i.previous, [&](const Previous& q) { return q.token == expired; });
    } else if (std::holds_alternative<commands::DeleteIntegration>(c.action)) {
      i.deleted = true;
    }
    i.version += events;
    model_.seq += events;
  }

  size_t issue(const std::string& plaintext, const std::string& integration) {
    model_.tokens.push_back({plaintext, integration});
    touched_.insert(model_.tokens.size() - 1);
    return model_.tokens.size() - 1;
  }

  // ---- Checks ----

  void checkToken(size_t t) {
    const auto& token = model_.tokens[t];
    std::optional<ev::UnixMillis> deadline;
    const bool valid = model_.valid(t, now(), &deadline);
    auto v = engine_->verify(token.plaintext);
    INFO("token #" << t << " " << hintOf(token.plaintext) << " of " << token.integration
                   << " at " << ev::formatRfc3339(now()));
    REQUIRE(v.active == valid);
    if (!valid) return;
    const auto& i = model_.integrations.at(token.integration);
    REQUIRE(v.grant->integrationId() == i.id);
    REQUIRE(v.grant->accountId() == i.account);
    REQUIRE(v.grant->scopes() == i.scopes);
    REQUIRE(v.expiresAt == deadline);
    const auto& scope = scopes_[pick(scopes_.size())];
    auto withScope = engine_->verify(token.plaintext, std::string_view(scope));
    REQUIRE(withScope.allowed ==
            std::optional<bool>(std::binary_search(i.scopes.begin(), i.scopes.end(), scope)));
  }

  void checkTouched() {
    for (const auto& id : touchedIntegrations_) {
      const auto& i = model_.integrations.at(id);
      touched_.insert(i.current);
      for (const auto& p : i.previous) touched_.insert(p.token);
      checkView(i);
    }
    touchedIntegrations_.clear();
    for (size_t t : touched_) checkToken(t);
  }

  void checkView(const MIntegration& i) {
    INFO("integration " << i.id);
    auto view = engine_->integration(i.account, i.id);
    if (i.deleted) {
      REQUIRE_FALSE(view);
      return;
    }
    REQUIRE(view);
    REQUIRE(view->version == i.version);
    REQUIRE(view->scopes == i.scopes);
    std::set<ev::Digest> want, got;
    for (size_t t = 0; t < model_.tokens.size(); ++t) {
      if (model_.tokens[t].integration == i.id && model_.valid(t, now())) {
        want.insert(ev::sha256(model_.tokens[t].plaintext));
      }
    }
    for (const auto& t : view->validTokens(now())) got.insert(t.digest);
    REQUIRE((want == got));
    if (const Previous* p = Model::pending(i, now())) {
      REQUIRE(view->rotation);
      REQUIRE(view->rotation->previousExpiresAt == p->deadline);
    }
    if (i.previous.empty()) REQUIRE_FALSE(view->rotation);
  }

  void checkAllTokens() {
    for (size_t t = 0; t < model_.tokens.size(); ++t) checkToken(t);
    size_t live = 0;
    for (size_t t = 0; t < model_.tokens.size(); ++t) {
      const auto& i = model_.integrations.at(model_.tokens[t].integration);
      if (i.deleted) continue;
      if (i.current == t) ++live;
      for (const auto& p : i.previous) live += p.token == t;
    }
    // The token view holds the tokens still in the views (lapsed ones until the scheduler).
    REQUIRE(engine_->tokenCount() == live);
  }

  void checkStore() {
    auto problem = storeProblem(engine_->store());
    INFO((problem ? *problem : std::string()));
    REQUIRE_FALSE(problem);
  }

  TempDir dir_{"pitlog-core-model"};
  FakeClock clock_;
  std::unique_ptr<commands::Engine> engine_;
  std::mt19937_64 rng_;
  std::vector<std::string> scopes_;
  Model model_;
  std::vector<commands::Command> keyed_;
  std::set<size_t> touched_;
  std::set<std::string> touchedIntegrations_;
  std::map<std::string, int> tally_;
  std::string last_;
  int step_ = 0;
  bool trace_ = std::getenv("PITLOG_MODEL_TRACE") != nullptr;
};

}  // namespace

TEST_CASE("model: thousands of random commands agree with an independent model", "[model]") {
  const uint64_t seed = Catch::rngSeed() ? Catch::rngSeed() : std::random_device{}();
  INFO("seed " << seed << " (rerun with --rng-seed " << seed << ")");
  ModelRun run(seed);
  run.run(4000);
  std::ostringstream tally;
  for (const auto& [what, n] : run.tally()) tally << "  " << what << ": " << n << "\n";
  INFO("outcomes:\n" << tally.str());
  if (std::getenv("PITLOG_MODEL_TRACE")) WARN("seed " << seed << ", " << run.events() << " events, " << run.tokensIssued() << " tokens\n" << tally.str());
  // The mix must have exercised the paths it exists for.
  CHECK(run.tally().count("ok (replayed)") == 1);
  CHECK(run.tally().at("ok") > 500);
  CHECK(run.tally().at("conflict") > 20);
  CHECK(run.tally().at("not_found") > 20);
  CHECK(run.tally().at("permission_denied") > 20);
  CHECK(run.tally().at("version_mismatch") > 5);
  CHECK(run.tally().at("invalid_argument") > 5);
  CHECK(run.tokensIssued() > 300);
  CHECK(run.events() > 1000);
}
