#pragma once
// Between pitlog's C++ values and the RPC schema (pitlog_rpc.capnp): reading and checking the
// parts every call shares (actor, options), and building integrations, events and errors.
// Pure functions, no I/O; the rules are API.md's, the field names the schema's.
#include <capnp/dynamic.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "commands/engine.h"
#include "commands/result.h"
#include "events/event.h"
#include "projections/integration_view.h"
#include "server/rpc/pitlog_rpc.capnp.h"

namespace pitlog::rpc {

// A call's parameters may be at most this large, as an HTTP body may (API.md: 64 KiB).
inline constexpr uint64_t kMaxPayloadBytes = 64 * 1024;

// --- errors -----------------------------------------------------------------------------------

void setError(schema::Error::Builder out, const commands::Error& error);
void setError(schema::Error::Builder out, commands::Code code, std::string_view message,
              std::string_view field = {});

// The engine's validation names inputs as the HTTP API carries them ("X-Actor-User",
// "Idempotency-Key", ...); over RPC the field is named as in the schema ("actor.userId", ...).
std::string rpcFieldName(std::string_view engineField);

// A CommandResult's error with the field renamed for RPC. REQUIRES: !result.ok().
commands::Error errorOf(const commands::CommandResult& result);

// payload_too_large when the parameters exceed kMaxPayloadBytes.
std::optional<commands::Error> checkPayload(capnp::MessageSize size);

// The form every call's parameters must have before any of them is read: within the size limit
// (payload_too_large), and a well-formed message of the method's parameter struct
// (invalid_argument): every field the schema declares is read once, so that a pointer of the
// wrong kind (a struct where text belongs, a list for the actor, bytes for scopes, a
// capability), text without its NUL, or nesting past the reader's limit is refused here, as
// the client's fault, instead of throwing later from a handler. Logs a refused message once, at
// kj's INFO level (below pitd's default), with no stack trace.
std::optional<commands::Error> checkParams(capnp::DynamicStruct::Reader params);
template <typename Reader>
std::optional<commands::Error> checkParams(Reader params) {
  return checkParams(capnp::toDynamic(params));
}

// --- inputs -----------------------------------------------------------------------------------

// Checks the actor (ids, role admin|user) and fills the command's tenant and actor.
std::optional<commands::Error> readActor(schema::Actor::Reader in, commands::Command& out);

// Checks and fills requestId and the idempotency key (validate() sets its fingerprint: the
// command's, the same as over HTTP). An unset key is none; a key set to "" is refused, as HTTP's
// present-but-empty header is. ifMatch only from Options.
std::optional<commands::Error> readOptions(schema::Options::Reader in, commands::Command& out);
std::optional<commands::Error> readOptions(schema::CreateOptions::Reader in,
                                           commands::Command& out);

// ^[A-Za-z0-9._:-]{1,64}$ or invalid_argument naming `field`.
std::optional<commands::Error> checkId(capnp::Text::Reader id, std::string_view field);

// An RFC 3339 time, or invalid_argument naming `field`. Empty text is "none".
std::optional<commands::Error> readTime(capnp::Text::Reader text, std::string_view field,
                                        std::optional<events::UnixMillis>* out);

// --- outputs ----------------------------------------------------------------------------------

// API.md's `integration`. `tokens` lists the tokens valid at `at` (now, or asOf), each with its
// last use from `lastUsed` (Engine::lastUsed; unset: never).
using LastUseLookup = std::function<std::optional<events::UnixMillis>(const events::Digest&)>;
void fillIntegration(schema::Integration::Builder out, const projections::IntegrationView& view,
                     events::UnixMillis at, const LastUseLookup& lastUsed = {});

// API.md's `event`.
void fillEvent(schema::Event::Builder out, const events::DecodedEvent& event);

// Overwrites the bytes of a plaintext token before the string is released.
void wipe(std::string& secret);

}  // namespace pitlog::rpc
