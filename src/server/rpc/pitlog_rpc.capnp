@0xd3038bc2c404e6a9;
# pitlog over Cap'n Proto RPC: API.md's operations on pitd's RPC port (--rpc, default
# 127.0.0.1:8081), with the same authentication, rules and errors as the HTTP API.
#
# Conventions (binding for every method below):
# - Authentication first: the bootstrap capability is a Gateway; only login() with a valid service
#   key yields a Session, and every other operation is a method of Session. A wrong key answers
#   `unauthenticated` and no Session.
# - Expected failures are values, never RPC exceptions: each result holds either the success or
#   an Error whose `code` is API.md's code name ("invalid_argument", "permission_denied",
#   "not_found", "version_mismatch", "conflict", "payload_too_large", "unavailable", "internal").
#   (scopes cannot fail; introspect is refused only for a malformed message.) A message that is
#   not a well-formed instance of the method's parameters (a pointer of the wrong kind, text
#   without its NUL, nesting past the limit) is `invalid_argument`, never `internal`. When a request has several faults the first in API.md's
#   order answers: the request's form (payload_too_large, then invalid_argument), then
#   authorization (permission_denied), existence (not_found), version (version_mismatch), state
#   (conflict). A failed request changes nothing and appends no event.
#   An RPC exception means the connection or the server broke, not that the request was refused.
# - Times are RFC 3339 UTC text with milliseconds ("2026-11-28T17:00:00.000Z"), exactly the strings
#   the HTTP API shows; inputs (asOf, since, until) accept any RFC 3339 time with a zone. The one
#   exception is introspection, whose iat/exp are Unix seconds as RFC 7662 and API.md have them.
# - Text inputs documented as "empty = none" treat the empty string and an unset field alike.
# - The payload of one call (its parameters) is at most 64 KiB, as an HTTP body is.
# - Error.field names the input to blame with this schema's names: "serviceKey",
#   "actor.accountId", "actor.userId", "actor.role", "requestId", "idempotencyKey", "ifMatch",
#   "integrationId", "name", "description", "scopes", "expire", "asOf", "staleAfter", "since",
#   "until", "limit", "userId"; it is empty when no single input is to blame.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::rpc::schema");

interface Gateway {
  # The bootstrap capability of a connection.
  login @0 (serviceKey :Text) -> (result :LoginResult);
}

struct LoginResult {
  # Exactly one is set. Not a union, so that a client may pipeline calls on `session` without
  # waiting for the login; after a refused login such calls fail (a null capability).
  session @0 :Session;
  error @1 :Error;         # `unauthenticated` for a missing or wrong key
}

struct Error {
  code @0 :Text;           # API.md's code name
  message @1 :Text;        # for a person; never holds a token
  field @2 :Text;          # the input to blame, empty when no single one is
}

struct Actor {
  # The tenant and the signed-in user on whose behalf the calling service acts: the HTTP API's
  # {accountId} path segment, X-Actor-User and X-Actor-Role. Ids match ^[A-Za-z0-9._:-]{1,64}$;
  # `role` must be admin or user (unspecified or any other value: invalid_argument).
  accountId @0 :Text;
  userId @1 :Text;
  role @2 :Role;
  enum Role {
    unspecified @0;
    admin @1;
    user @2;
  }
}

struct IfMatch {
  # HTTP's If-Match on the target's `version` (its ETag): `any` is "*"; `versions` lists the
  # acceptable versions (strong comparison) and must not be empty. Mismatch: version_mismatch.
  union {
    none @0 :Void;
    any @1 :Void;
    versions @2 :List(UInt32);  # 1-100 versions, as over HTTP
  }
}

struct Options {
  # Per-mutation options, as HTTP headers carry them.
  requestId @0 :Text;        # X-Request-Id, stored in the events the call causes; empty = none
  idempotencyKey @1 :Text;   # Idempotency-Key (1-128 printable ASCII); unset = none; set to
                             # "" is invalid_argument, as HTTP's present-but-empty header is
  ifMatch @2 :IfMatch;
}

struct CreateOptions {
  # create has no target version, hence no ifMatch.
  requestId @0 :Text;
  idempotencyKey @1 :Text;   # as in Options
}

# Idempotency: a call that repeats the key of an earlier mutation of the same account within 24
# hours appends nothing and answers as the first did, with `replayed` true and no token. The same
# key with another operation, target or arguments is `conflict` (field "idempotencyKey"), checked
# right after authorization (before existence and version). Keys are one namespace per account,
# shared with the HTTP API, and "the same request" is the same operation with the same arguments
# whichever protocol carries it: a retry over RPC of a request first made over HTTP (or the
# reverse) replays it.

