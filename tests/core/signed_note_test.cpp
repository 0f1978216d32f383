// Signed notes and checkpoints (src/events/signed_note*.h, checkpoint.h): byte-exact formats,
// the known answers published with the spec and Go's reference implementation, and refusals.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "events/base64.h"
#include "events/checkpoint.h"
#include "events/signed_note.h"
#include "events/signed_note_signer.h"
#include "support/temp_dir.h"

namespace ev = ::pitlog::events;

namespace {

// golang.org/x/mod/sumdb/note, note_test.go (BSD-3-Clause): the PeterNeumann key and note.
// The private key there is "PRIVATE+KEY+PeterNeumann+c74f20a3+" base64(0x01 ‖ seed).
const char* kGoSkeyBase64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const char* kGoVkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kGoText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kGoNote =
    kGoText +
    "\n\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

// c2sp.org/signed-note, "Verifier keys / Example".
const char* kSpecVkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const std::string kSpecNote =
    "This is an example message.\n"
    "\n\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

std::unique_ptr<ev::NoteSigner> goSigner() {
  std::string skey = *ev::base64Decode(kGoSkeyBase64);
  return ev::NoteSigner::fromSeed("PeterNeumann", skey.substr(1));
}

}  // namespace

TEST_CASE("base64 round-trips and refuses every non-canonical form", "[note]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    CHECK(ev::base64Decode(ev::base64Encode(s)) == s);
  }
  CHECK(ev::base64Encode("foobar") == "Zm9vYmFy");  // RFC 4648 §10
  CHECK(ev::base64Encode("fo") == "Zm8=");
  for (const char* bad : {"Zm8", "Zm9=", "Zm==", "Z===", "====", "Zm8=Zm8=", "Zm 8", "Zm8\n",
                          "Zm-_", "Zg==\n"}) {
    INFO(bad);
    CHECK(ev::base64Decode(bad) == std::nullopt);
  }
}

TEST_CASE("The Go reference key signs its note byte for byte", "[note]") {
  auto signer = goSigner();
  CHECK(signer->verifier().encoded() == kGoVkey);
  CHECK(signer->verifier().keyId() == 0xc74f20a3);
  CHECK(signer->signNote(kGoText) == kGoNote);  // Ed25519 is deterministic (RFC 8032)

  auto parsed = ev::NoteVerifier::parse(kGoVkey);
  REQUIRE(parsed.verifier);
  auto opened = parsed.verifier->open(kGoNote);
  CHECK(opened.error == "");
  CHECK(opened.text == kGoText);
}

TEST_CASE("The spec's example verifier key verifies the spec's example note", "[note]") {
  auto parsed = ev::NoteVerifier::parse(kSpecVkey);
  REQUIRE(parsed.error == "");
  CHECK(parsed.verifier->encoded() == kSpecVkey);
  auto opened = parsed.verifier->open(kSpecNote);
  CHECK(opened.error == "");
  CHECK(opened.text == "This is an example message.\n");
}

TEST_CASE("An altered note or another key's signature does not open", "[note]") {
  auto v = *ev::NoteVerifier::parse(kGoVkey).verifier;
  std::string altered = kGoNote;
  altered[3] ^= 0x20;
  CHECK(v.open(altered).error ==
        "the signature by PeterNeumann+c74f20a3 does not verify: the note was altered or signed "
        "by another key");
  // Every single-bit change of the signature's bytes is refused.
  auto note = *ev::parseSignedNote(kGoNote).note;
  for (size_t bit = 0; bit < note.signatures[0].signature.size() * 8; ++bit) {
    auto bad = note;
    bad.signatures[0].signature[bit / 8] ^= char(1 << (bit % 8));
    REQUIRE_FALSE(v.open(ev::formatSignedNote(bad)).text);
  }
  // Only a signature by another key (its name or ID differs): ignored, so nothing verifies.
  CHECK(v.open(kSpecNote).error == "the note carries no signature by PeterNeumann+c74f20a3");
  auto other = note;
  other.signatures[0].keyId ^= 1;
  CHECK(v.open(ev::formatSignedNote(other)).error ==
        "the note carries no signature by PeterNeumann+c74f20a3");
  // A second, unknown signature beside ours is ignored.
  auto cosigned = note;
  cosigned.signatures.push_back({"witness.example", 0x01020304, std::string(64, 'x')});
  CHECK(v.open(ev::formatSignedNote(cosigned)).text == kGoText);
}

