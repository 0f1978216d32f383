#pragma once
// A webhook receiver on loopback for the end-to-end tests: a thread that accepts one POST per
// connection (as pitd's sender makes them), records its Standard Webhooks headers and body, and
// answers with the next scripted status (200 once the script is used up), or hangs without an
// answer while `hang` is set. down() closes the port (connections are refused) and up() opens the
// same port again. Plaintext tokens never reach it (pitd never sends one).
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace pitlog::testing {

struct WebhookDelivery {
  std::string id, timestamp, signature, body;
  int answered = 0;  // the status sent back (0: none, the receiver hung)
};

class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  // The statuses of the next answers, in order.
  void script(std::vector<int> statuses);
  void setHang(bool hang) { hang_ = hang; }
  void down();
  void up();

  std::vector<WebhookDelivery> received() const;
  // Waits (polling) until `n` requests arrived or `bound` passed; returns what arrived.
  std::vector<WebhookDelivery> waitFor(size_t n, std::chrono::milliseconds bound) const;

 private:
  void listenOn(int port);
  void serve();
  void handle(int fd);

  int port_ = 0;
  std::atomic<int> listenFd_{-1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> hang_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::deque<int> script_;                 // GUARDED_BY(mu_)
  std::vector<WebhookDelivery> received_;  // GUARDED_BY(mu_)
  std::vector<int> held_;                  // GUARDED_BY(mu_): hung connections, closed at the end
};

}  // namespace pitlog::testing
