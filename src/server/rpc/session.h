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
#include <string_view>

#include "commands/engine.h"
#include "server/rpc/pitlog_rpc.capnp.h"

namespace pitlog::rpc {

using Authenticator = std::function<bool(std::string_view serviceKey)>;

class GatewayImpl final : public schema::Gateway::Server {
 public:
  // `authenticate` is shared by every connection of one serveRpc(); called on the loop's thread.
  GatewayImpl(commands::Engine& engine, std::shared_ptr<const Authenticator> authenticate)
      : engine_(engine), authenticate_(std::move(authenticate)) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  commands::Engine& engine_;
  std::shared_ptr<const Authenticator> authenticate_;
};

class SessionImpl final : public schema::Session::Server {
 public:
  explicit SessionImpl(commands::Engine& engine) : engine_(engine) {}

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

 private:
  commands::Engine& engine_;
};

}  // namespace pitlog::rpc
