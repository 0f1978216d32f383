#pragma once
// The JetStream key-value buckets of cluster mode's shared operational state (DESIGN.md: last use,
// console sessions, webhook delivery): opened, or created when missing, the same way for each.
#include <chrono>
#include <string>

typedef struct __jsCtx jsCtx;
typedef struct __kvStore kvStore;

namespace pitlog::cluster {

struct BucketSettings {
  std::string bucket;  // e.g. "<stream>_LAST_USE"
  int replicas = 1;
  // The bucket's TTL (its stream's max age): 0 keeps values until they are deleted.
  std::chrono::milliseconds ttl{0};
};

// Opens the bucket through `js`, creating it when missing (file storage, history 1: every reader
// wants the latest value only). Another node creating it at the same moment is no error. Returns
// the store, or nullptr with *error naming the bucket and NATS's reason.
kvStore* openBucket(jsCtx* js, const BucketSettings& settings, std::string* error);

}  // namespace pitlog::cluster