struct Integration {
  id @0 :Text;
  accountId @1 :Text;
  name @2 :Text;
  description @3 :Text;
  scopes @4 :List(Text);     # sorted, unique
  status @5 :Status;
  version @6 :UInt32;        # stream version: 1 after create, +1 per event (its ETag)
  createdAt @7 :Text;
  createdBy @8 :Text;        # user id
  updatedAt @9 :Text;
  tokens @10 :List(TokenInfo);  # the valid tokens: current, and previous during a window
  rotation :union {
    none @11 :Void;          # always after a rotate with expire=now
    pending @12 :Rotation;
  }
  enum Status {
    active @0;
    deleted @1;
  }
}

struct TokenInfo {
  tokenId @0 :Text;          # first 16 lowercase hex digits of SHA-256(token)
  hint @1 :Text;             # "pit_…" + last 4 characters
  state @2 :State;
  issuedAt @3 :Text;
  expiresAt :union {
    none @4 :Void;
    at @5 :Text;
  }
  lastUsedAt :union {        # its last active introspection (not history; at most 60 s behind)
    never @6 :Void;
    at @7 :Text;
  }
  enum State {
    current @0;
    previous @1;
  }
}

struct Rotation {
  startedAt @0 :Text;
  previousExpiresAt @1 :Text;
}

struct IntegrationResult {
  union {
    ok :group {
      integration @0 :Integration;  # as the call left it (as the first call did, for a replay)
      token @1 :Text;               # the plaintext, shown once: only in the first answer to
                                    # create and rotate; unset otherwise
      replayed @2 :Bool;            # answered from an idempotency record
    }
    error @3 :Error;
  }
}

struct DeleteResult {
  union {
    ok :group {
      version @0 :UInt32;    # the stream version after the deletion
      replayed @1 :Bool;
    }
    error @2 :Error;
  }
}

struct ListResult {
  union {
    integrations @0 :List(Integration);  # oldest first
    error @1 :Error;
  }
}

struct Event {
  # API.md's `event`. `data` names tokens by tokenId, never more.
  seq @0 :UInt64;
  streamId @1 :Text;
  streamVersion @2 :UInt32;
  eventId @3 :Text;          # 32 hex digits
  at @4 :Text;
  actor @5 :EventActor;
  requestId @6 :Text;
  type @7 :Text;             # Created, ScopesUpdated, RotationStarted, RotationCancelled,
                             # Expired, Deleted, PermissionChanged, WebhookSubscribed,
                             # WebhookRemoved
  prevHash @8 :Text;         # 64 hex digits; zeros for the first event
  hash @9 :Text;             # 64 hex digits
  data :union {
    created @10 :CreatedData;
    scopesUpdated @11 :ScopesUpdatedData;
    rotationStarted @12 :RotationStartedData;
    rotationCancelled @13 :RotationCancelledData;
    expired @14 :ExpiredData;
    deleted @15 :Void;
    permissionChanged @16 :PermissionChangedData;
    webhookSubscribed @17 :WebhookSubscribedData;
    webhookRemoved @18 :Text;   # the webhook id
  }
}

struct EventActor {
  accountId @0 :Text;        # empty for the system actor
  userId @1 :Text;           # "system" for the scheduler
  role @2 :Text;             # "admin", "user" or "system"
}

struct CreatedData {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
  tokenId @3 :Text;
  tokenHint @4 :Text;        # the token's last 4 characters, as in the event's JSON form
}

struct ScopesUpdatedData {
  name @0 :Text;
  description @1 :Text;
  scopes @2 :List(Text);
}

struct RotationStartedData {
  tokenId @0 :Text;
  previousTokenId @1 :Text;
  previousExpiresAt @2 :Text;
  expireNow @3 :Bool;
  tokenHint @4 :Text;
}

struct RotationCancelledData {
  cancelledTokenId @0 :Text;
  restoredTokenId @1 :Text;
}

struct ExpiredData {
  tokenId @0 :Text;
  reason @1 :Text;           # "manual", "window_elapsed", "rotated_now" or "revoked"
  source @2 :Text;           # revoked, when the revoker said where the token was found
}

struct PermissionChangedData {
  userId @0 :Text;
  allowed @1 :Bool;
}

struct WebhookSubscribedData {
  # As the event's JSON form: never the secret.
  webhookId @0 :Text;
  url @1 :Text;
  events @2 :List(Text);
  secretEventId @3 :Text;    # 32 hex digits, or empty
  keyFingerprint @4 :Text;   # 64 hex digits
}

struct EventsResult {
  union {
    events @0 :List(Event);  # oldest first
    error @1 :Error;
  }
}

struct AuditResult {
  union {
    ok :group {
      events @0 :List(Event);
      next :union {
        none @1 :Void;       # no event follows the page
        after @2 :UInt64;    # the `after` of the next page
      }
    }
    error @3 :Error;
  }
}

struct Permission {
  userId @0 :Text;
  source @1 :Source;
  allowed :union {
    roleDecides @2 :Void;    # source = default: HTTP's "allowed": null
    value @3 :Bool;
  }
  version @4 :UInt32;        # the permission's stream version (0: never set), for ifMatch
  enum Source {
    default @0;
    grant @1;
    withdrawal @2;
  }
}

