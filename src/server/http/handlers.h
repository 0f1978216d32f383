#pragma once
// The route handlers: each turns a Call whose form is already checked into a Reply. Commands go
// to the engine (which decides authorization, existence, version and state, in API.md's order);
// queries read the engine directly and check authorization and existence here, in that order.
//
// Threading: every method runs on the HTTP event loop thread.
#include <kj/async.h>

#include "commands/engine.h"
#include "events/signed_note_signer.h"
#include "server/cluster_view.h"
#include "server/http/exchange.h"
#include "server/http/render.h"
#include "server/metrics.h"
#include "server/webhooks/delivery_state.h"
#include "server/webhooks/webhook_key.h"

namespace pitlog::server::http {

inline constexpr size_t kMaxBodyBytes = 64 * 1024;

class Handlers {
 public:
  Handlers(commands::Engine& engine, const Renderer& renderer, Metrics& metrics)
      : engine_(engine), renderer_(renderer), metrics_(metrics) {}

  kj::Promise<Reply> handle(Call& call);

  // Query parameters a route takes with a method; anything else is a 400.
  static std::vector<std::string_view> knownQuery(RouteId route, kj::HttpMethod method);
  // Does the route and method need a JSON body (true), take none or `{}` (false)? GETs read none.
  static bool needsBody(RouteId route, kj::HttpMethod method);
  static bool isMutation(RouteId route, kj::HttpMethod method);

  // The key that signs checkpoints, and the log's origin line (its key name); not owned.
  void setLogSigner(const events::NoteSigner* signer, std::string origin) {
    logSigner_ = signer;
    logOrigin_ = std::move(origin);
  }

  // Webhooks: the master key (not owned; null: the webhook routes answer 503), whether private
  // targets are allowed, the delivery state (not owned) and, when no worker delivers (cluster
  // mode), why not, for the deliveries route.
  struct WebhookSetup {
    const webhooks::WebhookKey* key = nullptr;
    bool allowPrivate = false;
    webhooks::DeliveryStateStore* state = nullptr;
    std::string notDelivering;  // empty: this node delivers
    std::function<WebhookAttemptCounts()> attempts;  // the worker's counts (null: no worker)
  };
  void setWebhooks(WebhookSetup setup) { webhooks_ = std::move(setup); }

  // Cluster mode (not owned; null: a single node): /healthz and /metrics show the node.
  void setCluster(const ClusterView* cluster) { cluster_ = cluster; }

  Reply errorReply(commands::Code code, const std::string& message,
                   const std::string& field = {}) const;

 private:
  // integration_handlers.cpp
  kj::Promise<Reply> createIntegration(Call& call);
  kj::Promise<Reply> editIntegration(Call& call);
  kj::Promise<Reply> rotate(Call& call);
  kj::Promise<Reply> cancelRotation(Call& call);
  kj::Promise<Reply> expireRotationNow(Call& call);
  kj::Promise<Reply> deleteIntegration(Call& call);
  Reply listIntegrations(Call& call);
  Reply getIntegration(Call& call);
  Reply integrationEvents(Call& call);
  // account_handlers.cpp
  Reply audit(Call& call);
  Reply getPermission(Call& call);
  kj::Promise<Reply> setPermission(Call& call);
  // service_handlers.cpp
  Reply scopes(Call& call);
  Reply introspect(Call& call);
  Reply health(Call& call);
  Reply metricsPage(Call& call);
  // revocation_handlers.cpp
  kj::Promise<Reply> revoke(Call& call);
  kj::Promise<Reply> revokeBatch(Call& call);
  // Submits the revocation of these tokens (digests only); 200 with `body` whatever they were.
  kj::Promise<Reply> submitRevocation(const Call& call, const std::vector<std::string>& tokens,
                                      std::optional<std::string> source, std::string body);
  // webhook_handlers.cpp
  kj::Promise<Reply> putWebhook(Call& call);
  kj::Promise<Reply> deleteWebhook(Call& call);
  Reply getWebhook(Call& call);
  Reply listWebhooks(Call& call);
  Reply webhookDeliveries(Call& call);
  std::optional<Reply> requireWebhooks() const;  // 503 without a webhook key
  // log_handlers.cpp
  Reply logPublicKey(Call& call);
  Reply logCheckpoint(Call& call);
  Reply logInclusionProof(Call& call);
  Reply logConsistencyProof(Call& call);
  std::optional<Reply> requireLogSigner() const;  // 503 without a key

  // Submits a command built from the call and turns its result into a reply: an error, or
  // `onSuccess(result)` with ETag, X-Pitlog-Position and, for a replay, Idempotent-Replayed.
  kj::Promise<Reply> execute(Call& call, commands::Action action,
                             kj::Function<Reply(commands::CommandResult&)> onSuccess);
  Reply resultError(const commands::CommandResult& result) const;
  // 403 unless the actor may manage the account's integrations.
  std::optional<Reply> requireManager(const Call& call) const;

  commands::Engine& engine_;
  const Renderer& renderer_;
  Metrics& metrics_;
  const events::NoteSigner* logSigner_ = nullptr;
  std::string logOrigin_;
  const ClusterView* cluster_ = nullptr;
  WebhookSetup webhooks_;
};

}  // namespace pitlog::server::http
