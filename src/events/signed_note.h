#pragma once
// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 signatures (type 0x01):
//
//   note        := text "\n" signature-line+        text: non-empty, ends in "\n"
//   signature-line := "— " key-name " " base64(key ID ‖ signature) "\n"   (— is U+2014)
//   key ID      := SHA-256(key-name ‖ "\n" ‖ 0x01 ‖ 32-byte public key)[:4], big-endian
//   verifier key := key-name "+" hex8(key ID) "+" base64(0x01 ‖ 32-byte public key)
//
// The whole note is UTF-8 without ASCII control characters other than "\n"; the text ends at
// the note's last blank line; key names are non-empty, with no Unicode space and no '+'.
// Parsers here refuse anything else with a sentence saying what is wrong; they never throw.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pitlog::events {

constexpr uint8_t kNoteEd25519Type = 0x01;
constexpr size_t kEd25519PublicKeySize = 32;
constexpr size_t kEd25519SignatureSize = 64;
// Go's reference implementation refuses more; the spec asks to accept at least 16.
constexpr size_t kMaxNoteSignatures = 100;

struct NoteSignature {
  std::string keyName;
  uint32_t keyId = 0;
  std::string signature;  // the bytes after the key ID
};

struct SignedNote {
  std::string text;  // including its final "\n"
  std::vector<NoteSignature> signatures;
};

// Exactly the bytes of a signed note.
std::string formatSignedNote(const SignedNote& note);

struct [[nodiscard]] NoteParse {
  std::optional<SignedNote> note;
  std::string error;  // why `note` is empty
};
NoteParse parseSignedNote(std::string_view note);

// A valid key name: non-empty UTF-8 without Unicode spaces or '+'.
bool isValidNoteKeyName(std::string_view name);

// SHA-256(name ‖ "\n" ‖ type ‖ publicKey)[:4] as a big-endian integer.
uint32_t noteKeyId(std::string_view name, uint8_t type, std::string_view publicKey);

struct NoteVerifierParse;

// An Ed25519 note verifier key. Immutable; thread-safe.
class NoteVerifier {
 public:
  // Parses `<name>+<8 hex>+<base64(0x01 ‖ key)>`; refuses another type, a key hash that does not
  // match the name and key, upper-case hex, or a key of the wrong size.
  static NoteVerifierParse parse(std::string_view vkey);
  // REQUIRES: isValidNoteKeyName(name), publicKey of 32 bytes.
  NoteVerifier(std::string name, std::string publicKey);

  const std::string& name() const { return name_; }
  uint32_t keyId() const { return keyId_; }
  const std::string& publicKey() const { return publicKey_; }
  // The verifier key string.
  std::string encoded() const;

  // True when `signature` (64 bytes, without key ID) is this key's Ed25519 signature of text.
  bool verifies(std::string_view text, std::string_view signature) const;

  struct [[nodiscard]] Opened {
    std::optional<std::string> text;
    std::string error;
  };
  // The note's text when it carries a signature with this key's name and ID and every such
  // signature verifies; signatures by other keys are ignored, as the spec requires.
  Opened open(std::string_view note) const;

 private:
  std::string name_;
  std::string publicKey_;
  uint32_t keyId_;
};

struct [[nodiscard]] NoteVerifierParse {
  std::optional<NoteVerifier> verifier;
  std::string error;  // why `verifier` is empty
};

}  // namespace pitlog::events
