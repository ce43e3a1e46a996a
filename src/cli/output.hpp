// Shared output helpers: JSON to stdout for scripts, readable text for people,
// progress and errors on stderr.
#pragma once

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tpm/tpm.hpp"

namespace drtm::cli {

inline void print_json(const nlohmann::json& j) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Progress lines for long work; silent when stderr is not a terminal unless
// DRTM_PROGRESS=1, so scripts get clean output.
inline void progress(const std::string& line) {
    static const bool on = ::isatty(2) || (std::getenv("DRTM_PROGRESS") != nullptr);
    if (on) std::cerr << "  " << line << "\n";
}

// {"sha1": {"17": "<hex>", ...}, ...}
nlohmann::json pcr_banks_json(const tpm::PcrBanks& banks);

// Parses "17,18,20-22" (or "all") into PCR indices; throws CLI::ValidationError.
std::vector<std::uint32_t> parse_pcr_list(const std::string& text);
// Parses "sha1,sha256" into banks; throws CLI::ValidationError.
std::vector<crypto::HashAlg> parse_bank_list(const std::string& text);

// A verifier's nonce (--nonce): 8 to 64 bytes of hex; throws CLI::ValidationError.
binary::Bytes parse_nonce(const std::string& hex);

}  // namespace drtm::cli
