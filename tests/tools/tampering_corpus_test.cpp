// The tampering corpus: each row alters a stopped copy of the known history (tool_fixture.h)
// through the store's own key grammar (events/keys.h), the way an attacker with file access
// would, then runs pit-replay and checks the exit code, the sequence it names and the words it
// uses. RELIABILITY.md's tampering table is this table.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <sstream>

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>

#include "events/digest.h"
#include "events/store.h"
#include "events/keys.h"
#include "pit_replay.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {
namespace {

using events::keys::Family;
namespace keys = events::keys;

struct Case {
  const char* name;
  std::function<void(const HistoryDb&)> tamper;
  std::vector<std::string> command;  // after --data DIR
  int code;
  const char* seq;     // "first failing sequence: N", or "" when the finding names none
  const char* phrase;  // in the tool's output
};

std::string failingSeq(const std::string& out) {
  static const std::string kLabel = "first failing sequence: ";
  auto pos = out.find(kLabel);
  if (pos == std::string::npos) return "";
  pos += kLabel.size();
  return out.substr(pos, out.find('\n', pos) - pos);
}

void putMeta(const HistoryDb& db, std::string_view key, const std::string& value) {
  putView(db.dir(), Family::meta, std::string(key), value);
}

const std::vector<std::string> kVerify = {"verify"};
const std::vector<std::string> kAsOfFuture = {"as-of", "--at", "2030-01-01T00:00:00Z"};

std::vector<Case> corpus() {
  return {
      {"meta/last_seq one byte changed (2^32 + 9)",
       [](const HistoryDb& db) { putMeta(db, keys::kMetaLastSeq, keys::fixed64((1ULL << 32) + 9)); },
       kVerify, kExitFinding, "", "meta/last_seq is damaged"},
      {"meta/last_seq one byte changed (2^32 + 9), as-of",
       [](const HistoryDb& db) { putMeta(db, keys::kMetaLastSeq, keys::fixed64((1ULL << 32) + 9)); },
       kAsOfFuture, kExitFinding, "", "meta/last_seq is damaged"},
      {"meta/last_seq high byte set (0xFF00000000000009)",
       [](const HistoryDb& db) { putMeta(db, keys::kMetaLastSeq, keys::fixed64(0xFF00000000000009ULL)); },
       kVerify, kExitFinding, "", "meta/last_seq is damaged"},
      {"meta/last_seq deleted",
       [](const HistoryDb& db) { deleteView(db.dir(), Family::meta, std::string(keys::kMetaLastSeq)); },
       kVerify, kExitFinding, "", "meta/last_seq is missing, but the log holds events (to 9)"},
      {"meta/schema_version deleted",
       [](const HistoryDb& db) {
         deleteView(db.dir(), Family::meta, std::string(keys::kMetaSchemaVersion));
       },
       kVerify, kExitFinding, "", "meta/schema_version is missing"},
      {"meta/schema_version 0",
       [](const HistoryDb& db) { putMeta(db, keys::kMetaSchemaVersion, keys::fixed32(0)); },
       kVerify, kExitFinding, "", "meta/schema_version is 0"},
      {"a meta key pitlog never writes",
       [](const HistoryDb& db) { putMeta(db, "last_seq2", keys::fixed64(9)); },
       kVerify, kExitFinding, "", "the meta family holds a key pitlog never writes"},
      {"streams entry (A, version 2) deleted",
       [](const HistoryDb& db) { deleteView(db.dir(), Family::streams, keys::streamKey(db.a, 2)); },
       kVerify, kExitFinding, "2", "streams view"},
      {"streams entry (A, version 2) pointed at another account's event",
       [](const HistoryDb& db) {
         putView(db.dir(), Family::streams, keys::streamKey(db.a, 2), keys::fixed64(4));
       },
       kVerify, kExitFinding, "2", "stored value differs from the rebuild"},
      {"streams entry forged (A, version 9)",
       [](const HistoryDb& db) {
         putView(db.dir(), Family::streams, keys::streamKey(db.a, 9), keys::fixed64(9));
       },
       kVerify, kExitFinding, "9", "stored but absent from the rebuild"},
      {"one byte of event 2, as-of --seq 2",
       [](const HistoryDb& db) {
         putEvent(db.dir(), 2, replaceOnce(getEvent(db.dir(), 2), "contacts.write", "contacts.wrote"));
       },
       {"as-of", "--seq", "2"}, kExitFinding, "", "damaged at event 2"},
      {"the last event altered, as-of a future moment",
       [](const HistoryDb& db) {
         putEvent(db.dir(), 9, replaceOnce(getEvent(db.dir(), 9), "req-9", "req-8"));
       },
       kAsOfFuture, kExitFinding, "", "damaged at event 9"},
      {"a stray 9-byte key in the events family",
       [](const HistoryDb& db) {
         putView(db.dir(), Family::events, keys::eventKey(4) + "x", "junk");
       },
       kVerify, kExitFinding, "5", "not an event key: 0x0000000000000004" "78 (9 bytes, not 8), after event 4"},
      {"a stray 7-byte key in the events family",
       [](const HistoryDb& db) { putView(db.dir(), Family::events, std::string(7, '\xff'), "junk"); },
       kVerify, kExitFinding, "10", "(7 bytes, not 8), after event 9"},
      {"an event under key 0",
       [](const HistoryDb& db) {
         putView(db.dir(), Family::events, keys::eventKey(0), getEvent(db.dir(), 1));
       },
       kVerify, kExitFinding, "1", "(sequence 0 or beyond the largest pitlog writes), before event 1"},
      {"a forged tokens entry",
       [](const HistoryDb& db) {
         auto digest = events::sha256("pit_forged");
         auto real = events::sha256(db.t3);
         auto entry = getView(db.dir(), Family::tokens, std::string(events::Sha256::asView(real)));
         REQUIRE(entry);
         putView(db.dir(), Family::tokens, std::string(events::Sha256::asView(digest)), *entry);
       },
       kVerify, kExitFinding, "8", "tokens view"},
  };
}

// The line that states the finding: the first FAILED line, else the tool's diagnostic.
std::string findingLine(const ToolRun& run) {
  for (const auto& text : {run.out, run.err}) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("FAILED") != std::string::npos || line.rfind("pit-replay:", 0) == 0) {
        return line;
      }
    }
  }
  return "(none)";
}

