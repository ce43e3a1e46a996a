#include "attest/appraisal_policy.hpp"

#include "eventlog/json.hpp"

namespace drtm::attest {

namespace {
constexpr const char* kFormat = "drtm-appraisal-policy";
constexpr int kVersion = 1;

std::map<std::uint32_t, binary::Bytes> pcr_map(const nlohmann::json& j, crypto::HashAlg bank,
                                               const std::string& where) {
    const nlohmann::json* values = &j;
    // A `drtm predict --json` output: take its pcrs in the policy's bank.
    if (j.contains("pcrs")) {
        const auto& pcrs = j.at("pcrs");
        const std::string name(crypto::alg_name(bank));
        if (!pcrs.is_object() || !pcrs.contains(name))
            throw std::runtime_error(where + ": no " + name + " values");
        values = &pcrs.at(name);
    }
    if (!values->is_object()) throw std::runtime_error(where + ": not an object of PCR values");
    std::map<std::uint32_t, binary::Bytes> out;
    for (const auto& [k, v] : values->items()) {
        std::size_t end = 0;
        unsigned long pcr = 0;
        try {
            pcr = std::stoul(k, &end);
        } catch (const std::exception&) {
            end = 0;
        }
        if (end != k.size() || pcr > 23)
            throw std::runtime_error(where + ": '" + k + "' is not a PCR index");
        if (!v.is_string()) throw std::runtime_error(where + ": PCR " + k + " is not hex");
        auto value = binary::from_hex(v.get<std::string>());
        if (value.size() != crypto::digest_size(bank))
            throw std::runtime_error(where + ": PCR " + k + " has the wrong size");
        out[static_cast<std::uint32_t>(pcr)] = value;
    }
    return out;
}
}  // namespace

nlohmann::json to_json(const AppraisalPolicy& p) {
    nlohmann::json refs = nlohmann::json::array();
    for (const auto& r : p.reference_values) {
        nlohmann::json one = nlohmann::json::object();
        for (const auto& [pcr, v] : r) one[std::to_string(pcr)] = binary::to_hex(v);
        refs.push_back(one);
    }
    nlohmann::json allow = nlohmann::json::object();
    for (const auto& [label, digests] : p.allowlist) {
        allow[label] = nlohmann::json::array();
        for (const auto& d : digests) allow[label].push_back(binary::to_hex(d));
    }
    return {{"format", kFormat},  {"version", kVersion},
            {"id", p.id},         {"bank", crypto::alg_name(p.bank)},
            {"pcrs", p.pcrs},     {"reference_values", refs},
            {"allowlist", allow}, {"required_events", p.required_events}};
}

AppraisalPolicy parse_policy(std::string_view text) {
    if (text.size() > kMaxPolicyBytes)
        throw std::runtime_error("policy: larger than the limit of " +
                                 std::to_string(kMaxPolicyBytes) + " bytes");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error("policy: offset " + std::to_string(e.byte) + ": not valid JSON");
    }
    try {
        // Compared as JSON values: a float or huge "version" must not be
        // converted to int (undefined behaviour; found by fuzz_policy).
        if (!j.is_object() || j.value("format", "") != kFormat || !j.contains("version") ||
            j["version"] != kVersion)
            throw std::runtime_error("not a drtm appraisal policy of version " +
                                     std::to_string(kVersion));
        AppraisalPolicy p;
        p.id = j.value("id", p.id);
        if (j.contains("bank")) {
            auto bank = crypto::alg_from_name(j.at("bank").get<std::string>());
            if (!bank) throw std::runtime_error("unknown bank " + j.at("bank").dump());
            p.bank = *bank;
        }
        if (j.contains("pcrs")) {
            try {
                p.pcrs = eventlog::pcr_indices_from_json(j.at("pcrs"));
            } catch (const std::invalid_argument& e) {
                throw std::runtime_error(std::string("'pcrs': ") + e.what());
            }
        }
        if (j.contains("reference_values")) {
            const auto& refs = j.at("reference_values");
            if (!refs.is_array()) throw std::runtime_error("'reference_values' is not a list");
            for (std::size_t i = 0; i < refs.size(); ++i)
                p.reference_values.push_back(
                    pcr_map(refs[i], p.bank, "reference_values[" + std::to_string(i) + "]"));
        }
        if (j.contains("allowlist")) {
            for (const auto& [label, digests] : j.at("allowlist").items()) {
                auto& list = p.allowlist[label];
                for (const auto& d : digests) {
                    auto bytes = binary::from_hex(d.get<std::string>());
                    if (bytes.size() != crypto::digest_size(p.bank))
                        throw std::runtime_error("allowlist '" + label +
                                                 "': a digest has the wrong size");
                    list.push_back(bytes);
                }
            }
        }
        if (j.contains("required_events"))
            p.required_events = j.at("required_events").get<std::vector<std::string>>();
        return p;
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("policy: ") + e.what());
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(std::string("policy: ") + e.what());
    } catch (const std::runtime_error& e) {
        std::string what = e.what();
        if (what.rfind("policy:", 0) == 0) throw;
        throw std::runtime_error("policy: " + what);
    }
}

}  // namespace drtm::attest
