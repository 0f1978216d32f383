#include "scratch_engine.h"

#include <unistd.h>

#include <filesystem>
#include <utility>

namespace pitlog::fuzz {

ScratchEngine::ScratchEngine(std::string dirPrefix,
                             std::function<void(const commands::BatchStats&)> onBatch)
    : dirPrefix_(std::move(dirPrefix)), onBatch_(std::move(onBatch)) {}

void ScratchEngine::open() {
  std::string tmpl = "/tmp/" + dirPrefix_ + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) std::abort();
  dir_ = tmpl;
  commands::EngineOptions options;
  options.dataDir = dir_ + "/db";
  options.sync = false;
  if (onBatch_) options.onBatch = onBatch_;
  engine_ = commands::Engine::open(std::move(options));
}

void ScratchEngine::close() {
  engine_->stop();
  engine_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

commands::CommandResult ScratchEngine::seed(const std::string& account, commands::Action action,
                                     const std::string& requestId) {
  commands::Command c;
  c.accountId = account;
  c.actor = {account, "alice", events::Role::admin};
  c.requestId = requestId;
  c.action = std::move(action);
  auto r = engine_->execute(std::move(c));
  if (!r.ok()) std::abort();
  return r;
}

void finding(const char* target, const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n%s\n", target, what.c_str(), detail.c_str());
  std::abort();
}

}  // namespace pitlog::fuzz
