@0xd1e8a0b3c5f27e94;
# Stored views. They are disposable: a rebuild from the log must reproduce them byte for byte
# (canonical encoding), which is what `pit-replay verify` checks.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::views");

enum TokenState {
  current @0;
  previous @1;
}

struct TokenRecord {
  digest @0 :Data;
  state @1 :TokenState;
  issuedAt @2 :Int64;
  expiresAt @3 :Int64;      # meaningful only when hasDeadline
  hasDeadline @4 :Bool;
  hint @5 :Text;            # last 4 characters of the token
}

struct IntegrationView {
  id @0 :Text;
  accountId @1 :Text;
  name @2 :Text;
  description @3 :Text;
  scopes @4 :List(Text);
  deleted @5 :Bool;
  version @6 :UInt32;
  createdAt @7 :Int64;
  createdBy @8 :Text;
  createdSeq @9 :UInt64;
  updatedAt @10 :Int64;
  deletedAt @11 :Int64;
  lastSeq @12 :UInt64;
  tokens @13 :List(TokenRecord);
  rotationPending @14 :Bool;
  rotationStartedAt @15 :Int64;
  rotationPreviousExpiresAt @16 :Int64;
}

# tokens family: what verification needs, without reading the integration.
struct TokenEntry {
  integrationId @0 :Text;
  accountId @1 :Text;
  state @2 :TokenState;
  issuedAt @3 :Int64;
  expiresAt @4 :Int64;
  hasDeadline @5 :Bool;
  scopes @6 :List(Text);
}

# webhooks family: one live subscription (WebhookSubscribed folds in, WebhookRemoved erases it).
struct WebhookView {
  webhookId @0 :Text;
  accountId @1 :Text;
  url @2 :Text;
  events @3 :List(Text);
  secretEventId @4 :Data;      # 16 bytes: the eventId of the WebhookSubscribed that created it
  keyFingerprint @5 :Data;     # 32 bytes, as the latest WebhookSubscribed recorded it
  createdAt @6 :Int64;
  createdSeq @7 :UInt64;       # delivery starts after this event
  updatedAt @8 :Int64;
  version @9 :UInt32;          # the subscription stream's version
}
