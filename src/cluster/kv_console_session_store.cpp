#include "cluster/kv_console_session_store.h"

#include <charconv>
#include <vector>

#include "cluster/kv_bucket.h"
#include "cluster/nats_connection.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

namespace {

using server::http::ConsoleEntry;
using server::http::ConsoleKey;
using Status = server::http::ConsoleSessionStore::Status;

std::string keyOf(const ConsoleKey& key) {
  return (key.kind == ConsoleKey::Kind::link ? "link." : "session.") + events::toHex(key.digest);
}

std::string valueOf(const ConsoleEntry& e) {
  return e.actor.accountId + ' ' + e.actor.userId + ' ' + events::roleName(e.actor.role) + ' ' +
         std::to_string(e.endsAt) + ' ' + std::to_string(e.idleUntil) + ' ' + (e.spent ? '1' : '0');
}

bool parseTime(std::string_view text, int64_t* out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() && *out >= 0;
}

// A value pitd never writes is read as no entry: it grants nothing.
std::optional<ConsoleEntry> entryOf(std::string_view value) {
  std::vector<std::string_view> fields;
  while (!value.empty()) {
    const size_t sp = value.find(' ');
    fields.push_back(value.substr(0, sp));
    value = sp == std::string_view::npos ? std::string_view() : value.substr(sp + 1);
  }
  if (fields.size() != 6 || fields[0].empty() || fields[1].empty()) return std::nullopt;
  ConsoleEntry e;
  e.actor.accountId = std::string(fields[0]);
  e.actor.userId = std::string(fields[1]);
  if (fields[2] == events::roleName(events::Role::admin)) {
    e.actor.role = events::Role::admin;
  } else if (fields[2] == events::roleName(events::Role::user)) {
    e.actor.role = events::Role::user;
  } else {
    return std::nullopt;  // a console session never acts as the system
  }
  if (!parseTime(fields[3], &e.endsAt) || !parseTime(fields[4], &e.idleUntil)) {
    return std::nullopt;
  }
  if (fields[5] != "0" && fields[5] != "1") return std::nullopt;
  e.spent = fields[5] == "1";
  return e;
}

}  // namespace

KvConsoleSessionStore::KvConsoleSessionStore(NatsConnection& conn, ConsoleBucketSettings settings)
    : conn_(conn), settings_(std::move(settings)) {}

KvConsoleSessionStore::~KvConsoleSessionStore() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
  if (js_ != nullptr) jsCtx_Destroy(js_);
}

bool KvConsoleSessionStore::ready(std::string* error) {
  // Never wait on requests that cannot be answered.
  if (!conn_.connected()) {
    *error = "not connected to a NATS server";
    return false;
  }
  if (kv_ != nullptr) return true;
  if (js_ == nullptr) {
    jsOptions opts;
    jsOptions_Init(&opts);
    opts.Wait = kRequestWait.count();
    const natsStatus s = natsConnection_JetStream(&js_, conn_.raw(), &opts);
    if (s != NATS_OK) {
      js_ = nullptr;
      *error = describeNatsFailure("opening a JetStream context", s);
      return false;
    }
  }
  kv_ = openBucket(js_, {settings_.bucket, settings_.replicas, settings_.ttl}, error);
  return kv_ != nullptr;
}

KvConsoleSessionStore::Read KvConsoleSessionStore::get(const ConsoleKey& key, std::string* error) {
  Read read;
  if (!ready(error)) {
    read.status = Status::unavailable;
    return read;
  }
  kvEntry* e = nullptr;
  const natsStatus s = kvStore_Get(&e, kv_, keyOf(key).c_str());
  if (s == NATS_NOT_FOUND) return read;  // missing (a deleted key reads so too)
  if (s != NATS_OK) {
    *error = describeNatsFailure("reading a console session", s);
    read.status = Status::unavailable;
    return read;
  }
  const auto* data = static_cast<const char*>(kvEntry_Value(e));
  const int len = kvEntry_ValueLen(e);
  auto entry =
      data != nullptr && len > 0 ? entryOf(std::string_view(data, size_t(len))) : std::nullopt;
  read.revision = kvEntry_Revision(e);
  kvEntry_Destroy(e);
  if (!entry) return read;
  read.status = Status::ok;
  read.entry = std::move(*entry);
  return read;
}

Status KvConsoleSessionStore::create(const ConsoleKey& key, const ConsoleEntry& entry,
                                     std::string* error) {
  if (!ready(error)) return Status::unavailable;
  const std::string value = valueOf(entry);
  uint64_t rev = 0;
  const natsStatus s =
      kvStore_Create(&rev, kv_, keyOf(key).c_str(), value.data(), int(value.size()));
  if (s == NATS_OK) return Status::ok;
  *error = describeNatsFailure("storing a console session", s);
  // Refused because the key exists, or not answered: a read tells which.
  std::string readError;
  const Read now = get(key, &readError);
  return now.status == Status::ok ? Status::conflict : Status::unavailable;
}

Status KvConsoleSessionStore::update(const ConsoleKey& key, const ConsoleEntry& entry,
                                     uint64_t revision, std::string* error) {
  if (!ready(error)) return Status::unavailable;
  const std::string value = valueOf(entry);
  uint64_t rev = 0;
  const natsStatus s =
      kvStore_Update(&rev, kv_, keyOf(key).c_str(), value.data(), int(value.size()), revision);
  if (s == NATS_OK) return Status::ok;
  *error = describeNatsFailure("updating a console session", s);
  // The server refuses an update whose revision is no longer the latest ("wrong last sequence");
  // the client does not say which failure it was, so a read tells: another revision (or none) is a
  // conflict, the same one means the update was not answered.
  std::string readError;
  const Read now = get(key, &readError);
  if (now.status == Status::unavailable) return Status::unavailable;
  return now.status == Status::ok && now.revision == revision ? Status::unavailable
                                                              : Status::conflict;
}

Status KvConsoleSessionStore::remove(const ConsoleKey& key, std::string* error) {
  if (!ready(error)) return Status::unavailable;
  const natsStatus s = kvStore_Delete(kv_, keyOf(key).c_str());
  if (s == NATS_OK || s == NATS_NOT_FOUND) return Status::ok;
  *error = describeNatsFailure("ending a console session", s);
  return Status::unavailable;
}

}  // namespace pitlog::cluster
