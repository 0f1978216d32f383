// The /v1/accounts/{a}/webhooks... routes (API.md "Token hygiene").
#include <capnp/message.h>
#include <openssl/crypto.h>

#include <algorithm>

#include "server/api.capnp.h"
#include "server/http/handlers.h"
#include "server/http/json_body.h"
#include "server/http/webhook_render.h"
#include "webhooks/signature.h"
#include "webhooks/url_guard.h"

namespace pitlog::server::http {

using commands::Code;
using commands::CommandResult;

namespace {

const WebhookRenderer& webhookRenderer() {
  // One per HTTP loop thread: a codec is not shared across threads.
  thread_local const WebhookRenderer renderer;
  return renderer;
}

Reply notFound(const Handlers& h, const std::string& id) {
  return h.errorReply(Code::notFound, "webhook '" + id + "' was not found");
}

}  // namespace

std::optional<Reply> Handlers::requireWebhooks() const {
  if (webhooks_.key != nullptr) return std::nullopt;
  return errorReply(Code::unavailable, "webhooks are not configured on this server");
}

kj::Promise<Reply> Handlers::putWebhook(Call& call) {
  if (auto off = requireWebhooks()) return kj::mv(*off);
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::WebhookRequest>();
  if (auto e = decodeJsonBody<api::WebhookRequest>(renderer_.strictCodec(), call.body,
                                                   {"url", "events"}, body)) {
    return errorReply(e->code, e->message, e->field);
  }
  commands::SubscribeWebhook c;
  c.webhookId = call.match.webhook;
  c.url = std::string(body.getUrl().cStr(), body.getUrl().size());
  for (auto t : body.getEvents()) c.events.emplace_back(t.cStr(), t.size());
  c.keyFingerprint = webhooks_.key->fingerprint();
  // The SSRF guard, before anything is decided: a refused target is the request's form (400).
  if (auto refusal = ::pitlog::webhooks::refuseTargetUrl(c.url, webhooks_.allowPrivate)) {
    return errorReply(Code::invalidArgument, *refusal, "url");
  }
  return execute(call, std::move(c), [this](CommandResult& r) {
    KJ_ASSERT(r.webhook.has_value(), "a successful subscribe returned no webhook");
    Reply reply;
    std::optional<std::string> secret;
    if (r.webhookCreated && !r.replayed) {
      auto key = webhooks_.key->secretFor(r.webhook->accountId, r.webhook->webhookId,
                                          r.webhook->secretEventId);
      secret = ::pitlog::webhooks::formatSecret(kj::arrayPtr(key.data(), key.size()));
      OPENSSL_cleanse(key.data(), key.size());
      reply.header("Cache-Control", "no-store");
    }
    reply.status = r.webhookCreated ? 201 : 200;
    reply.body = webhookRenderer().webhookReply(*r.webhook, secret);
    if (secret) OPENSSL_cleanse(secret->data(), secret->size());
    return reply;
  });
}

kj::Promise<Reply> Handlers::deleteWebhook(Call& call) {
  if (auto off = requireWebhooks()) return kj::mv(*off);
  if (!call.body.empty() && call.body != "{}") {
    return errorReply(Code::invalidArgument, "DELETE takes no body");
  }
  return execute(call, commands::RemoveWebhook{call.match.webhook}, [](CommandResult&) {
    Reply reply;
    reply.status = 204;
    return reply;
  });
}

Reply Handlers::getWebhook(Call& call) {
  if (auto off = requireWebhooks()) return kj::mv(*off);
  if (auto denied = requireManager(call)) return std::move(*denied);
  auto view = engine_.webhook(call.match.account, call.match.webhook);
  if (!view) return notFound(*this, call.match.webhook);
  Reply reply;
  reply.body = webhookRenderer().webhookReply(*view, std::nullopt);
  reply.header("ETag", "\"" + std::to_string(view->version) + "\"");
  return reply;
}

Reply Handlers::listWebhooks(Call& call) {
  if (auto off = requireWebhooks()) return kj::mv(*off);
  if (auto denied = requireManager(call)) return std::move(*denied);
  Reply reply;
  reply.body = webhookRenderer().webhookList(engine_.webhooks(call.match.account));
  return reply;
}

Reply Handlers::webhookDeliveries(Call& call) {
  if (auto off = requireWebhooks()) return kj::mv(*off);
  if (auto denied = requireManager(call)) return std::move(*denied);
  auto view = engine_.webhook(call.match.account, call.match.webhook);
  if (!view) return notFound(*this, call.match.webhook);
  std::string state = "delivering", message = "this node delivers this subscription";
  if (!webhooks_.notDelivering.empty()) {
    state = "not_available_in_cluster_mode";
    message = webhooks_.notDelivering;
  } else if (view->keyFingerprint != webhooks_.key->fingerprint()) {
    state = "key_mismatch";
    message =
        "not delivered: the subscription was made under another webhook key than this "
        "node's (--webhook-key), so its messages would be signed wrongly";
  }
  std::vector<webhooks::DeliveryAttempt> attempts;
  if (webhooks_.state) {
    attempts = webhooks_.state->attempts({call.match.account, call.match.webhook});
    // Attempts of an earlier subscription under the same id are not this one's.
    const uint64_t since = view->createdSeq;
    attempts.erase(std::remove_if(attempts.begin(), attempts.end(),
                                  [&](const webhooks::DeliveryAttempt& a) {
                                    return a.seq != 0 && a.seq <= since;
                                  }),
                   attempts.end());
  }
  Reply reply;
  reply.body = webhookRenderer().deliveries(state, message, attempts);
  return reply;
}

}  // namespace pitlog::server::http
