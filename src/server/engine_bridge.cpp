#include "server/engine_bridge.h"

#include <memory>

namespace pitlog::server {

kj::Promise<commands::CommandResult> submitAsync(commands::Engine& engine,
                                                 commands::Command command) {
  auto paf = kj::newPromiseAndCrossThreadFulfiller<commands::CommandResult>();
  // Engine::Callback is a std::function, which must be copyable; kj::Own is not.
  auto fulfiller =
      std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<commands::CommandResult>>>(
          kj::mv(paf.fulfiller));
  engine.submit(std::move(command), [fulfiller](commands::CommandResult result) {
    // A const fulfil is the cross-thread one; it is a no-op when the promise was dropped.
    const kj::CrossThreadPromiseFulfiller<commands::CommandResult>& f = **fulfiller;
    f.fulfill(kj::mv(result));
  });
  return kj::mv(paf.promise);
}

}  // namespace pitlog::server
