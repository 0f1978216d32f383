#pragma once
// The secret scan: does any byte of the data dir or pitd's logs hold a token the campaign was
// issued? One pass over the bytes per file, whatever the number of tokens, so that it stays fast
// after hundreds of cycles: every token is looked up by the first 8 characters after `pit_`
// (43 of its 49 characters are random), then compared in full.
#include <string>
#include <vector>

namespace pitlog::campaigns::crash {

// The tokenIds of the tokens found in any regular file under any of the roots (files or
// directories). The body after `pit_` counts as a leak too: the prefix is not the secret.
std::vector<std::string> findLeakedTokens(const std::vector<std::string>& roots,
                                          const std::vector<std::string>& tokens);

}  // namespace pitlog::campaigns::crash
