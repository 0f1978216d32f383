#include "server/http_loop_threads.h"

#include <stdexcept>

namespace pitlog::server {

HttpLoopThreads::HttpLoopThreads(size_t count, const HttpLoopShared& shared) {
  for (size_t i = 0; i < count; ++i) {
    auto& loop = *loops_.emplace_back(std::make_unique<Loop>());
    loop.thread = std::thread([this, &loop, &shared] { run(loop, shared); });
  }
  std::string failure;
  {
    std::unique_lock lock(mu_);
    for (auto& loop : loops_) {
      changed_.wait(lock, [&] { return loop->started || loop->ended; });
      if (!loop->started && failure.empty()) failure = loop->failure;
    }
  }
  if (!failure.empty()) {
    stop();
    throw std::runtime_error(failure);
  }
}

HttpLoopThreads::~HttpLoopThreads() { stop(); }

void HttpLoopThreads::run(Loop& loop, const HttpLoopShared& shared) {
  try {
    auto io = kj::setupAsyncIo();
    std::optional<ServerTls> tls;
    if (shared.config.tlsCertFile) {
      tls = loadServerTls(*shared.config.tlsCertFile, *shared.config.tlsKeyFile);
    }
    HttpLoop http(io, shared, std::move(tls));
    auto stopped = kj::newPromiseAndFulfiller<void>();
    http.start();
    {
      std::lock_guard lock(mu_);
      loop.executor = &kj::getCurrentThreadExecutor();
      loop.http = &http;
      loop.stop = kj::mv(stopped.fulfiller);
      loop.started = true;
    }
    changed_.notify_all();
    stopped.promise.wait(io.waitScope);
    std::lock_guard lock(mu_);
    loop.executor = nullptr;
    loop.http = nullptr;
    loop.stop = nullptr;  // on the thread whose loop its promise belonged to
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    loop.failure = e.what();
  } catch (const kj::Exception& e) {
    std::lock_guard lock(mu_);
    loop.failure = e.getDescription().cStr();
  }
  {
    std::lock_guard lock(mu_);
    loop.ended = true;
  }
  changed_.notify_all();
}

kj::Promise<void> HttpLoopThreads::drain() {
  auto drains = kj::heapArrayBuilder<kj::Promise<void>>(loops_.size());
  std::lock_guard lock(mu_);
  for (auto& loop : loops_) {
    if (loop->executor == nullptr) continue;
    HttpLoop* http = loop->http;
    loop->executor->executeSync([http] { http->stopAccepting(); });
    drains.add(loop->executor->executeAsync([http] { return http->drain(); }));
  }
  return kj::joinPromises(drains.finish());
}

void HttpLoopThreads::stop() {
  {
    std::lock_guard lock(mu_);
    for (auto& loop : loops_) {
      if (loop->executor == nullptr) continue;
      Loop* l = loop.get();
      loop->executor->executeSync([l] { l->stop->fulfill(); });
    }
  }
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

}  // namespace pitlog::server
