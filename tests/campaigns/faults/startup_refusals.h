#pragma once
// pitd must refuse to start, with a clear message and a non-zero exit, on a data dir it cannot
// serve safely: one of a newer schema, one missing a column family, and one another pitd holds.
// Each check runs the real binary on a data dir of its own under `workDir` (not the small fault
// file system) and reports what pitd said.
#include <string>
#include <vector>

namespace pitlog::campaigns::faults {

struct Refusal {
  std::string name;
  bool ok = false;        // non-zero exit and the expected words in its output
  int exitCode = 0;
  std::string detail;     // pitd's last line, or why the check failed
};

std::vector<Refusal> checkStartupRefusals(const std::string& workDir);

}  // namespace pitlog::campaigns::faults