struct PermissionResult {
  union {
    permission @0 :Permission;
    error @1 :Error;
  }
}

struct SetPermissionResult {
  union {
    ok :group {
      userId @0 :Text;
      allowed @1 :Bool;
      version @2 :UInt32;
      replayed @3 :Bool;
    }
    error @4 :Error;
  }
}

struct Introspection {
  # RFC 7662 as API.md has it. An unknown, malformed, expired or deleted token is exactly
  # active = false with every other field unset.
  active @0 :Bool;
  scope @1 :Text;            # space-separated
  tokenType @2 :Text;        # "pit"
  accountId @3 :Text;
  integrationId @4 :Text;
  iat @5 :Int64;             # Unix seconds
  exp :union {
    none @6 :Void;           # no deadline
    at @7 :Int64;            # Unix seconds
  }
  allowed :union {
    notAsked @8 :Void;       # no required scope was given
    value @9 :Bool;
  }
  error @10 :Error;          # set (with active false) only when the call itself was refused:
                             # invalid_argument for a malformed message, payload_too_large
}

interface Session {
  # An authenticated service's view of pitlog. Integration and audit operations require that the
  # actor *may manage* the account (API.md); the permission operations require role admin. An
  # integration of another account is not_found, never visible; so is a deleted one, except to
  # events() and to get() with an asOf before its deletion.

  create @0 (actor :Actor, options :CreateOptions, name :Text, description :Text,
             scopes :List(Text)) -> (result :IntegrationResult);
  # name 1-100 characters after trimming, no control characters; description 0-1000 characters;
  # scopes 1-100 entries from the catalogue, duplicates collapsed, returned sorted.

  list @1 (actor :Actor, includeDeleted :Bool, staleAfter :StaleAfter) -> (result :ListResult);
  # staleAfter.days = N (0-36500) lists only integrations whose current token was issued more
  # than N days ago.

  get @2 (actor :Actor, integrationId :Text, asOf :Text) -> (result :IntegrationResult);
  # asOf (RFC 3339; empty = now): the view as it was then.

  edit @3 (actor :Actor, options :Options, integrationId :Text, name :OptionalText,
           description :OptionalText, scopes :OptionalScopes) -> (result :IntegrationResult);
  # At least one of name, description, scopes must be set; the token is unchanged.

  rotate @4 (actor :Actor, options :Options, integrationId :Text, expire :Expire)
      -> (result :IntegrationResult);
  # later: the previous token stays valid for the rotation window (conflict while a rotation is
  # pending); now: every valid token expires at once.

  cancelRotation @5 (actor :Actor, options :Options, integrationId :Text)
      -> (result :IntegrationResult);
  expireNow @6 (actor :Actor, options :Options, integrationId :Text)
      -> (result :IntegrationResult);
  # Both conflict when no rotation is pending.

  delete @7 (actor :Actor, options :Options, integrationId :Text) -> (result :DeleteResult);

  events @8 (actor :Actor, integrationId :Text) -> (result :EventsResult);
  # The integration's whole history, oldest first, deleted ones too.

  audit @9 (actor :Actor, after :UInt64, limit :UInt32 = 100, since :Text, until :Text)
      -> (result :AuditResult);
  # The account's events after sequence `after` (0 to 2^63-1); limit 1-1000; since/until
  # (RFC 3339, empty = none; since not after until) bound event times, inclusive.

  getPermission @10 (actor :Actor, userId :Text) -> (result :PermissionResult);
  setPermission @11 (actor :Actor, options :Options, userId :Text, allowed :Bool)
      -> (result :SetPermissionResult);
  # options.ifMatch applies to the permission's version.

  scopes @12 () -> (scopes :List(Text));
  # The catalogue, sorted.

  introspect @13 (token :Text, requiredScope :OptionalText) -> (result :Introspection);

  revoke @14 (requestId :Text, tokens :List(Text), source :OptionalText)
      -> (result :RevokeResult);
  # Revocation by value (API.md "Token hygiene"), as POST /v1/revoke/batch: at most 1000 tokens
  # (invalid_argument, field tokens), source at most 500 characters. Each valid token expires at
  # once (Expired, reason revoked, actor revocation); the answer is the same whether a token was
  # valid, expired, unknown, malformed or another account's.
}

struct RevokeResult {
  union {
    received @0 :UInt32;     # how many token strings the call carried
    error @1 :Error;
  }
}

struct OptionalText {
  union {
    none @0 :Void;
    value @1 :Text;
  }
}

struct OptionalScopes {
  union {
    none @0 :Void;
    value @1 :List(Text);
  }
}

struct StaleAfter {
  union {
    none @0 :Void;
    days @1 :UInt32;
  }
}

enum Expire {
  unspecified @0;            # invalid_argument: say which
  later @1;
  now @2;
}