TEST_CASE("Malformed notes are refused with the reason", "[note]") {
  auto err = [](const std::string& s) { return ev::parseSignedNote(s).error; };
  const std::string sig = "\xE2\x80\x94 k AQIDBAU=\n";
  CHECK(err("text\n" + sig) == "the note has no blank line between its text and its signatures");
  CHECK(err("text\n\n") == "the note has no signature line");
  CHECK(err("text\n\n\xE2\x80\x94 k AQIDBAU=") == "the note's last line does not end in a newline");
  CHECK(err("text\n\n- k AQIDBAU=\n") ==
        "signature line 1 does not start with an em dash (U+2014) and a space");
  CHECK(err("text\n\n\xE2\x80\x94 kAQIDBAU=\n") ==
        "signature line 1 has no space between key name and signature");
  CHECK(err("text\n\n\xE2\x80\x94 k+1 AQIDBAU=\n") ==
        "signature line 1 has an invalid key name (empty, or with a space or '+')");
  CHECK(err("text\n\n\xE2\x80\x94  AQIDBAU=\n") ==
        "signature line 1 has an invalid key name (empty, or with a space or '+')");
  CHECK(err("text\n\n" + sig + "\xE2\x80\x94 k AQIDBA=\n") ==
        "signature line 2's signature is not canonical base64");
  CHECK(err("text\n\n\xE2\x80\x94 k AQIDBA==\n") ==
        "signature line 1's signature is shorter than a key ID and one byte");
  CHECK(err("te\tx\n\n" + sig) == "the note is malformed: byte 2 is a control character");
  CHECK(err("te\rx\n\n" + sig) == "the note is malformed: byte 2 is a control character");
  CHECK(err("t\xC3\n\n" + sig) == "the note is malformed: byte 1 is not valid UTF-8");
  CHECK(err("t\xC0\xAF\n\n" + sig) == "the note is malformed: byte 1 is not valid UTF-8");
  std::string many = "text\n\n";
  for (int i = 0; i < 101; ++i) many += sig;
  CHECK(err(many) == "the note has more than 100 signatures");
  // The text may hold blank lines: it ends at the last one.
  auto ok = ev::parseSignedNote("a\n\nb\n\n" + sig);
  REQUIRE(ok.note);
  CHECK(ok.note->text == "a\n\nb\n");
  CHECK(ok.note->signatures[0].keyId == 0x01020304);
  CHECK(ok.note->signatures[0].signature == "\x05");
}

