#pragma once
// The console's sign-in links and sessions in cluster mode (API.md "Admin console": sessions hold
// in a cluster on any node): a ConsoleSessionStore over the JetStream key-value bucket
// "<stream>_CONSOLE" that every node shares. The rules stay in ConsoleSessions; this is storage.
//
// Key:   "link." or "session.", then the lowercase hex of the secret's SHA-256 (never the secret).
// Value: "<accountId> <userId> <role> <endsAt> <idleUntil> <spent>", times in Unix ms in
//        decimal, spent 0 or 1 (ids match ^[A-Za-z0-9._:-]{1,64}$: a space separates them).
// The revision is the bucket's: update() is kvStore_Update over the revision read, which the server
// refuses when another node wrote or deleted the key in between (single use across nodes).
//
// Expiry: the bucket's TTL (stream max age) is kMaxLifetime, 12 h, and the rules check every
// deadline themselves. The TTL only collects garbage: no entry is of use 12 h after its last write
// (a session's absolute deadline is at most 12 h after its first), and a per-key TTL does not exist
// in this server. The idle timeout and the 2-minute links are explicit checks, since a bucket-wide
// TTL cannot express them.
//
// Bounded waits: the store has its own JetStream context whose requests wait at most kRequestWait
// (1 s) for an answer, and it asks nothing while the connection is down: it answers `unavailable`
// at once. A call gives up at the first request that goes unanswered, after at most one more read
// (a failed write is followed by a read, to tell a lost race from no answer), so a console request
// holds its event loop for at most about 2 s on a NATS server that stopped answering, and not at
// all once the client knows the connection is lost (2 missed pings at 2 s intervals, or a closed
// socket).
//
// Thread-safety: none (the event loop's ConsoleSessions owns it). `conn` must outlive it.
#include <chrono>
#include <string>

#include "server/http/console_session_store.h"

typedef struct __kvStore kvStore;
typedef struct __jsCtx jsCtx;

namespace pitlog::cluster {

class NatsConnection;

struct ConsoleBucketSettings {
  std::string bucket;  // e.g. "<stream>_CONSOLE"
  int replicas = 1;
  std::chrono::milliseconds ttl{12 * 60 * 60 * 1000};  // ConsoleSessions::kMaxLifetimeMs
};

class KvConsoleSessionStore : public server::http::ConsoleSessionStore {
 public:
  static constexpr std::chrono::milliseconds kRequestWait{1000};

  // Nothing is asked of NATS here: the bucket is created or opened by the first call that can reach
  // a server.
  KvConsoleSessionStore(NatsConnection& conn, ConsoleBucketSettings settings);
  ~KvConsoleSessionStore() override;

  Status create(const server::http::ConsoleKey& key, const server::http::ConsoleEntry& entry,
                std::string* error) override;
  Read get(const server::http::ConsoleKey& key, std::string* error) override;
  Status update(const server::http::ConsoleKey& key, const server::http::ConsoleEntry& entry,
                uint64_t revision, std::string* error) override;
  Status remove(const server::http::ConsoleKey& key, std::string* error) override;

 private:
  // Connected, and the bucket opened (created when missing); false with *error otherwise.
  bool ready(std::string* error);

  NatsConnection& conn_;
  ConsoleBucketSettings settings_;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
};

}  // namespace pitlog::cluster
