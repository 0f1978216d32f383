#include "server/http/shared_console_session_store.h"

namespace pitlog::server::http {

class SharedConsoleSessionStore::Handle final : public ConsoleSessionStore {
 public:
  explicit Handle(SharedConsoleSessionStore& shared) : shared_(shared) {}

  Status create(const ConsoleKey& key, const ConsoleEntry& entry, std::string* error) override {
    std::lock_guard lock(shared_.mu_);
    return shared_.store_->create(key, entry, error);
  }
  Read get(const ConsoleKey& key, std::string* error) override {
    std::lock_guard lock(shared_.mu_);
    return shared_.store_->get(key, error);
  }
  Status update(const ConsoleKey& key, const ConsoleEntry& entry, uint64_t revision,
                std::string* error) override {
    std::lock_guard lock(shared_.mu_);
    return shared_.store_->update(key, entry, revision, error);
  }
  Status remove(const ConsoleKey& key, std::string* error) override {
    std::lock_guard lock(shared_.mu_);
    return shared_.store_->remove(key, error);
  }
  void sweep(int64_t now) override {
    std::lock_guard lock(shared_.mu_);
    shared_.store_->sweep(now);
  }

 private:
  SharedConsoleSessionStore& shared_;
};

std::unique_ptr<ConsoleSessionStore> SharedConsoleSessionStore::handle() {
  return std::make_unique<Handle>(*this);
}

}  // namespace pitlog::server::http