TEST_CASE("Malformed verifier keys are refused with the reason", "[note]") {
  auto err = [](const std::string& s) { return ev::NoteVerifier::parse(s).error; };
  CHECK(err("PeterNeumann+c74f20a3") == "the verifier key is not <name>+<key hash>+<key>");
  CHECK(err("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
        "the verifier key's name is empty or has a space");
  CHECK(err("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
        "the verifier key's hash is not 8 lower-case hex digits");
  CHECK(err("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
        "the verifier key's hash c74f20a4 does not match its name and key (c74f20a3)");
  CHECK(err("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T") ==
        "the verifier key's key is not canonical base64");
  CHECK(err("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") ==
        "the verifier key is not an Ed25519 key (type 0x01)");
  CHECK(err("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=") ==
        "the verifier key's Ed25519 key is not 32 bytes");
}

TEST_CASE("A checkpoint is exactly origin, size and base64 root, each line ending in a newline",
          "[checkpoint]") {
  ev::Checkpoint c{ev::logOrigin("7f3a"), 8, *ev::digestFromHex(
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"), {}};
  const std::string body =
      "pitlog/7f3a\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
  CHECK(ev::formatCheckpoint(c) == body);
  CHECK(ev::parseCheckpoint(body).checkpoint == c);

  auto signer = goSigner();
  std::string note = ev::signCheckpoint(*signer, c);
  CHECK(note.substr(0, body.size() + 1) == body + "\n");
  const std::string sigStart = "\xE2\x80\x94 PeterNeumann x08g";  // base64 of key ID c74f20a3…
  CHECK(note.substr(body.size() + 1, sigStart.size()) == sigStart);
  CHECK(note.back() == '\n');
  CHECK(std::count(note.begin(), note.end(), '\n') == 5);
  auto opened = ev::openCheckpoint(signer->verifier(), note);
  CHECK(opened.error == "");
  CHECK(opened.checkpoint == c);
  std::string altered = note;
  altered[12] = '9';  // tree size 8 → 9
  CHECK(ev::openCheckpoint(signer->verifier(), altered).error.find("does not verify") !=
        std::string::npos);
}

TEST_CASE("Malformed checkpoints are refused with the reason", "[checkpoint]") {
  auto err = [](const std::string& s) { return ev::parseCheckpoint(s).error; };
  const std::string root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=";
  CHECK(err("o\n8\n" + root) == "the checkpoint does not end in a newline");
  CHECK(err("o\n8\n") == "the checkpoint has 2 lines; it needs origin, tree size and root hash");
  CHECK(err("\n8\n" + root + "\n") == "the checkpoint's origin line is empty");
  for (const char* size : {"08", "", "-1", "+8", "8 ", "18446744073709551616", "0x8"}) {
    INFO(size);
    CHECK(err("o\n" + std::string(size) + "\n" + root + "\n") ==
          "the checkpoint's tree size is not a decimal number without leading zeros that fits "
          "in 64 bits");
  }
  CHECK(ev::parseCheckpoint("o\n18446744073709551615\n" + root + "\n").checkpoint);
  CHECK(ev::parseCheckpoint("o\n0\n" + root + "\n").checkpoint);
  CHECK(err("o\n8\nXcnaeacG\n") == "the checkpoint's root hash is 6 bytes, not 32");
  CHECK(err("o\n8\n" + root.substr(1) + "\n") == "the checkpoint's root hash is not canonical base64");
  CHECK(err("o\n8\n" + root + "\n\n") == "the checkpoint's line 4 is empty");
  auto ext = ev::parseCheckpoint("o\n8\n" + root + "\nextra\n");
  REQUIRE(ext.checkpoint);
  CHECK(ext.checkpoint->extensions == std::vector<std::string>{"extra"});
  CHECK(ev::formatCheckpoint(*ext.checkpoint) == "o\n8\n" + root + "\nextra\n");
}

TEST_CASE("The signing key file is created 0600 once and then reused", "[note]") {
  pitlog::testing::TempDir dir("note-key");
  std::string path = dir.sub("log-signing.key");
  bool created = false;
  auto first = ev::NoteSigner::loadOrCreate(path, "pitlog/a", &created);
  CHECK(created);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "-----BEGIN PRIVATE KEY-----");

  auto second = ev::NoteSigner::loadOrCreate(path, "pitlog/a", &created);
  CHECK_FALSE(created);
  CHECK(second->verifier().encoded() == first->verifier().encoded());
  std::string note = first->signNote("hello\n");
  CHECK(second->verifier().open(note).text == "hello\n");

  // A file that is not an Ed25519 PEM key is an error naming the file, and is left as it was.
  std::string junk = dir.sub("junk.key");
  std::ofstream(junk) << "not a key\n";
  CHECK_THROWS_WITH(ev::NoteSigner::loadOrCreate(junk, "pitlog/a", nullptr),
                    "log signing key file '" + junk + "': not an unencrypted PEM private key");
  CHECK(std::filesystem::file_size(junk) == 10);
  CHECK_THROWS_WITH(ev::NoteSigner::loadOrCreate(dir.sub("no/such/dir.key"), "pitlog/a", nullptr),
                    Catch::Contains("cannot create"));
}
