@0xc4a1f2e0b9d35a71;
# The event log's schema. Evolution is additive only: new fields and new union members get new
# ordinals; nothing is renamed, renumbered or removed, so every stored event stays readable.
# Events name tokens by their SHA-256 digest (32 bytes), never by the token itself.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::schema");

struct Actor {
  accountId @0 :Text;     # empty for the system actor
  userId @1 :Text;        # "system" for the system actor
  role @2 :Role;
  enum Role {
    admin @0;
    user @1;
    system @2;
  }
}

struct Event {
  seq @0 :UInt64;            # global sequence, gap-free, from 1
  streamId @1 :Text;         # an integration id, or a permission stream (see keys.h)
  streamVersion @2 :UInt32;  # from 1 within the stream
  eventId @3 :Data;          # 16 random bytes
  at @4 :Int64;              # Unix milliseconds
  actor @5 :Actor;
  requestId @6 :Text;
  prevHash @7 :Data;         # 32 bytes: hash of event seq-1, zeros for the first
  accountId @8 :Text;        # the tenant whose audit this event belongs to

  body :union {
    created @9 :Created;
    scopesUpdated @10 :ScopesUpdated;
    rotationStarted @11 :RotationStarted;
    rotationCancelled @12 :RotationCancelled;
    expired @13 :Expired;
    deleted @14 :Deleted;
    permissionChanged @15 :PermissionChanged;
    webhookSubscribed @16 :WebhookSubscribed;
    webhookRemoved @17 :WebhookRemoved;
  }
}

struct Created {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);     # sorted, unique
  token @3 :Data;            # digest of the first token
  tokenHint @4 :Text;        # its last 4 characters, shown in views as "pit_…abcd"
}

struct ScopesUpdated {
  # The complete values after the edit, so that a view is rebuilt from this event alone.
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
}

struct RotationStarted {
  token @0 :Data;              # digest of the new current token
  previousToken @1 :Data;      # digest of the token that was current; 32 zero bytes when no
                               # token was current (it was revoked): nothing is left to overlap
  previousExpiresAt @2 :Int64; # Unix ms; equal to the event time for "expire now"
  expireNow @3 :Bool;
  tokenHint @4 :Text;          # last 4 characters of the new token
}

struct RotationCancelled {
  cancelledToken @0 :Data;     # the token the rotation issued, invalid at once (32 zero bytes
                               # when it was revoked before the cancel)
  restoredToken @1 :Data;      # the token that is current again
}

struct Expired {
  token @0 :Data;
  reason @1 :Reason;
  enum Reason {
    manual @0;
    windowElapsed @1;
    rotatedNow @2;
    revoked @3;                # POST /v1/revoke: whoever held the token asked for its death
  }
  source @2 :Text;             # revoked only: where the token was found, as the caller said
                               # (unset: not said)
}

struct Deleted {}

struct PermissionChanged {
  userId @0 :Text;
  allowed @1 :Bool;
}

# A webhook subscription created or replaced (PUT .../webhooks/{w}), in the stream
# "webhook/<account>/<w>" and the account's audit. Never the signing secret: pitd derives it from
# its webhook master key, the account, the webhook id and secretEventId (commands/webhook_secret.h).
struct WebhookSubscribed {
  webhookId @0 :Text;
  url @1 :Text;
  events @2 :List(Text);       # the API's webhook event types, sorted, unique
  secretEventId @3 :Data;      # empty: this event created the subscription and its own eventId
                               # feeds the secret; else (a replace) the eventId that did, 16 bytes
  keyFingerprint @4 :Data;     # 32 bytes: HMAC of a fixed label under the master key, so that a
                               # node holding another key refuses to sign with it
}

# A webhook subscription deleted: delivery stops; a later PUT of the same id is a new one.
struct WebhookRemoved {
  webhookId @0 :Text;
}
