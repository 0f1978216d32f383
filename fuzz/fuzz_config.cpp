// libFuzzer target: pitd's configuration text. parseConfig() reads the --config file by path, so
// each input is written to an in-memory file (memfd) and named through /proc/self/fd; the same
// text is also parsed as a service keys file and as a scope catalogue, the two other files an
// operator hands pitd. Only ASan/UBSan findings and escaped exceptions count: a bad file must
// come back as exit code 2 or std::invalid_argument, never as a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>

#include "commands/scope_catalogue.h"
#include "server/config.h"
#include "server/service_keys.h"

using namespace pitlog;

namespace {

constexpr size_t kMaxInput = 8 * 1024;
int configFd = -1;
std::string configPath;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Only the file is under test: no PITLOG_* variable of the caller's environment may mix in.
  for (const char* name : {"PITLOG_DATA", "PITLOG_HTTP", "PITLOG_RPC", "PITLOG_SERVICE_KEYS",
                           "PITLOG_SCOPES", "PITLOG_ROTATION_WINDOW", "PITLOG_SYNC",
                           "PITLOG_LOG_LEVEL", "PITLOG_LOG_FORMAT", "PITLOG_CONFIG"}) {
    ::unsetenv(name);
  }
  configFd = ::memfd_create("pitd.conf", MFD_CLOEXEC);
  if (configFd < 0) std::abort();
  configPath = "/proc/self/fd/" + std::to_string(configFd);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (::ftruncate(configFd, 0) != 0 || ::pwrite(configFd, data, size, 0) != ssize_t(size)) {
    std::abort();
  }
  // --data on the command line, so that interpretation goes on past the one required option
  // and reaches every value the file sets.
  const char* argv[] = {"pitd", "--data", "/nonexistent", "--config", configPath.c_str()};
  std::ostringstream out, err;
  auto outcome = server::parseConfig(5, argv, out, err);
  if (outcome.action == server::ConfigOutcome::Action::exit && outcome.exitCode != 2) std::abort();

  try {
    (void)server::ServiceKeys::parse(text);
  } catch (const std::invalid_argument&) {
  }
  try {
    (void)commands::ScopeCatalogue::parse(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
