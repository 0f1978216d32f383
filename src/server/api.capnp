@0xb7d52e8c4a19f3e6;
# The JSON shapes of pitd's HTTP API (API.md), encoded and decoded with Cap'n Proto's JSON codec.
# Field names are the JSON names. Two codec rules shape this file:
# - unset pointer fields are omitted and primitive fields are always written, so a value that may
#   be absent (`exp`) or JSON null (`token`, `rotation`, `next`, `expiresAt`) is a Json.Value;
# - 64-bit integers are written as strings, so numbers the API shows as numbers are UInt32.
# Requests are decoded with unknown fields rejected; see http/json_body.h.

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("pitlog::api");

# ---- responses ---------------------------------------------------------------------------------

struct Token {
  tokenId @0 :Text;        # first 16 hex digits of SHA-256(token)
  hint @1 :Text;           # "pit_…AbCd"
  state @2 :Text;          # "current" | "previous"
  issuedAt @3 :Text;
  expiresAt @4 :Json.Value;  # RFC 3339 or null
  lastUsedAt @5 :Json.Value; # RFC 3339 or null: its last active introspection (not history)
}

struct Rotation {
  startedAt @0 :Text;
  previousExpiresAt @1 :Text;
}

struct Integration {
  id @0 :Text;
  accountId @1 :Text;
  name @2 :Text;
  description @3 :Text;
  scopes @4 :List(Text);
  status @5 :Text;         # "active" | "deleted"
  version @6 :UInt32;
  createdAt @7 :Text;
  createdBy @8 :Text;
  updatedAt @9 :Text;
  tokens @10 :List(Token);
  rotation @11 :Json.Value;  # a Rotation or null
}

struct IntegrationReply {
  integration @0 :Integration;
}

struct IntegrationWithToken {
  integration @0 :Integration;
  token @1 :Json.Value;    # the plaintext, or null when answering from an idempotency record
}

struct IntegrationList {
  integrations @0 :List(Integration);
}

struct EventList {
  events @0 :List(Json.Value);  # each in the `event` shape of events/event_json.h
}

struct AuditPage {
  events @0 :List(Json.Value);
  next @1 :Json.Value;     # a sequence number, or null when no event follows the page
}

struct PermissionSet {
  userId @0 :Text;
  allowed @1 :Bool;
}

struct PermissionState {
  userId @0 :Text;
  allowed @1 :Json.Value;  # true/false for a grant/withdrawal, null by default
  source @2 :Text;         # "grant" | "withdrawal" | "default"
}

struct ScopeList {
  scopes @0 :List(Text);
}

struct Health {
  status @0 :Text;
  reason @1 :Text;            # why the node answers 503 (cluster mode: not current with the stream)
  cluster @2 :ClusterHealth;  # cluster mode only
}

# Numbers as Float64: the codec writes 64-bit integers as strings, API.md shows numbers.
struct ClusterHealth {
  node @0 :Text;
  position @1 :Float64;  # the seq of the last event the node applied
  lagMs @2 :Float64;
  connected @3 :Bool;
}

# RFC 7662. An inactive token answers {"active": false} and nothing else: every other field is a
# pointer left unset.
struct Introspection {
  active @0 :Bool;
  scope @1 :Text;
  tokenType @2 :Text $Json.name("token_type");
  accountId @3 :Text $Json.name("account_id");
  integrationId @4 :Text $Json.name("integration_id");
  iat @5 :Json.Value;
  exp @6 :Json.Value;      # only when the token has a deadline
  allowed @7 :Json.Value;  # only when a required scope was asked for
}

struct ErrorReply {
  error @0 :Detail;
  struct Detail {
    code @0 :Text;
    message @1 :Text;
    field @2 :Text;        # unset unless one input is to blame
  }
}

# ---- requests ----------------------------------------------------------------------------------
# Which fields are required is checked beside the decoder (http/json_body.h): the codec cannot
# tell an absent Bool from false.

struct CreateRequest {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
}

struct EditRequest {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
}

struct RotateRequest {
  expire @0 :Text;         # "later" | "now"
}

struct EmptyRequest {}

struct PermissionRequest {
  allowed @0 :Bool;
}

struct IntrospectRequest {
  token @0 :Text;
  requiredScope @1 :Text;
}

# POST /v1/revoke and /v1/revoke/batch (API.md "Token hygiene").
struct RevokeRequest {
  token @0 :Text;
  source @1 :Text;         # where the token was found, at most 500 characters
}

struct RevokeBatchRequest {
  tokens @0 :List(Text);   # at most 1000
  source @1 :Text;
}

# ---- webhooks (API.md "Token hygiene") ---------------------------------------------------------

struct WebhookRequest {
  url @0 :Text;
  events @1 :List(Text);
}

struct Webhook {
  id @0 :Text;
  accountId @1 :Text;
  url @2 :Text;
  events @3 :List(Text);
  version @4 :UInt32;
  createdAt @5 :Text;
  updatedAt @6 :Text;
}

struct WebhookReply {
  webhook @0 :Webhook;
  secret @1 :Text;         # `whsec_…`: only in the answer that created the subscription
}

struct WebhookList {
  webhooks @0 :List(Webhook);
}

struct Delivery {
  at @0 :Text;
  type @1 :Text;           # the webhook event type
  webhookId @2 :Text;      # the message's `webhook-id`
  seq @3 :UInt32;          # the log event it carries
  status @4 :Json.Value;   # the HTTP status, or null when none came back
  error @5 :Json.Value;    # why not, or null
  nextRetryAt @6 :Json.Value;  # RFC 3339, or null (delivered, or given up)
  gaveUp @7 :Bool;
}

struct DeliveryList {
  state @0 :Text;          # "delivering", "key_mismatch" or "not_available_in_cluster_mode"
  message @1 :Text;        # the state in words
  deliveries @2 :List(Delivery);  # the last 100 attempts, oldest first
}
