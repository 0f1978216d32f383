#pragma once
// What pit-replay's proof commands read from an auditor (checkpoint --sign/--verify,
// verify-proof): files or standard input ("-"), and a C2SP verifier key file as GET
// /v1/log/public-key serves it. (The event verify-proof reads is parsed with its checks, in
// events/proof_verdict.h.)
//
// A file that cannot be read, or a verifier key that does not parse, is bad usage (UsageError,
// exit 2): the auditor's own trusted inputs. What is to be verified (a checkpoint, a proof, an
// event) is parsed by the caller, which reports a malformed one as a failed verification.
#include <string>

#include "events/signed_note.h"
#include "tool_context.h"

namespace pitlog::tools {

// Reads one input (at most 1 MiB): a file, or standard input for "-" (once per run). `what`
// names it in errors ("--proof").
class InputReader {
 public:
  explicit InputReader(ToolContext& ctx) : ctx_(ctx) {}
  std::string read(const std::string& pathOrDash, const char* what);

 private:
  ToolContext& ctx_;
  bool stdinUsed_ = false;
};

// The verifier key on the first line of `text` (a trailing newline is allowed).
events::NoteVerifier parseVerifierKeyFile(const std::string& text, const char* what);

// "<name>+<key hash>": how a verifier key is named to a person.
std::string keyName(const events::NoteVerifier& verifier);

}  // namespace pitlog::tools
