@0xa7c3e1d95b2f4c08;
# The idempotency family's value: what a repeated request needs to answer as the first did.
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::commands::schema");

struct IdempotencyRecord {
  fingerprint @0 :Data;     # SHA-256 of method, path and body of the first request
  at @1 :Int64;             # Unix ms of the first request; ignored and pruned after 24 h
  integrationId @2 :Text;   # the integration the command touched, if any
  version @3 :UInt32;       # its stream version after the command
  firstSeq @4 :UInt64;
  lastSeq @5 :UInt64;
  userId @6 :Text;          # for a permission change
  allowed @7 :Bool;
}
