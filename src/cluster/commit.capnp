@0xd2b8e6f4a1c93057;
# A commit: the one message that cluster mode stores in the JetStream stream per group-committed
# batch. It carries exactly what a node writes for that batch besides its views, so that every
# node applies it with the same projection step whoever wrote it:
#
#   Commit        := events: CommittedEvent*  idempotency: IdempotencyEntry*  node: Text
#   CommittedEvent := seq: UInt64  hash: Data(32)  bytes: Data (the event's canonical encoding)
#   IdempotencyEntry := key: Data (the `idempotency` family's key)  record: Data (its value)
#
# The events are consecutive (seq n, n+1, ...), each one's prevHash is the hash of the one before,
# and hash = SHA-256(prevHash || bytes), exactly as in the single-node log; the first event's
# prevHash must be the applying node's chain head. The message is one canonical Cap'n Proto
# segment (see events/stored_value.h). Evolution is additive only, as for events.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::cluster::schema");

struct CommittedEvent {
  seq @0 :UInt64;
  hash @1 :Data;
  bytes @2 :Data;
}

struct IdempotencyEntry {
  key @0 :Data;
  record @1 :Data;
}

struct Commit {
  events @0 :List(CommittedEvent);
  idempotency @1 :List(IdempotencyEntry);
  node @2 :Text;   # the node that wrote it, for logs and metrics; never trusted for decisions
}
