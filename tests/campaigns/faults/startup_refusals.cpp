#include "startup_refusals.h"

#include <cstdlib>
#include <stdexcept>

#include "support/pitd_process.h"

namespace pitlog::campaigns::faults {

namespace {

using testing::PitdProcess;
using testing::runPitd;

std::vector<std::string> pitdArgs(const std::string& data) {
  return {"--data", data, "--http", "127.0.0.1:0", "--rpc", "off"};
}

// A data dir made by the real pitd: started once, stopped cleanly.
void makeDataDir(const std::string& data, const std::string& log) {
  PitdProcess pitd(log, pitdArgs(data));
  if (pitd.stop() != 0) throw std::runtime_error("pitd did not stop cleanly on " + data);
}

std::string lastLine(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

Refusal expectRefusal(const std::string& name, const std::string& data, const std::string& words) {
  Refusal r;
  r.name = name;
  std::string out;
  r.exitCode = runPitd(pitdArgs(data), &out);
  r.detail = lastLine(out);
  r.ok = r.exitCode != 0 && out.find(words) != std::string::npos;
  if (!r.ok) r.detail = "expected a non-zero exit and '" + words + "', got " +
                        std::to_string(r.exitCode) + ": " + r.detail;
  return r;
}

// Runs pitlog_faults_alter (alter_db.cpp) on a stopped data dir.
void alter(const std::string& data, const std::string& what) {
  std::string cmd = PITLOG_FAULTS_ALTER;
  cmd += " '" + data + "' " + what;
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
}

}  // namespace

std::vector<Refusal> checkStartupRefusals(const std::string& workDir) {
  std::vector<Refusal> out;
  const std::string log = workDir + "/refusals-pitd.log";

  // A second pitd on a data dir the first one holds.
  const std::string held = workDir + "/refusal-lock";
  {
    PitdProcess first(log, pitdArgs(held));
    out.push_back(expectRefusal("lock held by another pitd", held, "in use by another process"));
    first.stop();
  }

  // A data dir written by a newer pitlog (schema version + 1).
  const std::string newer = workDir + "/refusal-schema";
  makeDataDir(newer, log);
  alter(newer, "newer-schema");
  out.push_back(expectRefusal("newer schema", newer, "newer than this build"));

  // A data dir missing one column family (the idempotency records).
  const std::string missing = workDir + "/refusal-family";
  makeDataDir(missing, log);
  alter(missing, "drop-family");
  out.push_back(expectRefusal("missing column family", missing, "has no column family"));
  return out;
}

}  // namespace pitlog::campaigns::faults
