// The raw baseline of the cluster's durable-command row: concurrent JetStream publishes of a
// given size to an R3 stream set up exactly as pitlog's (ensureStream), with no expectations (no
// expected last sequence, no msg id, no decision or apply around them). Each client publishes
// synchronously (waits for the stream's ack) in a loop, as a pitd writer does.
//   jetstream_raw URL[,URL...] STREAM BYTES CLIENTS SECONDS
// Clients are spread over one connection per URL, as pitd nodes are. Prints one line:
// bench=jetstream_raw clients=N bytes=N publishes_s=N failed=N
#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/commit_stream.h"
#include "cluster/nats_connection.h"

using namespace pitlog::cluster;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: jetstream_raw URL[,URL...] STREAM BYTES CLIENTS SECONDS\n");
    return 2;
  }
  std::vector<std::string> urls;
  std::stringstream list(argv[1]);
  for (std::string u; std::getline(list, u, ',');) urls.push_back(u);
  StreamSettings settings;
  settings.name = argv[2];
  const size_t bytes = std::strtoull(argv[3], nullptr, 10);
  const int clients = std::atoi(argv[4]);
  const double seconds = std::atof(argv[5]);
  if (urls.empty() || bytes == 0 || clients <= 0 || seconds <= 0) {
    std::fprintf(stderr, "jetstream_raw: bad arguments\n");
    return 2;
  }
  std::vector<std::unique_ptr<NatsConnection>> conns;
  for (const auto& u : urls) conns.push_back(std::make_unique<NatsConnection>(ConnectOptions{{u}, "bench-raw"}));
  (void)ensureStream(*conns[0], settings);
  const std::string subject = commitSubject(settings.name);
  const std::string payload(bytes, 'x');

  std::atomic<uint64_t> stored{0}, failed{0};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int c = 0; c < clients; ++c) {
    pool.emplace_back([&, c] {
      jsCtx* js = conns[c % conns.size()]->jetStream();
      while (std::chrono::steady_clock::now() < deadline) {
        jsPubAck* ack = nullptr;
        jsErrCode jerr = jsErrCode(0);
        natsStatus s = js_Publish(&ack, js, subject.c_str(), payload.data(), int(payload.size()),
                                  nullptr, &jerr);
        (s == NATS_OK ? stored : failed)++;
        jsPubAck_Destroy(ack);
      }
    });
  }
  for (auto& t : pool) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("bench=jetstream_raw clients=%d bytes=%zu publishes_s=%.0f failed=%llu\n", clients,
              bytes, stored / elapsed, (unsigned long long)failed.load());
  return 0;
}
