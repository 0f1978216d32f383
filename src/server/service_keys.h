#pragma once
// The keys of the backend services allowed to call pitd (API.md: `Authorization: Bearer <key>`).
// Only SHA-256 digests of the keys are held in memory, and a presented key is compared against
// each of them in constant time, so neither the keys nor timing reveal anything.
//
// Thread-safety: immutable after construction; authenticate() may run on any thread. pitd
// replaces its keys on SIGHUP through SharedServiceKeys, below.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/digest.h"

namespace pitlog::server {

class ServiceKeys {
 public:
  // Reads a keys file: one key per line; blank lines and lines starting with '#' are ignored;
  // surrounding whitespace is trimmed. Throws std::runtime_error naming the file (never a key)
  // when it cannot be read, holds no key, or a key has characters a Bearer token cannot carry.
  static ServiceKeys loadFile(const std::string& path);

  // The default when no keys file is configured: <dataDir>/service.key, created at first start
  // with a fresh random key alone on its first line, mode 0600. *created tells whether this call
  // wrote it. Throws std::runtime_error naming the path on failure.
  static ServiceKeys loadOrCreateDefault(const std::string& dataDir, std::string* path,
                                         bool* created);

  // Parses keys file text (see loadFile). Throws std::invalid_argument naming the line.
  static ServiceKeys parse(std::string_view text);

  // The mode of a keys file that its group or others may read or write (e.g. 0644), nullopt when
  // only its owner may (or it cannot be examined). pitd warns: such a file gives any local user
  // the keys.
  static std::optional<unsigned> openToOthers(const std::string& path);

  // Keys shorter than this are guessable enough for pitd to warn about them at start.
  static constexpr size_t kMinKeyLength = 32;

  bool authenticate(std::string_view presented) const;
  size_t size() const { return digests_.size(); }
  size_t shortKeys() const { return shortKeys_; }

 private:
  std::vector<events::Digest> digests_;
  size_t shortKeys_ = 0;
};

// The keys every HTTP loop and the RPC port authenticate with. replace() (SIGHUP) switches all of
// them at one instant: a request that starts after it returns sees the new keys, on any thread -
// never the old keys on one loop and the new on another. Each thread keeps its own pointer to the
// current keys and looks again only when a reload moved the version, so a request costs one
// atomic load and no shared write.
//
// Thread-safety: every method on any thread.
class SharedServiceKeys {
 public:
  explicit SharedServiceKeys(ServiceKeys keys);

  void replace(ServiceKeys keys);
  // The keys in use, valid until this thread's next call.
  const ServiceKeys& current() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ServiceKeys> keys_;  // GUARDED_BY(mu_)
  // Moved by each replace(), after keys_; unique across the process's objects, so that a thread's
  // cached view never mistakes a new object for one destroyed at the same address.
  std::atomic<uint64_t> version_;
};

}  // namespace pitlog::server
