#include "cluster/kv_bucket.h"

#include <nats/nats.h>

#include "cluster/nats_status.h"

namespace pitlog::cluster {

kvStore* openBucket(jsCtx* js, const BucketSettings& settings, std::string* error) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js, settings.bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = settings.bucket.c_str();
    cfg.History = 1;
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = settings.replicas;
    cfg.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(settings.ttl).count();
    s = js_CreateKeyValue(&kv, js, &cfg);
    // Another node may have created it meanwhile.
    if (s != NATS_OK) s = js_KeyValue(&kv, js, settings.bucket.c_str());
  }
  if (s != NATS_OK) {
    *error = describeNatsFailure("opening key-value bucket " + settings.bucket, s);
    return nullptr;
  }
  return kv;
}

}  // namespace pitlog::cluster