// With PITLOG_TAMPERING_TABLE=FILE, each case appends its measured row (RELIABILITY.md's table).
void recordRow(const Case& c, const ToolRun& run) {
  const char* path = std::getenv("PITLOG_TAMPERING_TABLE");
  if (path == nullptr) return;
  std::string command;
  for (const auto& a : c.command) command += (command.empty() ? "" : " ") + a;
  const std::string seq = failingSeq(run.out);
  std::ofstream(path, std::ios::app) << "| " << c.name << " | `" << command << "` | " << run.code
                                     << " | " << (seq.empty() ? "—" : seq) << " | "
                                     << findingLine(run) << " |\n";
}

}  // namespace

TEST_CASE("tampering corpus: each alteration is named with its exit code and sequence",
          "[pit-replay][tampering]") {
  for (const auto& c : corpus()) {
    DYNAMIC_SECTION(c.name) {
      HistoryDb db;
      c.tamper(db);
      std::vector<std::string> args = {"--data", db.dir()};
      args.insert(args.end(), c.command.begin(), c.command.end());
      auto run = replay(args);
      INFO(run.out << run.err);
      recordRow(c, run);
      CHECK(run.code == c.code);
      CHECK(failingSeq(run.out) == c.seq);
      CHECK_THAT(run.out + run.err, Catch::Contains(c.phrase));
    }
  }
}

