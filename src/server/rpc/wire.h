#pragma once
// Between pitlog's C++ values and the RPC schema (pitlog_rpc.capnp): reading and checking the
// parts every call shares (actor, options), and building integrations, events and errors.
// Pure functions, no I/O; the rules are API.md's, the field names the schema's.
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

// --- inputs -----------------------------------------------------------------------------------

// Checks the actor (ids, role admin|user) and fills the command's tenant and actor.
std::optional<commands::Error> readActor(schema::Actor::Reader in, commands::Command& out);

// Checks and fills requestId and the idempotency key (its fingerprint is set later, by
// setFingerprint). ifMatch only from Options.
std::optional<commands::Error> readOptions(schema::Options::Reader in, commands::Command& out);
std::optional<commands::Error> readOptions(schema::CreateOptions::Reader in,
                                           commands::Command& out);

// ^[A-Za-z0-9._:-]{1,64}$ or invalid_argument naming `field`.
std::optional<commands::Error> checkId(capnp::Text::Reader id, std::string_view field);

// An RFC 3339 time, or invalid_argument naming `field`. Empty text is "none".
std::optional<commands::Error> readTime(capnp::Text::Reader text, std::string_view field,
                                        std::optional<events::UnixMillis>* out);

// Sets the idempotency fingerprint of a command that carries a key: SHA-256 over "rpc", the
// operation's name and the given parts (length-prefixed, so no two part lists collide). The parts
// are the request as the client sent it, before normalisation, minus the per-call options.
class Fingerprint {
 public:
  explicit Fingerprint(std::string_view operation);
  Fingerprint& add(std::string_view part);
  Fingerprint& addText(capnp::Text::Reader part) { return add({part.begin(), part.size()}); }
  Fingerprint& addList(capnp::List<capnp::Text>::Reader parts);
  void applyTo(commands::Command& command) const;

 private:
  std::string bytes_;
};

// --- outputs ----------------------------------------------------------------------------------

// API.md's `integration`. `tokens` lists the tokens valid at `at` (now, or asOf).
void fillIntegration(schema::Integration::Builder out, const projections::IntegrationView& view,
                     events::UnixMillis at);

// API.md's `event`.
void fillEvent(schema::Event::Builder out, const events::DecodedEvent& event);

// Overwrites the bytes of a plaintext token before the string is released.
void wipe(std::string& secret);

}  // namespace pitlog::rpc
