#pragma once
// Calls of pitd's Session whose parameters are raw words, as a hostile client can send them: the
// parameter struct of any method, with kDataWords data words and kPointerWords pointer words whose
// bytes the caller chooses (pointers of the wrong kind, text without its NUL, capabilities where
// text belongs, structures nested past the reader's limit). The client's RPC layer sends the
// message as it is; only the server reads it. Shared by the hostile-message test
// (rpc_hostile_test.cpp) and the RPC fuzz target (fuzz/fuzz_rpc.cpp), which both hold the same
// oracle: the answer is never `internal`, and never an RPC exception.
//
// Input format (fuzz/fuzz_rpc.cpp and its seeds): byte 0 picks the method (its ordinal, modulo
// the number of methods); the rest are the parameter struct's bytes, zero-padded or cut to
// (kDataWords + kPointerWords) * 8.
#include <capnp/any.h>
#include <kj/async.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/rpc/pitlog_rpc.capnp.h"

namespace pitlog::rpc::testing {

inline constexpr uint16_t kDataWords = 2;
// More than any method's pointer fields: the slots past them are an arena the hostile pointers
// may point into (a chain of 200 nested structs fits).
inline constexpr uint16_t kPointerWords = 256;

// What a call answered: "ok", the result's error code, or "exception: <description>" when the
// call failed as an RPC exception.
struct HostileOutcome {
  std::string code;
  std::string field;
};

// Sends one call of `method` (an ordinal of Session) with parameters made of `bytes`.
HostileOutcome callWithRawParams(schema::Session::Client& session, uint16_t method,
                                 kj::ArrayPtr<const kj::byte> bytes, kj::WaitScope& waitScope);

// The number of Session's methods.
uint16_t sessionMethodCount();

// Hand-built hostile messages, each with what it breaks. `input` is in the fuzz format above.
struct HostileSeed {
  std::string name;
  std::string method;  // the Session method it calls
  std::vector<kj::byte> input;
};
std::vector<HostileSeed> hostileSeeds();

}  // namespace pitlog::rpc::testing
