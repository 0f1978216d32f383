// The baseline of pit-replay verify's row: a process that opens a data dir with plain RocksDB
// (read-only, no pitlog code) and reads every key and value of the events family, as the
// simplest tool an auditor could write would. run.sh times it as a process, like pit-replay.
//   raw_scan DATA_DIR
// Prints `bench=raw-scan events=N bytes=B`; exits 1 when the database cannot be read.
#include <rocksdb/db.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: raw_scan DATA_DIR\n");
    return 2;
  }
  const std::string path = argv[1];
  rocksdb::DBOptions options;
  std::vector<std::string> names;
  auto s = rocksdb::DB::ListColumnFamilies(options, path, &names);
  if (!s.ok()) {
    std::fprintf(stderr, "raw_scan: %s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) families.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "raw_scan: %s\n", s.ToString().c_str());
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* events = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "events") events = handles[i];
  }
  if (!events) {
    std::fprintf(stderr, "raw_scan: no events column family in %s\n", path.c_str());
    return 1;
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  size_t count = 0, bytes = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, events));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    count++;
    bytes += it->key().size() + it->value().size();
  }
  const bool ok = it->status().ok();
  if (!ok) std::fprintf(stderr, "raw_scan: %s\n", it->status().ToString().c_str());
  it.reset();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  std::printf("bench=raw-scan events=%zu bytes=%zu\n", count, bytes);
  return ok ? 0 : 1;
}
