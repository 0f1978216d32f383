#include "support/cluster_mode.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <functional>

namespace pitlog::testing {

namespace {

// A stream name is letters, digits, '-' and '_' only: a hash of the data dir, plus this test
// process's id because temp dir names may repeat across processes sharing one NATS server.
std::string streamFor(const std::string& dataDir) {
  char name[64];
  std::snprintf(name, sizeof name, "PITLOG_TEST_%d_%016zx", int(::getpid()),
                std::hash<std::string>{}(dataDir));
  return name;
}

}  // namespace

bool clusterModeUnderTest() {
  const char* url = std::getenv("PITLOG_TEST_CLUSTER");
  return url != nullptr && *url != '\0';
}

std::vector<std::string> withClusterMode(std::vector<std::string> args) {
  if (!clusterModeUnderTest()) return args;
  const char* url = std::getenv("PITLOG_TEST_CLUSTER");
  if (std::find(args.begin(), args.end(), "--cluster") != args.end()) return args;
  auto data = std::find(args.begin(), args.end(), "--data");
  const std::string dataDir = (data != args.end() && data + 1 != args.end()) ? *(data + 1) : "";
  args.insert(args.end(), {"--cluster", url, "--cluster-stream", streamFor(dataDir),
                           "--cluster-replicas", "1"});
  return args;
}

}  // namespace pitlog::testing
