#pragma once
// Seeds for fuzz_http: a real request for every route of API.md, valid and invalid, in the
// input format of fuzz/http_input.h (placeholders stand for the fuzzer's ids, token and key).
#include <string>
#include <utility>
#include <vector>

namespace pitlog::fuzz {

// (file name, input) pairs.
std::vector<std::pair<std::string, std::string>> httpSeeds();

}  // namespace pitlog::fuzz
