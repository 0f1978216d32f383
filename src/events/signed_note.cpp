#include "events/signed_note.h"

#include <kj/debug.h>
#include <openssl/evp.h>

#include <memory>

#include "events/base64.h"
#include "events/digest.h"

namespace pitlog::events {

namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space

// Decodes one UTF-8 code point at s[*i] (advancing *i); nullopt on invalid or overlong forms.
std::optional<char32_t> nextCodePoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(*i);
  size_t len = b0 < 0x80 ? 1 : (b0 & 0xE0) == 0xC0 ? 2 : (b0 & 0xF0) == 0xE0 ? 3
                                                           : (b0 & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || *i + len > s.size()) return std::nullopt;
  char32_t cp = len == 1 ? b0 : len == 2 ? b0 & 0x1F : len == 3 ? b0 & 0x0F : b0 & 0x07;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) return std::nullopt;
    cp = cp << 6 | (byte(*i + k) & 0x3F);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  *i += len;
  return cp;
}

// Unicode White_Space (what Go's unicode.IsSpace and the spec's "Unicode spaces" mean).
bool isUnicodeSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// Nullopt when `note` is UTF-8 without control characters other than "\n", else why not.
std::optional<std::string> encodingError(std::string_view note) {
  for (size_t i = 0; i < note.size();) {
    size_t at = i;
    auto cp = nextCodePoint(note, &i);
    if (!cp) return "byte " + std::to_string(at) + " is not valid UTF-8";
    if ((*cp < 0x20 && *cp != '\n') || *cp == 0x7F) {
      return "byte " + std::to_string(at) + " is a control character";
    }
  }
  return std::nullopt;
}

std::string hex8(uint32_t v) {
  std::string bytes{char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  return toHex(bytes);
}

uint32_t bigEndian32(std::string_view b) {
  return uint32_t(uint8_t(b[0])) << 24 | uint32_t(uint8_t(b[1])) << 16 |
         uint32_t(uint8_t(b[2])) << 8 | uint32_t(uint8_t(b[3]));
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

std::string formatSignedNote(const SignedNote& note) {
  std::string out = note.text + "\n";
  for (const NoteSignature& s : note.signatures) {
    std::string blob{char(s.keyId >> 24), char(s.keyId >> 16), char(s.keyId >> 8), char(s.keyId)};
    blob += s.signature;
    out.append(kSignaturePrefix).append(s.keyName).append(" ").append(base64Encode(blob));
    out += '\n';
  }
  return out;
}

bool isValidNoteKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    auto cp = nextCodePoint(name, &i);
    if (!cp || *cp == '+' || isUnicodeSpace(*cp)) return false;
  }
  return true;
}

NoteParse parseSignedNote(std::string_view note) {
  if (auto error = encodingError(note)) return {std::nullopt, "the note is malformed: " + *error};
  // The text ends at the last blank line: the last "\n\n" splits text from signatures.
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return {std::nullopt, "the note has no blank line between its text and its signatures"};
  }
  SignedNote parsed;
  parsed.text = std::string(note.substr(0, split + 1));
  std::string_view rest = note.substr(split + 2);
  if (rest.empty()) return {std::nullopt, "the note has no signature line"};
  if (rest.back() != '\n') return {std::nullopt, "the note's last line does not end in a newline"};
  size_t lineNo = 0;
  while (!rest.empty()) {
    ++lineNo;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    std::string where = "signature line " + std::to_string(lineNo);
    if (parsed.signatures.size() == kMaxNoteSignatures) {
      return {std::nullopt, "the note has more than " + std::to_string(kMaxNoteSignatures) +
                                " signatures"};
    }
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
      return {std::nullopt, where + " does not start with an em dash (U+2014) and a space"};
    }
    line.remove_prefix(kSignaturePrefix.size());
    size_t space = line.find(' ');
    if (space == std::string_view::npos) {
      return {std::nullopt, where + " has no space between key name and signature"};
    }
    std::string_view name = line.substr(0, space);
    if (!isValidNoteKeyName(name)) {
      return {std::nullopt, where + " has an invalid key name (empty, or with a space or '+')"};
    }
    auto blob = base64Decode(line.substr(space + 1));
    if (!blob) return {std::nullopt, where + "'s signature is not canonical base64"};
    if (blob->size() < 5) {
      return {std::nullopt, where + "'s signature is shorter than a key ID and one byte"};
    }
    parsed.signatures.push_back(
        NoteSignature{std::string(name), bigEndian32(*blob), blob->substr(4)});
  }
  return {std::move(parsed), {}};
}

