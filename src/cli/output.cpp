#include "cli/output.hpp"

#include <sstream>

#include "binary/bytes.hpp"
#include "eventlog/json.hpp"

namespace drtm::cli {

nlohmann::json pcr_banks_json(const tpm::PcrBanks& banks) {
    return eventlog::pcr_values_to_json(banks);
}

std::vector<std::uint32_t> parse_pcr_list(const std::string& text) {
    std::vector<std::uint32_t> out;
    if (text == "all") {
        for (std::uint32_t i = 0; i < 24; ++i) out.push_back(i);
        return out;
    }
    std::stringstream ss(text);
    std::string item;
    auto number = [&](const std::string& s) -> std::uint32_t {
        std::size_t used = 0;
        unsigned long v = 0;
        try {
            v = std::stoul(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size() || s.empty() || v > 23)
            throw CLI::ValidationError("--pcrs", "'" + s + "' is not a PCR index 0-23");
        return static_cast<std::uint32_t>(v);
    };
    while (std::getline(ss, item, ',')) {
        auto dash = item.find('-');
        if (dash == std::string::npos) {
            out.push_back(number(item));
        } else {
            auto lo = number(item.substr(0, dash)), hi = number(item.substr(dash + 1));
            if (lo > hi) throw CLI::ValidationError("--pcrs", "range '" + item + "' is reversed");
            for (auto p = lo; p <= hi; ++p) out.push_back(p);
        }
    }
    return out;
}

std::vector<crypto::HashAlg> parse_bank_list(const std::string& text) {
    std::vector<crypto::HashAlg> out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        auto alg = crypto::alg_from_name(item);
        if (!alg)
            throw CLI::ValidationError(
                "--banks", "unknown bank '" + item + "' (sha1, sha256, sha384, sha512, sm3_256)");
        out.push_back(*alg);
    }
    return out;
}

binary::Bytes parse_nonce(const std::string& hex) {
    binary::Bytes n;
    try {
        n = binary::from_hex(hex);
    } catch (const std::exception& e) {
        throw CLI::ValidationError("--nonce", e.what());
    }
    if (n.size() < 8 || n.size() > 64)
        throw CLI::ValidationError("--nonce", "give 8 to 64 bytes of hex");
    return n;
}

}  // namespace drtm::cli
