@0xe3b7c05a91d46f28;
# API.md's `event` JSON shape, as a schema that Cap'n Proto's JSON codec (capnp/compat/json.h,
# handleByAnnotation) encodes field for field, in this order:
#   {"seq", "streamId", "streamVersion", "eventId", "at", "actor", "requestId", "type", "data",
#    "prevHash", "hash"}
# This is a presentation schema, never stored: it may change with API.md, event.capnp may not.
#
# Numbers: the codec writes 64-bit integers as JSON strings (JavaScript cannot hold them), and
# API.md wants `seq` and `streamVersion` as JSON numbers, so both are UInt32 here. A log of more
# than 4 294 967 295 events would need another field type; eventToJson() refuses to truncate.
# Times are RFC 3339 text for the same reason (and because API.md says so).

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("pitlog::schema::json");

struct EventJson {
  seq @0 :UInt32;
  streamId @1 :Text;
  streamVersion @2 :UInt32;
  eventId @3 :Data $Json.hex;      # 32 lowercase hex digits
  at @4 :Text;                     # RFC 3339 UTC, milliseconds
  actor @5 :ActorJson;
  requestId @6 :Text;

  # Rendered as "type": "<member's JSON name>", "data": {...}, between requestId and prevHash.
  body :union $Json.flatten() $Json.discriminator(name = "type", valueName = "data") {
    created @7 :CreatedData $Json.name("Created");
    scopesUpdated @8 :ScopesUpdatedData $Json.name("ScopesUpdated");
    rotationStarted @9 :RotationStartedData $Json.name("RotationStarted");
    rotationCancelled @10 :RotationCancelledData $Json.name("RotationCancelled");
    expired @11 :ExpiredData $Json.name("Expired");
    deleted @12 :DeletedData $Json.name("Deleted");
    permissionChanged @13 :PermissionChangedData $Json.name("PermissionChanged");
    webhookSubscribed @16 :WebhookSubscribedData $Json.name("WebhookSubscribed");
    webhookRemoved @17 :WebhookRemovedData $Json.name("WebhookRemoved");
  }

  prevHash @14 :Data $Json.hex;    # 64 hex digits; zeros for the first event
  hash @15 :Data $Json.hex;        # 64 hex digits
}

struct ActorJson {
  accountId @0 :Text;              # left unset (so absent) for the system actor
  userId @1 :Text;                 # "system" for the system actor
  role @2 :Role;
  enum Role {
    admin @0;
    user @1;
    system @2;
  }
}

# Tokens are named by tokenId (first 16 hex digits of the digest) and, where the views show it,
# by their last 4 characters (tokenHint); never by anything more.

struct CreatedData {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
  tokenId @3 :Text;
  tokenHint @4 :Text;
}

struct ScopesUpdatedData {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
}

struct RotationStartedData {
  tokenId @0 :Text;                # the new current token
  previousTokenId @1 :Text;
  previousExpiresAt @2 :Text;      # RFC 3339
  expireNow @3 :Bool;
  tokenHint @4 :Text;              # of the new token
}

struct RotationCancelledData {
  cancelledTokenId @0 :Text;
  restoredTokenId @1 :Text;
}

struct ExpiredData {
  tokenId @0 :Text;
  reason @1 :Reason;
  enum Reason {
    manual @0;
    windowElapsed @1 $Json.name("window_elapsed");
    rotatedNow @2 $Json.name("rotated_now");
    revoked @3;
  }
  source @2 :Text;                 # revoked, when the caller said where the token was found
}

struct DeletedData {}

struct PermissionChangedData {
  userId @0 :Text;
  allowed @1 :Bool;
}

# Never the secret: the key's fingerprint and the creating event's id only (from which a node
# holding the master key derives the secret).
struct WebhookSubscribedData {
  webhookId @0 :Text;
  url @1 :Text;
  events @2 :List(Text);
  secretEventId @3 :Data $Json.hex;   # a replace: the eventId of the event that created it
  keyFingerprint @4 :Data $Json.hex;
}

struct WebhookRemovedData {
  webhookId @0 :Text;
}
