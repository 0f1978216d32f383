// How the text dump and as-of print people's text: quoted, with control, zero-width and
// bidirectional characters escaped (a name must not reorder the line it is printed on), and
// long descriptions cut at a character boundary with "…".
#include <catch2/catch.hpp>

#include "event_text.h"
#include "tool_fixture.h"

namespace pitlog::tools::testing {

TEST_CASE("quotedText escapes what would hide or reorder text on a terminal", "[pit-dump][text]") {
  CHECK(quotedText("plain") == "\"plain\"");
  CHECK(quotedText("a\x01" "b\x7f") == "\"a\\x01b\\x7f\"");
  CHECK(quotedText("evil\u202Egnp.exe") == "\"evil\\u202egnp.exe\"");
  CHECK(quotedText("\u2066x\u2069\u200B") == "\"\\u2066x\\u2069\\u200b\"");
  CHECK(quotedText("caf\u00e9 \u2014 \u20ac") == "\"caf\u00e9 \u2014 \u20ac\"");  // ordinary text stays
}

TEST_CASE("shortened cuts at a character boundary and says so", "[pit-dump][text]") {
  CHECK(shortened("short", 60) == "short");
  const std::string euros = "\u20ac\u20ac\u20ac";  // 3 bytes each
  CHECK(shortened(euros, 4) == "\u20ac\u2026");
  CHECK(shortened(euros, 6) == "\u20ac\u20ac\u2026");
  CHECK(shortened(euros, 9) == euros);
}

TEST_CASE("pit-dump --since between two milliseconds excludes the earlier one", "[pit-dump][text]") {
  HistoryDb db;  // event 1 at 2026-11-01T10:00:00.000Z
  auto all = dump({"--data", db.dir(), "--since", "2026-11-01T10:00:00.000Z"});
  CHECK(all.lines().size() == 9);
  auto after = dump({"--data", db.dir(), "--since", "2026-11-01T10:00:00.0005Z"});
  INFO(after.out);
  CHECK(after.lines().size() == 8);
  CHECK_THAT(after.out, !Catch::Contains("CRM sync\" scopes=contacts.readonly token"));
}

}  // namespace pitlog::tools::testing
