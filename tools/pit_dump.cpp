#include "pit_dump.h"

#include <kj/exception.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "cli.h"
#include "database.h"
#include "event_text.h"
#include "projections/event_scan.h"
#include "events/event_json.h"
#include "events/log.h"
#include "json_output.h"

namespace pitlog::tools {
namespace {

using events::DecodedEvent;
using events::UnixMillis;
using events::schema::Event;
using Type = Event::Body::Which;

constexpr Type kAllTypes[] = {Event::Body::CREATED,          Event::Body::SCOPES_UPDATED,
                              Event::Body::ROTATION_STARTED, Event::Body::ROTATION_CANCELLED,
                              Event::Body::EXPIRED,          Event::Body::DELETED,
                              Event::Body::PERMISSION_CHANGED, Event::Body::WEBHOOK_SUBSCRIBED,
                              Event::Body::WEBHOOK_REMOVED};

enum class Format { text, json };

struct DumpOptions {
  std::string dataDir;
  Format format = Format::text;
  uint64_t from = 1;
  uint64_t to = 0;  // 0: no bound
  std::optional<std::string> stream;
  std::optional<std::string> account;
  std::set<Type> types;  // empty: every type
  std::optional<UnixMillis> since, until;
  std::optional<uint64_t> limit;
  bool follow = false;
  bool stats = false;
};

const char* kExamples = R"(Examples:
  pit-dump --data /var/lib/pitlog                         every event, one line each
  pit-dump --data /var/lib/pitlog --format json | jq .    API.md's event JSON, one per line
  pit-dump --data DIR --account acct-1 --type Created --type Deleted
  pit-dump --data DIR --since 2026-11-01T00:00:00Z --until 2026-11-30T23:59:59Z
  pit-dump --data DIR --from 1000 --limit 20              20 events from sequence 1000
  pit-dump --data DIR --follow                            print new events as pitd writes them
  pit-dump --data DIR --stats                             counts, sizes and the chain head

Exit status: 0 done; 1 a damaged event was reported (the dump went on); 2 bad usage or the
database could not be opened.)";

po::options_description dumpOptionsDescription() {
  po::options_description o("pit-dump --data DIR [options]\n\n"
                            "Prints the events of a pitlog database, live or stopped, without "
                            "changing it.\nA database held by a running pitd is read as a RocksDB "
                            "secondary; a stopped one read-only.\n\nOptions");
  o.add_options()
      ("help,h", "print this help")
      ("data", po::value<std::string>()->value_name("DIR"), "the database directory (required)")
      ("format", po::value<std::string>()->value_name("text|json")->default_value("text"),
       "text: one line per event (seq, time, type, stream, actor, data);\n"
       "json: one event per line in API.md's `event` shape")
      ("from", po::value<std::string>()->value_name("SEQ"), "first sequence (inclusive)")
      ("to", po::value<std::string>()->value_name("SEQ"), "last sequence (inclusive)")
      ("stream", po::value<std::string>()->value_name("ID"),
       "one stream: an integration id, perm/<account>/<user> or webhook/<account>/<id>")
      ("account", po::value<std::string>()->value_name("ID"),
       "events of one account (tenant), the system's included")
      ("type", po::value<std::vector<std::string>>()->value_name("TYPE"),
       "Created, ScopesUpdated, RotationStarted, RotationCancelled, Expired, Deleted or "
       "PermissionChanged, WebhookSubscribed or WebhookRemoved; repeat it (or separate with commas) for several")
      ("since", po::value<std::string>()->value_name("TIME"), "events at or after this RFC 3339 time")
      ("until", po::value<std::string>()->value_name("TIME"), "events at or before this RFC 3339 time")
      ("limit", po::value<std::string>()->value_name("N"), "stop after N events")
      ("follow,f", "after the existing events, print new ones as they are written (polls every "
                   "200 ms) until interrupted (SIGINT, SIGTERM)")
      ("stats", "instead of events: counts by type, top accounts, first and last time, bytes per "
                "column family, the chain head (honours the filters; --format json for JSON)");
  return o;
}

DumpOptions parseDumpOptions(const po::variables_map& vm) {
  DumpOptions o;
  o.dataDir = dataOption(vm);
  const std::string format = vm["format"].as<std::string>();
  if (format == "json") {
    o.format = Format::json;
  } else if (format != "text") {
    throw UsageError("--format must be text or json, not '" + format + "'");
  }
  o.from = countOption(vm, "from", 1).value_or(1);
  o.to = countOption(vm, "to", 1).value_or(0);
  if (o.to != 0 && o.to < o.from) throw UsageError("--to is before --from");
  o.stream = stringOption(vm, "stream");
  o.account = stringOption(vm, "account");
  if (vm.count("type")) {
    for (const auto& arg : vm["type"].as<std::vector<std::string>>()) {
      size_t start = 0;
      while (start <= arg.size()) {
        size_t comma = arg.find(',', start);
        std::string name = arg.substr(start, comma == std::string::npos ? comma : comma - start);
        if (!name.empty()) {
          auto type = events::typeFromName(name);
          if (!type) {
            throw UsageError("--type '" + name + "' is not an event type (Created, ScopesUpdated, "
                             "RotationStarted, RotationCancelled, Expired, Deleted, "
                             "PermissionChanged, WebhookSubscribed, WebhookRemoved)");
          }
          o.types.insert(*type);
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  o.since = sinceOption(vm, "since");
  o.until = timeOption(vm, "until");
  if (o.since && o.until && *o.until < *o.since) throw UsageError("--until is before --since");
  o.limit = countOption(vm, "limit", 1);
  o.follow = vm.count("follow") > 0;
  o.stats = vm.count("stats") > 0;
  if (o.follow && o.stats) throw UsageError("--follow and --stats do not go together");
  return o;
}

// What --stats gathers over the events that pass the filters.
struct Stats {
  uint64_t matched = 0;
  uint64_t damaged = 0;
  std::optional<uint64_t> firstSeq, lastSeq;
  std::optional<UnixMillis> firstAt, lastAt;
  std::map<Type, uint64_t> byType;
  std::map<std::string, uint64_t> byAccount;

  void add(const DecodedEvent& e) {
    auto r = e.reader();
    matched++;
    if (!firstSeq) firstSeq = r.getSeq(), firstAt = r.getAt();
    lastSeq = r.getSeq();
    lastAt = r.getAt();
    byType[r.getBody().which()]++;
    std::string account(events::textView(r.getAccountId()));
    byAccount[account.empty() ? "(none)" : account]++;
  }

  std::vector<std::pair<std::string, uint64_t>> topAccounts(size_t n) const {
    std::vector<std::pair<std::string, uint64_t>> v(byAccount.begin(), byAccount.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > n) v.resize(n);
    return v;
  }
};

// Walks the log from a position, printing (or counting) what passes the filters. Called again
// after each catch-up in --follow mode; it resumes where it stopped.
class Dumper {
 public:
  Dumper(const DumpOptions& options, ToolContext& ctx, events::Store& store, Stats* stats)
      : options_(options), ctx_(ctx), store_(&store), stats_(stats), next_(options.from) {}

  // Visits every stored event from the resume point to --to (or the end).
  void scan() {
    if (done()) return;
    if (options_.stream) {
      // The stream index names the stream's events; no need to read the rest of the log.
      for (uint64_t seq : events::streamSequences(*store_, *options_.stream)) {
        if (seq < next_) continue;
        if (options_.to != 0 && seq > options_.to) break;
        auto bytes = events::readEvent(*store_, seq);
        if (!bytes) {
          damaged(seq, "listed in the index of stream " + *options_.stream + " but not stored");
        } else {
          visit(seq, *bytes);
        }
        next_ = seq + 1;
        if (done()) return;
      }
      return;
    }
    // Past a damaged storage block: a DAMAGED line for the sequences it held, then on.
    auto unreadable = [&](const projections::UnreadableEvents& lost) {
      damaged(lost.first, "unreadable" +
                              (lost.last ? ", through " + std::to_string(*lost.last)
                                         : std::string(", through the end of the log")) +
                              ": the storage holding it is damaged (" + lost.why + ")");
      if (lost.last) next_ = *lost.last + 1;
      return lost.last.has_value();
    };
    const std::string end = options_.to == 0 ? std::string() : events::keys::eventKey(options_.to + 1);
    projections::scanEventsPastDamage(*store_, events::keys::eventKey(next_), end,
                                      [&](std::string_view key, std::string_view bytes) {
      const uint64_t seq = events::keys::readFixed64(key).value_or(0);
      if (seq < next_) {  // a key that is not 8 bytes reads as 0
        damaged(seq, "stored under a malformed key");
        return true;
      }
      if (seq > next_) {
        damaged(next_, seq - 1 == next_ ? "missing from the log"
                                        : "missing from the log, through " +
                                              std::to_string(seq - 1));
      }
      visit(seq, bytes);
      next_ = seq + 1;
      return !done();
    }, unreadable);
  }

  // After the database was reopened.
  void reattach(events::Store& store) { store_ = &store; }

  bool done() const {
    // A reader that went away (`pit-dump | head -1`): nothing more can be printed.
    if (!ctx_.out.good()) return true;
    return (options_.limit && printed_ >= *options_.limit) ||
           (options_.to != 0 && next_ > options_.to);
  }
  uint64_t damagedCount() const { return damaged_; }

 private:
  void visit(uint64_t seq, std::string_view bytes) {
    std::string error;
    auto event = DecodedEvent::decode(bytes, &error);
    if (!event) return damaged(seq, error);
    if (!matches(event->reader())) return;
    printed_++;
    if (stats_) return stats_->add(*event);
    if (options_.format == Format::json) {
      ctx_.out << events::eventToJson(*event) << '\n';
    } else {
      printText(*event);
    }
  }

  bool matches(Event::Reader e) const {
    if (options_.account && events::textView(e.getAccountId()) != *options_.account) return false;
    if (options_.stream && events::textView(e.getStreamId()) != *options_.stream) return false;
    if (!options_.types.empty() && !options_.types.count(e.getBody().which())) return false;
    if (options_.since && e.getAt() < *options_.since) return false;
    if (options_.until && e.getAt() > *options_.until) return false;
    return true;
  }

  void printText(const DecodedEvent& event) {
    auto e = event.reader();
    char seq[24];
    std::snprintf(seq, sizeof(seq), "%8llu", static_cast<unsigned long long>(e.getSeq()));
    std::string type = events::typeName(e.getBody().which());
    type.resize(std::max<size_t>(type.size(), 17), ' ');
    ctx_.out << seq << "  " << events::formatRfc3339(e.getAt()) << "  " << type << "  "
             << events::textView(e.getStreamId()) << "  " << actorShort(e.getActor());
    std::string summary = dataSummary(e.getBody());
    if (!summary.empty()) ctx_.out << "  " << summary;
    if (e.getRequestId().size() > 0) ctx_.out << "  req=" << events::textView(e.getRequestId());
    ctx_.out << '\n';
  }

  // A damaged value is reported whatever the filters (it might be the event being looked for);
  // the dump goes on. JSON output stays parseable: the report goes to the error stream.
  void damaged(uint64_t seq, const std::string& why) {
    damaged_++;
    if (stats_) {
      stats_->damaged++;
    } else if (options_.format == Format::text) {
      char buf[24];
      std::snprintf(buf, sizeof(buf), "%8llu", static_cast<unsigned long long>(seq));
      ctx_.out << buf << "  DAMAGED  " << why << '\n';
    }
    ctx_.err << "pit-dump: event " << seq << " is damaged: " << why << '\n';
  }

  const DumpOptions& options_;
  ToolContext& ctx_;
  events::Store* store_;
  Stats* stats_;
  uint64_t next_;
  uint64_t printed_ = 0;
  uint64_t damaged_ = 0;
};

void printStats(const DumpOptions& options, ToolContext& ctx, const ReadingDatabase& db,
                events::Store& store, const Stats& s) {
  const uint64_t headSeq = store.lastSeq();
  const std::string headHash = events::toHex(store.chainHead());
  if (options.format == Format::json) {
    capnp::MallocMessageBuilder message;
    auto j = message.initRoot<json::DumpStats>();
    j.setDatabase(options.dataDir);
    j.setMode(db.describeMode());
    j.setMatched(seqField(s.matched));
    j.setDamaged(seqField(s.damaged));
    auto number = [](capnp::JsonValue::Builder v, const std::optional<uint64_t>& n) {
      if (n) {
        v.setNumber(static_cast<double>(*n));
      } else {
        v.setNull();
      }
    };
    auto time = [](const std::optional<UnixMillis>& t) -> std::optional<std::string> {
      if (!t) return std::nullopt;
      return events::formatRfc3339(*t);
    };
    number(j.initFirstSeq(), s.firstSeq);
    number(j.initLastSeq(), s.lastSeq);
    setStringOrNull(j.initFirstAt(), time(s.firstAt));
    setStringOrNull(j.initLastAt(), time(s.lastAt));
    auto types = j.initByType(std::size(kAllTypes));
    for (unsigned i = 0; i < std::size(kAllTypes); ++i) {
      types[i].setName(events::typeName(kAllTypes[i]));
      auto it = s.byType.find(kAllTypes[i]);
      types[i].setCount(static_cast<double>(it == s.byType.end() ? 0 : it->second));
    }
    auto top = s.topAccounts(10);
    auto accounts = j.initTopAccounts(static_cast<unsigned>(top.size()));
    for (unsigned i = 0; i < top.size(); ++i) {
      accounts[i].setName(top[i].first);
      accounts[i].setCount(static_cast<double>(top[i].second));
    }
    auto families = j.initFamilyBytes(events::keys::kFamilyCount);
    for (int i = 0; i < events::keys::kFamilyCount; ++i) {
      auto f = static_cast<events::keys::Family>(i);
      families[i].setName(events::keys::familyName(f));
      families[i].setCount(static_cast<double>(store.familySize(f)));
    }
    auto head = j.initChainHead();
    head.setSeq(static_cast<double>(headSeq));
    head.setHash(headHash);
    ctx.out << toJson(j.asReader()) << '\n';
    return;
  }
  auto line = [&](const std::string& name, const std::string& value) {
    std::string padded = "  " + name;
    padded.resize(std::max<size_t>(padded.size() + 2, 22), ' ');
    ctx.out << padded << value << '\n';
  };
  ctx.out << "database " << options.dataDir << " (" << db.describeMode() << ")\n";
  ctx.out << "events\n";
  line("matched", std::to_string(s.matched));
  line("damaged", std::to_string(s.damaged));
  if (s.firstSeq) {
    line("sequences", std::to_string(*s.firstSeq) + " … " + std::to_string(*s.lastSeq));
    line("first at", events::formatRfc3339(*s.firstAt));
    line("last at", events::formatRfc3339(*s.lastAt));
  }
  ctx.out << "by type\n";
  for (Type t : kAllTypes) {
    auto it = s.byType.find(t);
    line(events::typeName(t), std::to_string(it == s.byType.end() ? 0 : it->second));
  }
  ctx.out << "top accounts\n";
  for (const auto& [account, count] : s.topAccounts(10)) line(account, std::to_string(count));
  ctx.out << "column families (bytes on disk, SST + memtables)\n";
  for (int i = 0; i < events::keys::kFamilyCount; ++i) {
    auto f = static_cast<events::keys::Family>(i);
    line(events::keys::familyName(f), std::to_string(store.familySize(f)));
  }
  ctx.out << "chain head\n";
  line("seq", std::to_string(headSeq));
  line("hash", headHash);
}

// Sleeps one poll interval in short steps, so that a stop request is noticed at once.
void pause(const ToolContext& ctx) {
  using namespace std::chrono;
  const auto until = steady_clock::now() + ctx.pollInterval;
  while (!ctx.stopRequested() && steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(20), ctx.pollInterval));
  }
}

int dump(const DumpOptions& options, ToolContext& ctx) {
  auto db = ReadingDatabase::open(options.dataDir, options.follow ? ReadingDatabase::Want::follow
                                                                   : ReadingDatabase::Want::snapshot);
  auto& store = db->store();
  Stats stats;
  Dumper dumper(options, ctx, store, options.stats ? &stats : nullptr);
  dumper.scan();
  if (options.stats) printStats(options, ctx, *db, store, stats);
  ctx.out.flush();
  if (options.follow) ctx.checkingStop(true);  // SIGINT/SIGTERM end the loop below
  while (options.follow && !dumper.done() && !ctx.stopRequested()) {
    pause(ctx);
    if (ctx.stopRequested()) break;
    try {
      db->catchUp();
    } catch (const events::StoreError& e) {
      // A secondary that lost track of its primary (say, files it had not read yet were
      // compacted away) is replaced by a fresh one; the dump resumes at the same sequence.
      ctx.err << "pit-dump: " << e.what() << "; reopening the database\n";
      db.reset();
      db = ReadingDatabase::open(options.dataDir, ReadingDatabase::Want::follow);
      dumper.reattach(db->store());
    }
    dumper.scan();
    ctx.out.flush();
  }
  return dumper.damagedCount() > 0 ? kExitFinding : kExitOk;
}

}  // namespace

int runPitDump(const Argv& argv, ToolContext& ctx) {
  const auto description = dumpOptionsDescription();
  try {
    auto vm = parseArgs(argv, 1, description);
    if (vm.count("help")) {
      ctx.out << description << '\n' << kExamples << '\n';
      return kExitOk;
    }
    return dump(parseDumpOptions(vm), ctx);
  } catch (const UsageError& e) {
    ctx.err << "pit-dump: " << e.what() << "\nTry 'pit-dump --help'.\n";
    return kExitUsage;
  } catch (const events::StoreError& e) {
    ctx.err << "pit-dump: " << e.what() << '\n';
    return kExitUsage;
  } catch (const kj::Exception& e) {
    ctx.err << "pit-dump: " << e.getDescription().cStr() << '\n';
    return kExitUsage;
  }
}

}  // namespace pitlog::tools