TEST_CASE("as-of --seq inside a command answers at the command's end and says so",
          "[pit-replay][as-of]") {
  HistoryDb db;
  // Events 7 and 8 are one rotate-now command (req-7): T3 current, T2 expired at once.
  auto inside = replay({"--data", db.dir(), "as-of", "--seq", "7", "--integration", db.a});
  INFO(inside.out << inside.err);
  CHECK(inside.code == kExitOk);
  CHECK_THAT(inside.out, Catch::Contains("through event 8"));
  CHECK_THAT(inside.err, Catch::Contains("event 7 is inside a command that ends at event 8"));
  CHECK_THAT(inside.out, !Catch::Contains(HistoryDb::tokenId(db.t2)));
  auto end = replay({"--data", db.dir(), "as-of", "--seq", "8", "--integration", db.a});
  CHECK(end.out == inside.out);
  CHECK(end.err.empty());
}

}  // namespace pitlog::tools::testing

namespace pitlog::tools::testing {
namespace {

// The SST files of the events family in a closed database.
std::vector<std::string> eventFiles(const std::string& dir) {
  events::Store::Options o;
  o.path = dir;
  o.mode = events::Store::Mode::readOnly;
  auto store = events::Store::open(o);
  std::vector<rocksdb::LiveFileMetaData> files;
  store->db().GetLiveFilesMetaData(&files);
  std::vector<std::string> out;
  for (const auto& f : files) {
    if (f.column_family_name == keys::kEvents) out.push_back(f.db_path + f.name);
  }
  return out;
}

uint64_t numberAfter(const std::string& text, const std::string& label) {
  auto pos = text.find(label);
  REQUIRE(pos != std::string::npos);
  return std::stoull(text.substr(pos + label.size()));
}

}  // namespace

TEST_CASE("a damaged storage block: pit-dump goes on past it, verify names the events lost",
          "[pit-replay][pit-dump][tampering]") {
  HistoryDb db;
  {
    // Enough events for several blocks, so that some come after the damaged one.
    auto engine = db.openEngine(kT0 + 20 * kDay);
    for (int i = 0; i < 80; ++i) HistoryDb::editA(*engine, db.a, "edit number " + std::to_string(i));
  }
  auto files = eventFiles(db.dir());
  REQUIRE(!files.empty());
  // The largest file: the 80 edits, in several blocks.
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) < std::filesystem::file_size(b);
  });
  {
    std::fstream sst(files.back(), std::ios::in | std::ios::out | std::ios::binary);
    sst.seekg(200);
    char c = 0;
    sst.read(&c, 1);
    sst.seekp(200);
    c = static_cast<char>(c ^ 0x5a);
    sst.write(&c, 1);
  }

  auto dumped = dump({"--data", db.dir()});
  INFO(dumped.out << dumped.err);
  CHECK(dumped.code == kExitFinding);
  const auto line = dumped.out.find("  DAMAGED  unreadable, through ");
  REQUIRE(line != std::string::npos);
  const uint64_t lostFrom = std::stoull(dumped.out.substr(dumped.out.rfind('\n', line) + 1));
  const uint64_t lostTo = numberAfter(dumped.out, "DAMAGED  unreadable, through ");
  CHECK(lostFrom >= 1);
  CHECK(lostTo >= lostFrom);
  CHECK(lostTo < 89);
  // Every event before and after the damaged block is still printed, and one line for it.
  CHECK(dumped.lines().size() == (lostFrom - 1) + 1 + (89 - lostTo));
  CHECK_THAT(dumped.out, Catch::Contains("edit number 79"));

  auto verified = replay({"--data", db.dir(), "verify"});
  INFO(verified.out << verified.err);
  CHECK(verified.code == kExitFinding);
  CHECK_THAT(verified.out, Catch::Contains("events " + std::to_string(lostFrom) + " to " +
                                           std::to_string(lostTo) +
                                           " cannot be read: the storage holding them is damaged"));
  CHECK_THAT(verified.out, Catch::Contains("first failing sequence: " + std::to_string(lostFrom)));
}

}  // namespace pitlog::tools::testing
