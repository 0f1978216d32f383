// Damages a stopped pitlog data dir the way the start-up refusal checks need, with RocksDB itself:
//   pitlog_faults_alter DIR newer-schema   meta/schema_version := this build's + 1
//   pitlog_faults_alter DIR drop-family    drops the `idempotency` column family
// A program of its own: the campaign driver links the e2e support library, whose Catch main
// would otherwise meet RocksDB's static library in one link. Exits 0 when done, 1 on error.
#include <rocksdb/db.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "events/keys.h"

namespace keys = pitlog::events::keys;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: pitlog_faults_alter DIR newer-schema|drop-family\n";
    return 2;
  }
  const std::string data = argv[1], what = argv[2];
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()}};
  for (const auto& name : keys::familyNames()) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(rocksdb::DBOptions(), data, descriptors, &handles, &raw);
  if (!s.ok()) {
    std::cerr << "cannot open " << data << ": " << s.ToString() << "\n";
    return 1;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  // handles[0] is the default family; pitlog's follow in keys::Family order.
  auto family = [&](keys::Family f) { return handles[1 + static_cast<int>(f)]; };
  if (what == "newer-schema") {
    s = db->Put(rocksdb::WriteOptions(), family(keys::Family::meta),
                rocksdb::Slice(keys::kMetaSchemaVersion.data(), keys::kMetaSchemaVersion.size()),
                keys::fixed32(keys::kSchemaVersion + 1));
  } else if (what == "drop-family") {
    s = db->DropColumnFamily(family(keys::Family::idempotency));
  } else {
    std::cerr << "unknown alteration " << what << "\n";
    return 2;
  }
  if (s.ok()) s = db->FlushWAL(true);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  auto closed = db->Close();
  if (!s.ok() || !closed.ok()) {
    std::cerr << what << " failed: " << (s.ok() ? closed : s).ToString() << "\n";
    return 1;
  }
  return 0;
}
