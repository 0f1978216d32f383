#pragma once
// Views and results in API.md's JSON shapes, through server/api.capnp and the JSON codec.
// Rendering takes the time it renders at: API.md's `tokens` lists only tokens valid then, and
// `rotation` is null once the previous token's deadline has passed, even before the scheduler
// has written its Expired event.
#include <capnp/compat/json.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "commands/engine.h"
#include "projections/integration_view.h"
#include "server/api.capnp.h"

namespace pitlog::server::http {

// /healthz's "cluster" member (API.md "Cluster mode").
struct ClusterHealthInfo {
  std::string node;
  uint64_t position = 0;  // the seq of the last event the node applied
  int64_t lagMs = 0;
  bool connected = false;
};

// One codec per server, configured once (handleByAnnotation) and then only read: JsonCodec's
// const methods are safe to share.
class Renderer {
 public:
  Renderer();
  const capnp::JsonCodec& codec() const { return codec_; }
  const capnp::JsonCodec& strictCodec() const { return strict_; }

  // Where each token's `lastUsedAt` comes from (Engine::lastUsed); unset, it is null. Set once,
  // before serving. Last use is not history: a view as of a past time shows it as it is now.
  using LastUseLookup = std::function<std::optional<events::UnixMillis>(const events::Digest&)>;
  void setLastUseLookup(LastUseLookup lookup) { lastUse_ = std::move(lookup); }

  void fillIntegration(api::Integration::Builder out, const projections::IntegrationView& view,
                       events::UnixMillis at) const;

  std::string integration(const projections::IntegrationView& view, events::UnixMillis at) const;
  // {integration, token}; token null when absent (an idempotent replay).
  std::string integrationWithToken(const projections::IntegrationView& view,
                                   const std::optional<std::string>& token,
                                   events::UnixMillis at) const;
  std::string integrationList(const std::vector<projections::IntegrationView>& views,
                              events::UnixMillis at) const;
  std::string eventList(const std::vector<events::DecodedEvent>& events) const;
  std::string auditPage(const commands::AuditPage& page) const;
  std::string permissionSet(const std::string& userId, bool allowed) const;
  std::string permissionState(const std::string& userId, std::optional<bool> recorded) const;
  std::string scopes(const std::vector<std::string>& scopes) const;
  // {"status": status, "reason"?: reason, "cluster"?: {...}}; reason only when not empty.
  std::string health(const std::string& status = "ok", const std::string& reason = {},
                     const std::optional<ClusterHealthInfo>& cluster = std::nullopt) const;
  // By hand when it can (introspect_fast.h), else by the codec; the bytes are the same.
  std::string introspection(const commands::Verification& v) const;
  std::string introspectionByCodec(const commands::Verification& v) const;
  std::string error(commands::Code code, const std::string& message,
                    const std::string& field) const;

  template <typename Reader>
  std::string encode(Reader reader) const {
    kj::String text = codec_.encode(reader);
    return std::string(text.begin(), text.size());
  }

 private:
  void fillEvents(capnp::List<capnp::JsonValue>::Builder out,
                  const std::vector<events::DecodedEvent>& events) const;

  capnp::JsonCodec codec_;   // for output
  capnp::JsonCodec strict_;  // for input: unknown fields rejected
  LastUseLookup lastUse_;
};

}  // namespace pitlog::server::http
