#pragma once
// Shared by the tools' tests: a database with a known history, written by the real Engine under
// a fake clock; running a tool in-process with an argv array; tampering with a closed database
// the way an attacker with file access would; snapshots of a directory to prove nothing wrote.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "commands/engine.h"
#include "support/temp_dir.h"
#include "tool_context.h"

namespace pitlog::tools::testing {

using events::UnixMillis;

UnixMillis at(const char* rfc3339);
inline constexpr int64_t kHour = 3600 * 1000;
inline constexpr int64_t kDay = 24 * kHour;

// 2026-11-01T10:00:00.000Z: the first event of the known history.
extern const UnixMillis kT0;

struct ToolRun {
  int code = -1;
  std::string out, err;
  std::vector<std::string> lines() const;  // out, split at '\n'
};
ToolRun runTool(int (*tool)(const Argv&, ToolContext&), Argv argv);
// pit-dump / pit-replay with these arguments (the program name is added).
ToolRun dump(Argv args);
ToolRun replay(Argv args);

// The known history, one line per event:
//   1 t0      Created A "CRM sync" (acct-1, alice admin) scopes contacts.readonly   req-1
//   2 t0+1h   ScopesUpdated A: renamed "CRM sync v2", + contacts.write               req-2
//   3 t0+2h   PermissionChanged acct-1: bob allowed                                   req-3
//   4 t0+3h   Created B "Billing" (acct-2, carol admin) scopes businesses.readonly   req-4
//   5 t0+1d   RotationStarted A, expire later: T2 current, T1 valid until t0+8d      req-5
//   6 t0+9d   Expired A T1, window_elapsed (system)
//   7 t0+10d  RotationStarted A, expire now: T3 current                               req-7
//   8 t0+10d  Expired A T2, rotated_now                                               req-7
//   9 t0+11d  Deleted B (carol)                                                       req-9
class HistoryDb {
 public:
  HistoryDb();  // writes the history and closes the engine
  std::string dir() const { return dir_.sub("db"); }
  const pitlog::testing::TempDir& temp() const { return dir_; }

  // Opens an engine on the database (for live tests), clock at `now`.
  std::unique_ptr<commands::Engine> openEngine(UnixMillis now);
  // One more edit of A, through an engine (e.g. to grow the log after a checkpoint).
  static commands::CommandResult editA(commands::Engine& engine, const std::string& integrationA,
                                       const std::string& name);

  std::string a, b;                  // integration ids
  std::string t1, t2, t3, tb;        // plaintext tokens: A's three, B's one
  static std::string tokenId(const std::string& token);

 private:
  pitlog::testing::TempDir dir_;
  std::atomic<UnixMillis> now_{0};
};

// Tampering, on a closed database.
void putEvent(const std::string& dir, uint64_t seq, const std::string& bytes);
std::string getEvent(const std::string& dir, uint64_t seq);
void deleteEvent(const std::string& dir, uint64_t seq);
void putView(const std::string& dir, events::keys::Family f, const std::string& key,
             const std::string& value);
std::optional<std::string> getView(const std::string& dir, events::keys::Family f,
                                   const std::string& key);
void deleteView(const std::string& dir, events::keys::Family f, const std::string& key);
// Replaces the first occurrence of `from` by `to` (same length) in `bytes`.
std::string replaceOnce(std::string bytes, const std::string& from, const std::string& to);

// Every file below a directory with its contents: equal snapshots mean nothing was written.
std::map<std::string, std::string> snapshotTree(const std::string& dir);

// A stream several threads may write to while a test reads it (--follow runs in a thread).
class SyncStream : public std::ostream {
 public:
  SyncStream();
  std::string str() const;

 private:
  class Buf : public std::streambuf {
   public:
    std::string snapshot() const;

   protected:
    int overflow(int c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;

   private:
    mutable std::mutex mu_;
    std::string data_;  // GUARDED_BY(mu_)
  };
  Buf buf_;
};

}  // namespace pitlog::tools::testing
