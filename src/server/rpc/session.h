#pragma once
// The RPC capabilities: Gateway (a connection's bootstrap, which authenticates) and Session (every
// operation, for an authenticated service). Each method checks in API.md's order: the request's
// form (payload_too_large, invalid_argument), then authorization, existence, version and state;
// the engine decides commands, the queries read it directly.
//
// Threading: both live on the event loop's thread. Commands wait for the writer without blocking
// the loop (engine_bridge.h); queries read RocksDB synchronously on the loop (they are short).
// Lifetime: they hold a reference to the Engine, which must outlive every connection.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "commands/engine.h"
#include "server/rpc/pitlog_rpc.capnp.h"

namespace pitlog::rpc {

using Authenticator = std::function<bool(std::string_view serviceKey)>;
// Cluster mode's fail-closed rule (API.md "Cluster mode"): why the node must not answer
// introspection or mutations now, or nullopt when it may. Unset (a single node): always may.
using FailClosed = std::function<std::optional<std::string>()>;

class GatewayImpl final : public schema::Gateway::Server {
 public:
  // `authenticate` is shared by every connection of one serveRpc(); called on the loop's thread.
  GatewayImpl(commands::Engine& engine, std::shared_ptr<const Authenticator> authenticate,
              FailClosed failClosed = nullptr)
      : engine_(engine), authenticate_(std::move(authenticate)), failClosed_(std::move(failClosed)) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  commands::Engine& engine_;
  std::shared_ptr<const Authenticator> authenticate_;
  FailClosed failClosed_;
};

class SessionImpl final : public schema::Session::Server {
 public:
  explicit SessionImpl(commands::Engine& engine, FailClosed failClosed = nullptr)
      : engine_(engine), failClosed_(std::move(failClosed)) {}

 protected:
  kj::Promise<void> create(CreateContext context) override;
  kj::Promise<void> list(ListContext context) override;
  kj::Promise<void> get(GetContext context) override;
  kj::Promise<void> edit(EditContext context) override;
  kj::Promise<void> rotate(RotateContext context) override;
  kj::Promise<void> cancelRotation(CancelRotationContext context) override;
  kj::Promise<void> expireNow(ExpireNowContext context) override;
  kj::Promise<void> delete_(DeleteContext context) override;
  kj::Promise<void> events(EventsContext context) override;
  kj::Promise<void> audit(AuditContext context) override;
  kj::Promise<void> getPermission(GetPermissionContext context) override;
  kj::Promise<void> setPermission(SetPermissionContext context) override;
  kj::Promise<void> scopes(ScopesContext context) override;
  kj::Promise<void> introspect(IntrospectContext context) override;
  kj::Promise<void> revoke(RevokeContext context) override;

 private:
  // Each token's lastUsedAt in the integrations this session renders.
  std::function<std::optional<events::UnixMillis>(const events::Digest&)> lastUseLookup() const {
    return [this](const events::Digest& d) { return engine_.lastUsed(d); };
  }
  // `unavailable` while the node fails closed (cluster mode), checked after a call's form.
  std::optional<commands::Error> unavailableWhileStale() const;

  commands::Engine& engine_;
  FailClosed failClosed_;
};

}  // namespace pitlog::rpc
