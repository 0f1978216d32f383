#include "replay_common.h"

#include <kj/exception.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "json_output.h"
#include "projections/chain_reader.h"
#include "projections/integration_view.h"
#include "projections/token_entry.h"

namespace pitlog::tools {

using events::DecodedEvent;
using events::Digest;
using events::keys::Family;
namespace keys = events::keys;

projections::ReplayReport verifyChain(
    const events::Store& store, const std::function<void(uint64_t)>& progress,
    const std::function<void(const events::ChainPosition&)>& onEvent) {
  projections::ReplayReport report;
  projections::ChainReader reader(store, 0);
  for (;;) {
    projections::ChainRun run = reader.next();
    for (const auto& linked : run.events) {
      report.eventsApplied++;
      report.position = linked.position;
      if (onEvent) onEvent(linked.position);
      if (progress && linked.position.lastSeq % 4096 == 0) progress(linked.position.lastSeq);
    }
    if (!run.last) continue;
    if (run.named) {
      report.failedSeq = run.named->seq;
      report.failure = run.named->reason;
    } else if (run.chainError) {
      auto diagnosis =
          events::diagnoseChainBreak(store, report.position.lastSeq + 1, *run.chainError);
      report.failedSeq = diagnosis.seq;
      report.failure = diagnosis.reason;
    }
    return report;
  }
}

namespace {

// compareViews() prints keys with "\0" and "\xHH" escapes (and "digest <hex>" for tokens);
// this undoes that to read the stored value.
std::string rawKey(Family f, const std::string& printable) {
  if (f == Family::tokens && printable.rfind("digest ", 0) == 0) {
    if (auto d = events::digestFromHex(printable.substr(7))) {
      return std::string(events::Sha256::asView(*d));
    }
  }
  std::string out;
  for (size_t i = 0; i < printable.size(); ++i) {
    if (printable[i] == '\\' && i + 1 < printable.size() && printable[i + 1] == '0') {
      out.push_back('\0');
      i++;
    } else if (printable[i] == '\\' && i + 3 < printable.size() && printable[i + 1] == 'x') {
      out.push_back(static_cast<char>(std::stoi(printable.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(printable[i]);
    }
  }
  return out;
}

std::optional<std::string> find(const projections::MemoryViewStore& views, Family f,
                                std::string_view key) {
  auto value = views.lookup(f, key);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::optional<projections::IntegrationView> integrationOf(
    const events::Store& store, const projections::MemoryViewStore& rebuilt, std::string_view id) {
  if (auto v = find(rebuilt, Family::integrations, id)) return projections::decodeIntegration(*v);
  if (auto v = store.get(Family::integrations, id)) return projections::decodeIntegration(*v);
  return std::nullopt;
}

std::string fieldsThatDiffer(const projections::IntegrationView& a,
                             const projections::IntegrationView& b) {
  std::vector<std::string> fields;
  auto check = [&](bool same, const char* name) {
    if (!same) fields.emplace_back(name);
  };
  check(a.id == b.id, "id");
  check(a.accountId == b.accountId, "accountId");
  check(a.name == b.name, "name");
  check(a.description == b.description, "description");
  check(a.scopes == b.scopes, "scopes");
  check(a.deleted == b.deleted, "deleted");
  check(a.version == b.version, "version");
  check(a.createdAt == b.createdAt, "createdAt");
  check(a.createdBy == b.createdBy, "createdBy");
  check(a.createdSeq == b.createdSeq, "createdSeq");
  check(a.updatedAt == b.updatedAt, "updatedAt");
  check(a.deletedAt == b.deletedAt, "deletedAt");
  check(a.lastSeq == b.lastSeq, "lastSeq");
  check(a.tokens == b.tokens, "tokens");
  check(a.rotation == b.rotation, "rotation");
  std::string out;
  for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f;
  return out;
}

}  // namespace

ViewFailure describeViewDifference(const events::Store& store,
                                   const projections::MemoryViewStore& rebuilt,
                                   const projections::ViewDifference& diff) {
  ViewFailure out;
  out.seq = diff.seq;
  out.what = std::string(keys::familyName(diff.family)) + " view " + diff.key + ": " +
             diff.description;
  const std::string key = rawKey(diff.family, diff.key);
  auto stored = store.get(diff.family, key);
  auto expected = find(rebuilt, diff.family, key);

  switch (diff.family) {
    case Family::integrations: {
      if (stored && expected) {
        auto s = projections::decodeIntegration(*stored);
        auto e = projections::decodeIntegration(*expected);
        if (!s) {
          out.what += " (the stored value does not decode)";
        } else if (e) {
          std::string fields = fieldsThatDiffer(*s, *e);
          out.what += fields.empty() ? " (same fields, different encoding)"
                                     : " (fields that differ: " + fields + ")";
        }
      }
      if (out.seq == 0 && stored) {
        if (auto s = projections::decodeIntegration(*stored)) out.seq = s->lastSeq;
      }
      break;
    }
    case Family::tokens: {
      // The token entry belongs to an integration; its last event wrote the entry.
      std::optional<projections::TokenEntry> entry;
      if (expected) entry = projections::decodeTokenEntry(*expected);
      if (!entry && stored) entry = projections::decodeTokenEntry(*stored);
      if (!entry && stored) out.what += " (the stored value does not decode as a token entry)";
      if (entry) {
        out.what += " (a token of integration " + entry->integrationId + ")";
        if (auto v = integrationOf(store, rebuilt, entry->integrationId)) out.seq = v->lastSeq;
      }
      break;
    }
    case Family::byAccount: {
      std::string id(keys::afterAccountPrefix(key));
      if (auto v = integrationOf(store, rebuilt, id)) out.seq = v->createdSeq;
      break;
    }
    case Family::permissions: {
      auto zero = key.find('\0');
      if (zero != std::string::npos) {
        auto seqs = events::streamSequences(
            store, keys::permissionStreamId(key.substr(0, zero), key.substr(zero + 1)));
        if (!seqs.empty()) out.seq = seqs.back();
      }
      break;
    }
    default:
      break;
  }
  return out;
}

std::string checkpointToJson(const Checkpoint& c) {
  capnp::MallocMessageBuilder message;
  auto j = message.initRoot<json::Checkpoint>();
  j.setFormat(kCheckpointFormat);
  j.setSeq(seqField(c.seq));
  j.setHash(events::toHex(c.hash));
  j.setAt(events::formatRfc3339(c.at));
  j.setEventId(c.eventId);
  j.setTakenAt(events::formatRfc3339(c.takenAt));
  return toJson(j.asReader());
}

Checkpoint readCheckpointFile(const std::string& path, events::UnixMillis now) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the checkpoint file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  Checkpoint c;
  std::string problem;
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    capnp::JsonCodec codec;
    codec.handleByAnnotation<json::Checkpoint>();
    codec.setRejectUnknownFields(true);
    capnp::MallocMessageBuilder message;
    auto j = message.initRoot<json::Checkpoint>();
    codec.decode(kj::ArrayPtr<const char>(text.data(), text.size()), j);
    auto hash = events::digestFromHex(events::textView(j.getHash()));
    auto at = events::parseRfc3339(events::textView(j.getAt()));
    auto takenAt = events::parseRfc3339(events::textView(j.getTakenAt()));
    const std::string eventId(events::textView(j.getEventId()));
    const bool eventIdIsHex =
        eventId.size() == 32 &&
        eventId.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (events::textView(j.getFormat()) != kCheckpointFormat) {
      problem = "its format is not " + std::string(kCheckpointFormat);
    } else if (j.getSeq() == 0 || j.getSeq() > keys::kMaxSeq) {
      problem = "its seq is missing or out of range";
    } else if (!hash) {
      problem = "its hash is missing or not 64 hex digits";
    } else if (!at || !takenAt) {
      problem = "its at or takenAt is missing or not an RFC 3339 time";
    } else if (!eventIdIsHex) {
      problem = "its eventId is not 32 lowercase hex digits";
    } else if (*at > *takenAt) {
      problem = "its event's time (at) is after the time it was taken (takenAt)";
    } else if (*takenAt > now) {
      problem = "it says it was taken at " + events::formatRfc3339(*takenAt) + ", in the future";
    } else {
      c.seq = j.getSeq();
      c.hash = *hash;
      c.at = *at;
      c.eventId = events::textView(j.getEventId());
      c.takenAt = *takenAt;
    }
  })) {
    problem = "it is not JSON of the expected shape (" + std::string(e->getDescription().cStr()) + ")";
  }
  if (!problem.empty()) {
    throw UsageError(path + " is not a checkpoint written by `pit-replay checkpoint`: " + problem);
  }
  return c;
}

namespace {
int64_t steadyMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Progress::Progress(ToolContext& ctx, std::string what)
    : ctx_(ctx), what_(std::move(what)), startMicros_(steadyMicros()) {}

std::function<void(uint64_t)> Progress::callback() {
  if (!ctx_.interactive) return {};
  return [this](uint64_t seq) {
    double seconds = static_cast<double>(steadyMicros() - startMicros_) / 1e6;
    char line[128];
    std::snprintf(line, sizeof(line), "\r%s: %llu events (%.0f events/s)", what_.c_str(),
                  static_cast<unsigned long long>(seq), seconds > 0 ? seq / seconds : 0.0);
    ctx_.err << line << std::flush;
    drawn_ = true;
  };
}

void Progress::finish() {
  if (drawn_) ctx_.err << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace pitlog::tools