uint32_t noteKeyId(std::string_view name, uint8_t type, std::string_view publicKey) {
  char typeByte = static_cast<char>(type);
  Sha256 h;
  Digest d = h.update(name).update("\n").update({&typeByte, 1}).update(publicKey).finish();
  return bigEndian32(Sha256::asView(d));
}

NoteVerifier::NoteVerifier(std::string name, std::string publicKey)
    : name_(std::move(name)), publicKey_(std::move(publicKey)) {
  KJ_REQUIRE(isValidNoteKeyName(name_), "invalid note key name");
  KJ_REQUIRE(publicKey_.size() == kEd25519PublicKeySize, publicKey_.size(),
             "an Ed25519 public key is 32 bytes");
  keyId_ = noteKeyId(name_, kNoteEd25519Type, publicKey_);
}

NoteVerifierParse NoteVerifier::parse(std::string_view vkey) {
  size_t plus1 = vkey.find('+');
  size_t plus2 = plus1 == std::string_view::npos ? plus1 : vkey.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return {std::nullopt, "the verifier key is not <name>+<key hash>+<key>"};
  }
  std::string_view name = vkey.substr(0, plus1);
  std::string_view id = vkey.substr(plus1 + 1, plus2 - plus1 - 1);
  if (!isValidNoteKeyName(name)) {
    return {std::nullopt, "the verifier key's name is empty or has a space"};
  }
  if (id.size() != 8 || id.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return {std::nullopt, "the verifier key's hash is not 8 lower-case hex digits"};
  }
  auto key = base64Decode(vkey.substr(plus2 + 1));
  if (!key) return {std::nullopt, "the verifier key's key is not canonical base64"};
  if (key->empty() || uint8_t((*key)[0]) != kNoteEd25519Type) {
    return {std::nullopt, "the verifier key is not an Ed25519 key (type 0x01)"};
  }
  if (key->size() != 1 + kEd25519PublicKeySize) {
    return {std::nullopt, "the verifier key's Ed25519 key is not 32 bytes"};
  }
  NoteVerifier v(std::string(name), key->substr(1));
  if (hex8(v.keyId()) != id) {
    return {std::nullopt, "the verifier key's hash " + std::string(id) + " does not match its name "
                              "and key (" + hex8(v.keyId()) + ")"};
  }
  return {std::move(v), {}};
}

std::string NoteVerifier::encoded() const {
  return name_ + "+" + hex8(keyId_) + "+" +
         base64Encode(std::string(1, char(kNoteEd25519Type)) + publicKey_);
}

bool NoteVerifier::verifies(std::string_view text, std::string_view signature) const {
  if (signature.size() != kEd25519SignatureSize) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(publicKey_.data()),
      publicKey_.size()));
  // A 32-byte string that is not a curve point: OpenSSL refuses it here or in the verification.
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  KJ_ASSERT(ctx != nullptr, "OpenSSL: out of memory");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
}

NoteVerifier::Opened NoteVerifier::open(std::string_view note) const {
  NoteParse parsed = parseSignedNote(note);
  if (!parsed.note) return {std::nullopt, parsed.error};
  bool signedByUs = false;
  for (const NoteSignature& s : parsed.note->signatures) {
    if (s.keyName != name_ || s.keyId != keyId_) continue;  // another key: ignored
    if (!verifies(parsed.note->text, s.signature)) {
      return {std::nullopt, "the signature by " + name_ + "+" + hex8(keyId_) +
                                " does not verify: the note was altered or signed by another key"};
    }
    signedByUs = true;
  }
  if (!signedByUs) {
    return {std::nullopt, "the note carries no signature by " + name_ + "+" + hex8(keyId_)};
  }
  return {std::move(parsed.note->text), {}};
}

}  // namespace pitlog::events
