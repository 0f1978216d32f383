#pragma once
// Stored values are canonical single-segment Cap'n Proto messages (events, views, idempotency
// records). These two templates are the only code that writes and reads that framing, so the
// rules for untrusted bytes (alignment, a traversal limit tied to the value's size, no exception
// escaping) live in one place.
#include <capnp/message.h>
#include <kj/common.h>
#include <kj/exception.h>

#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pitlog::events {

// Reader options for a stored value of `words` words: the traversal limit is tied to the value's
// size (a few passes over it), so a damaged value cannot make a reader walk millions of
// zero-sized list elements that it claims in a few bytes.
inline capnp::ReaderOptions boundedReaderOptions(size_t words, unsigned passes = 4) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = words * passes + 64;
  options.nestingLimit = 16;
  return options;
}

// The canonical encoding of a struct, as stored (and, for events, hashed).
template <typename Reader>
std::string canonicalBytes(Reader reader) {
  auto words = capnp::canonicalize(reader);
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Builds a Root with fill(builder) and returns its canonical bytes. The message's first segment
// is this thread's scratch space (Cap'n Proto re-zeroes what it used), so a small value costs no
// allocation beyond canonicalize()'s; a nested call, or a value larger than the scratch, simply
// takes more from the heap.
template <typename Root, typename Fill>
std::string encodeStoredValue(Fill&& fill) {
  thread_local capnp::word scratch[512] = {};
  thread_local bool inUse = false;
  const bool mine = !inUse;
  inUse = true;
  KJ_DEFER(if (mine) inUse = false);
  std::optional<capnp::MallocMessageBuilder> message;
  if (mine) {
    message.emplace(kj::ArrayPtr<capnp::word>(scratch, 512));
  } else {
    message.emplace(512);
  }
  auto root = message->template initRoot<Root>();
  fill(root);
  return canonicalBytes(root.asReader());
}

// Reads a stored value as a Root and returns read(root); nullopt when the bytes are not a
// readable message or reading them throws. `read` must copy out what it needs: the reader dies
// with this call.
template <typename Root, typename Read>
auto readStoredValue(std::string_view bytes, Read&& read)
    -> std::optional<std::invoke_result_t<Read, typename Root::Reader>> {
  std::optional<std::invoke_result_t<Read, typename Root::Reader>> out;
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) return out;
  // RocksDB values carry no alignment guarantee; Cap'n Proto readers need word alignment.
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.begin(), bytes.data(), bytes.size());
  kj::runCatchingExceptions([&]() {
    kj::ArrayPtr<const capnp::word> segments[1] = {words.asPtr()};
    capnp::SegmentArrayMessageReader message(kj::arrayPtr(segments, 1),
                                             boundedReaderOptions(words.size()));
    out = read(message.getRoot<Root>());
  });
  return out;
}

}  // namespace pitlog::events
