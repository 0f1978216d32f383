// pit-replay verify's path on a database whose meta values and keys are arbitrary bytes, as a
// damaged or tampered copy hands them over: check the meta against the key grammar
// (projections::checkStoredMeta), replay the log into memory and compare every derived family
// with the stored one. Whatever the bytes, this ends with a finding or a pass: never a crash, an
// allocation sized by a stored value (libFuzzer's -rss_limit_mb), or a loop (scripts/fuzz.sh's
// -timeout). The tool itself (tools/) stays out of the fuzz build; it adds only the read-only
// open, whose one check (schema_version) checkStoredMeta repeats, and printing
// (tools/replay_verify.cpp).
//
// Input: records of [family:1][key length:1][key][value length:1][value], family taken modulo
// the family count, written over a database emptied for the input that holds well-formed meta
// values (schema_version, last_seq 0, chain_head zeros, views_version), so that the fuzzer
// starts from a database pitd could have written; a record with the same key replaces them.
#include <rocksdb/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "events/keys.h"
#include "events/store.h"
#include "projections/replay.h"
#include "projections/stored_meta.h"

namespace {

namespace keys = pitlog::events::keys;
using pitlog::events::Store;

// On tmpfs when there is one: a database per input on a disk costs file creation and syncs.
std::string scratchDir() {
  namespace fs = std::filesystem;
  const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  static const std::string dir = (base / ("pitlog-fuzz-verify-" + std::to_string(getpid()))).string();
  return dir;
}

struct Reader {
  const uint8_t* p;
  size_t left;
  bool take(size_t n, std::string* out) {
    if (n > left) return false;
    out->assign(reinterpret_cast<const char*>(p), n);
    p += n;
    left -= n;
    return true;
  }
  bool byte(uint8_t* out) {
    if (left == 0) return false;
    *out = *p++;
    left--;
    return true;
  }
};

// One database for the whole run, emptied before each input: RocksDB's own open (options files,
// nine column families) costs ~0.3 s, which would leave the fuzzer two inputs a second.
Store& scratchStore() {
  static std::unique_ptr<Store> store = [] {
    std::filesystem::remove_all(scratchDir());
    Store::Options o;
    o.path = scratchDir();
    o.memoryBudgetBytes = 1 << 20;
    return Store::open(o);
  }();
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // a few dozen records say all this target can say
  Store& store = scratchStore();
  rocksdb::WriteBatch batch;
  for (int f = 0; f < keys::kFamilyCount; ++f) {
    // Every key pitlog or the fuzzer writes is at most 255 bytes, all below this one.
    batch.DeleteRange(store.family(static_cast<keys::Family>(f)), "", std::string(256, '\xff'));
  }
  auto put = [&](keys::Family f, const std::string& k, const std::string& v) {
    batch.Put(store.family(f), k, v);
  };
  put(keys::Family::meta, std::string(keys::kMetaSchemaVersion), keys::fixed32(keys::kSchemaVersion));
  put(keys::Family::meta, std::string(keys::kMetaLastSeq), keys::fixed64(0));
  put(keys::Family::meta, std::string(keys::kMetaChainHead), std::string(32, '\0'));
  put(keys::Family::meta, std::string(keys::kMetaViewsVersion), keys::fixed32(1));
  Reader in{data, size};
  uint8_t family = 0, keyLength = 0, valueLength = 0;
  std::string key, value;
  while (in.byte(&family) && in.byte(&keyLength) && in.take(keyLength, &key) &&
         in.byte(&valueLength) && in.take(valueLength, &value)) {
    put(static_cast<keys::Family>(family % keys::kFamilyCount), key, value);
  }
  if (!store.write(batch, false).ok) __builtin_trap();

  if (pitlog::projections::checkStoredMeta(store)) return 0;  // a finding, named
  pitlog::projections::MemoryViewStore rebuilt;
  auto report = pitlog::projections::replay(store, rebuilt);
  if (report.ok()) (void)pitlog::projections::compareViews(store, rebuilt);
  return 0;
}
