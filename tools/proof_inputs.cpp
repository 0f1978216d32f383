#include "proof_inputs.h"

#include <fstream>
#include <iterator>

namespace pitlog::tools {

namespace {
constexpr size_t kMaxInputBytes = 1 << 20;

std::string readAtMost(std::istream& in, const std::string& name) {
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxInputBytes) throw UsageError(name + ": larger than 1 MiB");
  }
  if (in.bad()) throw UsageError(name + ": cannot be read");
  return text;
}
}  // namespace

std::string InputReader::read(const std::string& pathOrDash, const char* what) {
  if (pathOrDash == "-") {
    if (ctx_.in == nullptr) throw UsageError(std::string(what) + " -: no standard input");
    if (stdinUsed_) throw UsageError(std::string(what) + " -: standard input is read once, by another option");
    stdinUsed_ = true;
    return readAtMost(*ctx_.in, std::string(what) + " (standard input)");
  }
  std::ifstream file(pathOrDash, std::ios::binary);
  if (!file) throw UsageError(std::string(what) + " '" + pathOrDash + "': cannot be read");
  return readAtMost(file, std::string(what) + " '" + pathOrDash + "'");
}

events::NoteVerifier parseVerifierKeyFile(const std::string& text, const char* what) {
  std::string line = text.substr(0, text.find('\n'));
  auto parsed = events::NoteVerifier::parse(line);
  if (!parsed.verifier) throw UsageError(std::string(what) + ": " + parsed.error);
  return *parsed.verifier;
}

std::string keyName(const events::NoteVerifier& verifier) {
  std::string encoded = verifier.encoded();  // name + hash + base64 key, which may hold '+'
  return encoded.substr(0, encoded.find('+', encoded.find('+') + 1));
}

}  // namespace pitlog::tools
