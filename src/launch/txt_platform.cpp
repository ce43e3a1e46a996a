#include "launch/txt_platform.hpp"

#include <cerrno>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "binary/file_io.hpp"

namespace drtm::launch {

namespace {
binary::Bytes hex_field(const nlohmann::json& j, const std::string& key,
                        const std::string& origin) {
    if (!j.is_string()) throw std::runtime_error(origin + ": '" + key + "' must be a hex string");
    try {
        return binary::from_hex(j.get<std::string>());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(origin + ": '" + key + "': " + e.what());
    }
}

std::uint32_t u32_field(const nlohmann::json& j, const std::string& key,
                        const std::string& origin) {
    // JSON has one number type; nlohmann reports literals as signed integers.
    if (j.is_number_integer() && j.get<std::int64_t>() >= 0 && j.get<std::int64_t>() <= 0xFFFFFFFF)
        return static_cast<std::uint32_t>(j.get<std::int64_t>());
    if (j.is_string()) {
        // "0x601" or "1537": a number written as text, as in the docs.
        const std::string text = j.get<std::string>();
        char* end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(text.c_str(), &end, 0);
        if (!text.empty() && text[0] != '-' && errno == 0 && *end == '\0' && v <= 0xFFFFFFFFull)
            return static_cast<std::uint32_t>(v);
    }
    throw std::runtime_error(origin + ": '" + key + "' must be a 32-bit number or \"0x...\"");
}
}  // namespace

TxtPlatform txt_platform_from_json(const nlohmann::json& j, const std::string& origin) {
    if (!j.is_object())
        throw std::runtime_error(origin + ": platform description must be a JSON object");
    static const std::set<std::string> known = {"senter_edx",
                                                "bios_acm_registration_data",
                                                "cpu_scrtm_status",
                                                "lcp_policy_control",
                                                "lcp_details",
                                                "lcp_authorities",
                                                "stm",
                                                "os_sinit_capabilities",
                                                "nv_info",
                                                "sinit_pubkey_pcr",
                                                "comment"};
    for (const auto& [key, _] : j.items())
        if (!known.count(key)) throw std::runtime_error(origin + ": unknown key '" + key + "'");
    TxtPlatform p;
    if (j.contains("senter_edx")) p.senter_edx = u32_field(j["senter_edx"], "senter_edx", origin);
    if (j.contains("bios_acm_registration_data")) {
        p.bios_acm_registration_data =
            hex_field(j["bios_acm_registration_data"], "bios_acm_registration_data", origin);
        if (p.bios_acm_registration_data.size() != 32)
            throw std::runtime_error(origin + ": 'bios_acm_registration_data' must be 32 bytes");
    }
    if (j.contains("cpu_scrtm_status"))
        p.cpu_scrtm_status = u32_field(j["cpu_scrtm_status"], "cpu_scrtm_status", origin);
    if (j.contains("lcp_policy_control"))
        p.lcp_policy_control = u32_field(j["lcp_policy_control"], "lcp_policy_control", origin);
    if (j.contains("lcp_details"))
        p.lcp_details = hex_field(j["lcp_details"], "lcp_details", origin);
    if (j.contains("lcp_authorities"))
        p.lcp_authorities = hex_field(j["lcp_authorities"], "lcp_authorities", origin);
    if (j.contains("stm") && !j["stm"].is_null()) p.stm = hex_field(j["stm"], "stm", origin);
    if (j.contains("os_sinit_capabilities"))
        p.os_sinit_capabilities =
            u32_field(j["os_sinit_capabilities"], "os_sinit_capabilities", origin);
    if (j.contains("nv_info")) p.nv_info = hex_field(j["nv_info"], "nv_info", origin);
    if (j.contains("sinit_pubkey_pcr")) {
        p.sinit_pubkey_pcr = u32_field(j["sinit_pubkey_pcr"], "sinit_pubkey_pcr", origin);
        if (p.sinit_pubkey_pcr != 17 && p.sinit_pubkey_pcr != 18)
            throw std::runtime_error(origin + ": 'sinit_pubkey_pcr' must be 17 or 18");
    }
    return p;
}

TxtPlatform load_txt_platform(const std::filesystem::path& path) {
    auto bytes = binary::read_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path.string() + ": offset " + std::to_string(e.byte) +
                                 ": not valid JSON");
    }
    return txt_platform_from_json(j, path.string());
}

nlohmann::json to_json(const TxtPlatform& p) {
    return {{"senter_edx", p.senter_edx},
            {"bios_acm_registration_data", binary::to_hex(p.bios_acm_registration_data)},
            {"cpu_scrtm_status", p.cpu_scrtm_status},
            {"lcp_policy_control", p.lcp_policy_control},
            {"lcp_details", binary::to_hex(p.lcp_details)},
            {"lcp_authorities", binary::to_hex(p.lcp_authorities)},
            {"stm", p.stm ? nlohmann::json(binary::to_hex(*p.stm)) : nlohmann::json(nullptr)},
            {"os_sinit_capabilities", p.os_sinit_capabilities},
            {"nv_info", binary::to_hex(p.nv_info)},
            {"sinit_pubkey_pcr", p.sinit_pubkey_pcr}};
}

}  // namespace drtm::launch
