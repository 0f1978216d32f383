#pragma once
// Raw loopback sockets and process figures for the connection tests: clients that misbehave on
// purpose (silent, half a message, never reading), and what pitd holds meanwhile.
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>

namespace pitlog::testing {

// A blocking TCP connection to 127.0.0.1:port; -1 when it cannot be made. The caller closes it.
int tcpConnect(int port);

// Writes every byte (MSG_NOSIGNAL); false once the peer has gone.
bool sendAll(int fd, const void* data, size_t size);
inline bool sendAll(int fd, const std::string& bytes) { return sendAll(fd, bytes.data(), bytes.size()); }

// Reads and discards until the peer closes (true) or `bound` passes with it still open (false).
bool closedByPeerWithin(int fd, std::chrono::milliseconds bound);

// True when the peer has not closed the connection (nothing says end-of-stream right now).
bool stillOpen(int fd);

// Reads until the peer closes or `bound` passes; returns what arrived.
std::string readUntilClosed(int fd, std::chrono::milliseconds bound, bool* closed);

// The resident set size of a process, in KiB (0 when it cannot be read).
size_t residentKib(pid_t pid);

// Built with the sanitizers (PITLOG_SANITIZE: ASan and UBSan together).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif

// Lowers this process's soft RLIMIT_NOFILE for as long as it lives, so that a pitd started
// meanwhile inherits it; the previous limit comes back at destruction.
class LowFdLimit {
 public:
  // Why a pitd cannot be run out of descriptors in this build, or nullptr when it can: UBSan
  // checks a vtable by writing it into a pipe, which EMFILE denies, so every first call through
  // a new type while pitd is out of descriptors is reported as an invalid vptr. The Release build
  // runs those tests; each starts with
  //   if (const char* why = LowFdLimit::unusableBecause()) { WARN(why); return; }
  static const char* unusableBecause() {
    return kSanitizedBuild
               ? "skipped under the sanitizers: UBSan's vptr check cannot run without a descriptor"
               : nullptr;
  }

  explicit LowFdLimit(rlim_t soft);
  ~LowFdLimit();
  LowFdLimit(const LowFdLimit&) = delete;
  LowFdLimit& operator=(const LowFdLimit&) = delete;

 private:
  rlimit saved_{};
};

}  // namespace pitlog::testing
