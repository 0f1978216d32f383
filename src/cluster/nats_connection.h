#pragma once
// One connection to a NATS cluster and its JetStream context: the URL list is tried at start and
// then the client reconnects by itself, for ever, to any server of the list or that the cluster
// advertises. The NATS C client's objects stay behind forward declarations, so that users of this
// header need not include its headers.
//
// Thread-safety: every member may be called from any thread (the NATS client locks internally).
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cluster/nats_error.h"

typedef struct __natsConnection natsConnection;
typedef struct __jsCtx jsCtx;

namespace pitlog::cluster {

struct ConnectOptions {
  std::vector<std::string> urls;  // nats://host:port, at least one
  std::string name;               // the client name the servers show (the node name)
  std::chrono::milliseconds connectTimeout{2000};
  std::chrono::milliseconds reconnectWait{250};
  // How long a JetStream request (stream info, a publish's ack) may wait for its answer.
  std::chrono::milliseconds requestTimeout{5000};
};

class NatsConnection {
 public:
  // Connects to the first URL that answers. Throws NatsError when none does, and when the server's
  // max_payload cannot hold a commit (less than twice kMaxCommitBytes, commit_codec.h).
  explicit NatsConnection(const ConnectOptions& options);
  // Closes the connection; nothing that uses it may outlive it.
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // True while connected to a server (false while reconnecting).
  bool connected() const;
  // The connected server's max_payload in bytes.
  size_t maxPayload() const;
  std::chrono::milliseconds requestTimeout() const { return requestTimeout_; }

  // The C client's objects, for this library's other classes. Owned here.
  natsConnection* raw() const { return conn_; }
  jsCtx* jetStream() const { return js_; }

 private:
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  std::chrono::milliseconds requestTimeout_;
};

}  // namespace pitlog::cluster
