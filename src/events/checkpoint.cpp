#include "events/checkpoint.h"

#include <kj/debug.h>

#include "events/base64.h"

namespace pitlog::events {

namespace {

constexpr std::string_view kOriginPrefix = "pitlog/";

std::optional<uint64_t> parseTreeSize(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = uint64_t(c - '0');
    if (v > (~uint64_t{0} - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace

std::string logOrigin(std::string_view logId) { return std::string(kOriginPrefix) + std::string(logId); }

std::string formatCheckpoint(const Checkpoint& c) {
  KJ_REQUIRE(!c.origin.empty() && c.origin.find('\n') == std::string::npos, "invalid origin");
  std::string out = c.origin + "\n" + std::to_string(c.treeSize) + "\n" +
                    base64Encode(Sha256::asView(c.root)) + "\n";
  for (const std::string& e : c.extensions) {
    KJ_REQUIRE(!e.empty() && e.find('\n') == std::string::npos, "invalid extension line");
    out += e + "\n";
  }
  return out;
}

CheckpointParse parseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return {std::nullopt, "the checkpoint does not end in a newline"};
  }
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (lines.size() < 3) {
    return {std::nullopt, "the checkpoint has " + std::to_string(lines.size()) +
                              " lines; it needs origin, tree size and root hash"};
  }
  Checkpoint c;
  if (lines[0].empty()) return {std::nullopt, "the checkpoint's origin line is empty"};
  c.origin = std::string(lines[0]);
  auto size = parseTreeSize(lines[1]);
  if (!size) {
    return {std::nullopt, "the checkpoint's tree size is not a decimal number without leading "
                          "zeros that fits in 64 bits"};
  }
  c.treeSize = *size;
  auto root = base64Decode(lines[2]);
  if (!root) return {std::nullopt, "the checkpoint's root hash is not canonical base64"};
  auto digest = digestFromBytes(*root);
  if (!digest) {
    return {std::nullopt, "the checkpoint's root hash is " + std::to_string(root->size()) +
                              " bytes, not 32"};
  }
  c.root = *digest;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return {std::nullopt, "the checkpoint's line " + std::to_string(i + 1) + " is empty"};
    }
    c.extensions.emplace_back(lines[i]);
  }
  return {std::move(c), {}};
}

std::string signCheckpoint(const NoteSigner& signer, const Checkpoint& checkpoint) {
  return signer.signNote(formatCheckpoint(checkpoint));
}

CheckpointParse openCheckpoint(const NoteVerifier& verifier, std::string_view note) {
  NoteVerifier::Opened opened = verifier.open(note);
  if (!opened.text) return {std::nullopt, opened.error};
  return parseCheckpoint(*opened.text);
}

}  // namespace pitlog::events
