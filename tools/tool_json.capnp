@0xb5a2c9e4d7f01836;
# The JSON the tools print besides events (events use src/events/event_json.capnp): encoded with
# Cap'n Proto's JSON codec, field order as declared. Field names follow API.md (camelCase, times
# RFC 3339 UTC with milliseconds). Sequence numbers are UInt32 because the codec writes 64-bit
# integers as JSON strings (see event_json.capnp); the tools refuse to truncate a larger one.
# Absent optional values (a token without a deadline, no rotation) are JSON null, as in API.md,
# through fields of type Json.Value.

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("pitlog::tools::json");

# pit-replay checkpoint: a statement an auditor keeps, later given to `verify --against`.
struct Checkpoint {
  format @0 :Text;        # "pitlog-checkpoint/1"
  seq @1 :UInt32;         # the last event of the log when the statement was made
  hash @2 :Text;          # its chain hash, 64 hex digits: it commits to every event up to seq
  at @3 :Text;            # that event's time
  eventId @4 :Text;       # that event's id, 32 hex digits
  takenAt @5 :Text;       # when the statement was made
}

# pit-dump --stats --format json
struct DumpStats {
  database @0 :Text;
  mode @1 :Text;                 # "read-only" or "secondary (live database)"
  matched @2 :UInt32;            # events that passed the filters
  damaged @3 :UInt32;            # event values that did not decode, or missing sequences
  firstSeq @4 :Json.Value;       # null when nothing matched
  lastSeq @5 :Json.Value;
  firstAt @6 :Json.Value;
  lastAt @7 :Json.Value;
  byType @8 :List(Count);        # every type, in API.md's order, zeros included
  topAccounts @9 :List(Count);   # by matched events, at most 10
  familyBytes @10 :List(Count);  # on-disk bytes (SST + memtables) per column family
  chainHead @11 :ChainHead;
}

struct Count {
  name @0 :Text;
  count @1 :Float64;       # a JSON number without the UInt32 limit (exact below 2^53)
}

struct ChainHead {
  seq @0 :Float64;
  hash @1 :Text;
}

# pit-replay as-of --format json: API.md's `integration` shape, as of a time or sequence.
struct AsOfReport {
  asOf @0 :Text;                 # the moment: --at, or the time of event --seq
  seq @1 :UInt32;                # the last event applied
  integrations @2 :List(IntegrationJson);
}

struct IntegrationJson {
  id @0 :Text;
  accountId @1 :Text;
  name @2 :Text;
  description @3 :Text;
  scopes @4 :List(Text);
  status @5 :Text;               # "active" or "deleted"
  version @6 :UInt32;
  createdAt @7 :Text;
  createdBy @8 :Text;
  updatedAt @9 :Text;
  tokens @10 :List(TokenJson);   # the tokens valid at that moment
  rotation @11 :Json.Value;      # null or {"startedAt", "previousExpiresAt"}
}

struct TokenJson {
  tokenId @0 :Text;
  hint @1 :Text;                 # "pit_…AbCd"
  state @2 :Text;                # "current" or "previous"
  issuedAt @3 :Text;
  expiresAt @4 :Json.Value;      # null or RFC 3339
}

# pit-replay trail --format jsonl: one line per event of the account.
struct TrailEntry {
  seq @0 :UInt32;
  at @1 :Text;
  type @2 :Text;
  integrationId @3 :Text;        # empty for PermissionChanged
  integrationName @4 :Text;      # its name at that moment
  actor @5 :TrailActor;
  requestId @6 :Text;
  summary @7 :Text;              # the sentence the text report prints
  scopesAdded @8 :List(Text);    # Created and ScopesUpdated
  scopesRemoved @9 :List(Text);  # ScopesUpdated
}

struct TrailActor {
  accountId @0 :Text;
  userId @1 :Text;
  role @2 :Text;
}
