#pragma once
// An Engine on a temp dir served by serveRpc() on 127.0.0.1:<free port>, and RpcClient
// connections to it, all on this thread's KJ event loop: every call below sends a real RPC over a
// real socket and waits for its answer while the loop also runs the server.
//
// Answers are copied into plain structs so that tests read like API.md. A plaintext token is held
// in a Secret, which Catch cannot print: a failing check never shows a token.
#include <kj/async-io.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/engine.h"
#include "server/rpc/rpc_client.h"
#include "support/temp_dir.h"

namespace pitlog::rpc::testing {

// A plaintext token. No operator<< on purpose.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  bool empty() const { return value_.empty(); }
  const std::string& reveal() const { return value_; }
  bool operator==(const Secret& other) const { return value_ == other.value_; }

 private:
  std::string value_;
};

struct Actor {
  std::string accountId = "acme";
  std::string userId = "alice";
  schema::Actor::Role role = schema::Actor::Role::ADMIN;
};
Actor admin(std::string account = "acme", std::string user = "alice");
Actor user(std::string account = "acme", std::string user = "bob");

struct Options {
  std::string requestId;
  std::optional<std::string> idempotencyKey;  // unset: none; "" is sent (and refused)
  enum class IfMatch { none, any, versions } ifMatchKind = IfMatch::none;
  std::vector<uint32_t> ifMatch;
  static Options key(std::string k) { return {{}, std::move(k), IfMatch::none, {}}; }
  static Options version(uint32_t v) { return {{}, {}, IfMatch::versions, {v}}; }
  static Options any() { return {{}, {}, IfMatch::any, {}}; }
};

struct Token {
  std::string tokenId, hint, state, issuedAt;
  std::optional<std::string> expiresAt;
  std::optional<std::string> lastUsedAt;
};

struct Integration {
  std::string id, accountId, name, description;
  std::vector<std::string> scopes;
  std::string status;
  uint32_t version = 0;
  std::string createdAt, createdBy, updatedAt;
  std::vector<Token> tokens;
  std::optional<std::string> rotationStartedAt, rotationPreviousExpiresAt;
  const Token* current() const;
  const Token* previous() const;
};

// Every answer: "ok" or API.md's error code, with message and field.
struct Outcome {
  std::string code = "ok";
  std::string message;
  std::string field;
  bool ok() const { return code == "ok"; }
};

struct IntegrationReply : Outcome {
  Integration integration;
  Secret token;  // empty when the answer carried none
  bool hasToken = false;
  bool replayed = false;
};

struct DeleteReply : Outcome {
  uint32_t version = 0;
  bool replayed = false;
};

struct ListReply : Outcome {
  std::vector<Integration> integrations;
};

struct Event {
  uint64_t seq = 0;
  std::string streamId;
  uint32_t streamVersion = 0;
  std::string eventId, at, actorAccountId, actorUserId, actorRole, requestId, type, prevHash, hash;
  // data, flattened: whatever the type carries
  std::string name, description, userId, reason, source, previousExpiresAt;
  std::vector<std::string> scopes;
  std::vector<std::string> tokenIds;  // every tokenId the data names, in schema order
  std::string tokenHint;
  bool expireNow = false, allowed = false;
};

struct EventsReply : Outcome {
  std::vector<Event> events;
  std::optional<uint64_t> next;  // audit only
};

struct PermissionReply : Outcome {
  std::string userId;
  std::string source;  // "default", "grant", "withdrawal"
  std::optional<bool> allowed;
  uint32_t version = 0;
  bool replayed = false;
};

struct RevokeReply : Outcome {
  uint32_t received = 0;
};

struct Introspection {
  bool active = false;
  std::string scope, tokenType, accountId, integrationId;
  int64_t iat = 0;
  std::optional<int64_t> exp;
  std::optional<bool> allowed;
  bool otherFieldsUnset = true;  // for an inactive answer: nothing but active=false
};

inline constexpr const char* kServiceKey = "test-service-key-0123456789abcdef";

class Harness {
 public:
  // Starts at 2026-11-28T17:00:00.000Z; the clock moves only when a test advances it.
  explicit Harness(int64_t rotationWindowMs = 7LL * 24 * 3600 * 1000);
  // A client of another server (a real pitd) on 127.0.0.1:rpcPort, logged in with `serviceKey`:
  // every call below works, engine(), settle() and advance() do not (there is no engine here).
  Harness(int rpcPort, const std::string& serviceKey);
  ~Harness();

  commands::Engine& engine() { return *engine_; }
  kj::WaitScope& waitScope() { return io_.waitScope; }
  const std::string& dataDir() const { return dataDir_; }
  void advance(int64_t ms) { clock_ += ms; }
  events::UnixMillis now() const { return clock_.load(); }
  // Waits until every command queued so far (e.g. by engine().scheduleDueExpiries()) is committed.
  void settle();

  // A new connection; its gateway only.
  kj::Own<RpcClient> connect();
  // A new connection's login with this key.
  Outcome login(const std::string& key);
  // The default session (logged in with kServiceKey on the harness's first connection).
  schema::Session::Client& session() { return session_; }

  IntegrationReply create(const Actor& a, const std::string& name,
                          const std::vector<std::string>& scopes, const std::string& description = "",
                          const Options& o = {});
  ListReply list(const Actor& a, bool includeDeleted = false,
                 std::optional<uint32_t> staleAfterDays = std::nullopt);
  IntegrationReply get(const Actor& a, const std::string& id, const std::string& asOf = "");
  IntegrationReply edit(const Actor& a, const std::string& id, std::optional<std::string> name,
                        std::optional<std::string> description = std::nullopt,
                        std::optional<std::vector<std::string>> scopes = std::nullopt,
                        const Options& o = {});
  IntegrationReply rotate(const Actor& a, const std::string& id, schema::Expire expire,
                          const Options& o = {});
  IntegrationReply cancelRotation(const Actor& a, const std::string& id, const Options& o = {});
  IntegrationReply expireNow(const Actor& a, const std::string& id, const Options& o = {});
  DeleteReply remove(const Actor& a, const std::string& id, const Options& o = {});
  EventsReply events(const Actor& a, const std::string& id);
  EventsReply audit(const Actor& a, uint64_t after = 0, uint32_t limit = 100,
                    const std::string& since = "", const std::string& until = "");
  PermissionReply getPermission(const Actor& a, const std::string& user);
  PermissionReply setPermission(const Actor& a, const std::string& user, bool allowed,
                                const Options& o = {});
  std::vector<std::string> scopes();
  Introspection introspect(const Secret& token,
                           std::optional<std::string> requiredScope = std::nullopt);
  Introspection introspect(const std::string& notAToken);
  // Token strings as a caller found them (Secrets, or any text), and where.
  RevokeReply revoke(const std::vector<std::string>& tokens,
                     std::optional<std::string> source = std::nullopt,
                     const std::string& requestId = "");

 private:
  pitlog::testing::TempDir dir_{"pitlog-rpc"};
  std::string dataDir_;
  std::atomic<int64_t> clock_;
  std::unique_ptr<commands::Engine> engine_;
  kj::AsyncIoContext io_;
  kj::Own<kj::ConnectionReceiver> listener_;
  uint port_ = 0;
  kj::Promise<void> serving_ = nullptr;
  kj::Own<RpcClient> client_;
  schema::Session::Client session_ = nullptr;
};

}  // namespace pitlog::rpc::testing
