@0xd2a7c4e19b3f5a08;
# The webhook_delivery family's values (events/keys.h has the keys). Not history: written by the
# delivery worker only, never hash-chained, never rebuilt by replay.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("pitlog::server::webhooks::schema");

# Where one subscription's delivery stands.
struct DeliveryCursor {
  secretEventId @0 :Data;   # the subscription this cursor belongs to (a re-created one starts anew)
  deliveredSeq @1 :UInt64;  # every event of the account up to here is delivered or given up
  pendingSeq @2 :UInt64;    # the message being retried (0: none)
  attempts @3 :UInt32;      # attempts of the pending message so far
  firstAttemptAt @4 :Int64; # Unix ms of its first attempt
  nextAttemptAt @5 :Int64;  # Unix ms before which it is not tried again
  attemptsRecorded @6 :UInt64;  # numbers the attempt keys; the last 100 are kept
  reminderNext @7 :UInt64;  # the next queued reminder to send (queue index)
}

# A reminder (rotation.due, rotation.window_ending) queued for one subscription when it fired.
struct QueuedReminder {
  type @0 :Text;
  messageId @1 :Text;
  body @2 :Text;
}

# One attempt, as the deliveries route shows it.
struct DeliveryAttempt {
  at @0 :Int64;
  type @1 :Text;          # the webhook event type
  messageId @2 :Text;     # webhook-id
  seq @3 :UInt64;         # the log event it carries (0: a reminder)
  status @4 :UInt32;      # the HTTP status, 0 when none came back
  error @5 :Text;         # why not, when no status came back
  nextRetryAt @6 :Int64;  # 0: none (delivered, or given up)
  gaveUp @7 :Bool;        # the retries ran out: the next message follows
}
