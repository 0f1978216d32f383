// Revocation by value (RFC 7009, API.md "Token hygiene"): POST /v1/revoke and /v1/revoke/batch.
//
// The answer never says whether a token existed: once the request's form holds (a 400 is about
// the request, never about a token), every token string becomes a digest here and one
// RevokeTokens command goes through the engine's writer, which expires the valid ones and makes
// even an empty decision durable with a synced write of its own (Engine::Decided::revocation). So
// a known and an unknown token take the same queue, the same lookups and an fsync each, and get
// the same 200 and the same bytes. commands::revocationCommand() builds the command for this and
// RPC's revoke(). What still differs: a valid token's batch also appends its
// Expired event (a few hundred bytes more in the same fsync, and in cluster mode a publish to the
// stream), and a malformed token (a wrong checksum, which anyone can compute) costs no hash.
#include <capnp/message.h>

#include "commands/revocation.h"
#include "server/api.capnp.h"
#include "server/engine_bridge.h"
#include "server/http/handlers.h"
#include "server/http/json_body.h"
#include "server/http/parsing.h"

namespace pitlog::server::http {

using commands::Code;

namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

std::string textOf(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

}  // namespace

kj::Promise<Reply> Handlers::revoke(Call& call) {
  std::vector<std::string> tokens;
  std::optional<std::string> source;
  if (call.contentType == kFormType) {
    // RFC 7009 §2.1: `token`; every other parameter (token_type_hint, client_id, ...) is ignored.
    auto fields = parseForm(call.body);
    if (!fields) return errorReply(Code::invalidArgument, "the form body has a malformed %-escape");
    for (auto& [name, value] : *fields) {
      if (name != "token") continue;
      if (!tokens.empty()) return errorReply(Code::invalidArgument, "token appears twice", "token");
      tokens.push_back(std::move(value));
    }
    if (tokens.empty()) return errorReply(Code::invalidArgument, "field 'token' is required", "token");
  } else {
    capnp::MallocMessageBuilder m;
    auto body = m.initRoot<api::RevokeRequest>();
    if (auto e = decodeJsonBody<api::RevokeRequest>(renderer_.strictCodec(), call.body, {"token"},
                                                    body)) {
      return errorReply(e->code, e->message, e->field);
    }
    tokens.push_back(textOf(body.getToken()));
    if (body.hasSource()) source = textOf(body.getSource());
  }
  return submitRevocation(call, tokens, std::move(source), "{}");
}

kj::Promise<Reply> Handlers::revokeBatch(Call& call) {
  capnp::MallocMessageBuilder m;
  auto body = m.initRoot<api::RevokeBatchRequest>();
  if (auto e = decodeJsonBody<api::RevokeBatchRequest>(renderer_.strictCodec(), call.body,
                                                       {"tokens"}, body)) {
    return errorReply(e->code, e->message, e->field);
  }
  std::vector<std::string> tokens;
  tokens.reserve(body.getTokens().size());
  for (auto t : body.getTokens()) tokens.push_back(textOf(t));
  std::optional<std::string> source;
  if (body.hasSource()) source = textOf(body.getSource());
  const size_t received = tokens.size();
  return submitRevocation(call, tokens, std::move(source),
                          "{\"received\":" + std::to_string(received) + "}");
}

kj::Promise<Reply> Handlers::submitRevocation(const Call& call,
                                              const std::vector<std::string>& tokens,
                                              std::optional<std::string> source, std::string body) {
  auto command = commands::revocationCommand(std::vector<std::string_view>(tokens.begin(), tokens.end()),
                                             std::move(source), call.requestId);
  if (auto* e = std::get_if<commands::Error>(&command)) {
    return errorReply(e->code, e->message, e->field);
  }
  return submitAsync(engine_, std::move(std::get<commands::Command>(command)))
      .then([this, body = std::move(body)](commands::CommandResult result) mutable -> Reply {
        if (!result.ok()) return resultError(result);
        Reply reply;
        reply.body = std::move(body);
        return reply;
      });
}

}  // namespace pitlog::server::http
