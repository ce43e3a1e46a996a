#include "attest/attester_keys.hpp"

#include <nlohmann/json.hpp>

#include "attest/tpm_structures.hpp"
#include "binary/error.hpp"
#include "binary/file_io.hpp"

namespace drtm::attest {

namespace {
constexpr const char* kFormat = "drtm-attester-keys";
constexpr int kVersion = 1;
}  // namespace

AttesterKeys create_attester_keys(tpm::Tpm& tpm, tpm::EkType type) {
    AttesterKeys k;
    k.ek_type = type;
    k.ek = tpm.endorsement_key(type);
    k.ak = tpm.create_attestation_key(type);
    k.ak_name = parse_attestation_key(k.ak.public_area).name;
    return k;
}

void save_attester_keys(const std::filesystem::path& path, const AttesterKeys& k) {
    nlohmann::json j = {{"format", kFormat},
                        {"version", kVersion},
                        {"ek_type", k.ek_type == tpm::EkType::rsa2048 ? "rsa2048" : "ecc_p256"},
                        {"ek_public", binary::to_hex(k.ek.public_area)},
                        {"ek_name", binary::to_hex(k.ek.name)},
                        {"ak_public", binary::to_hex(k.ak.public_area)},
                        {"ak_private", binary::to_hex(k.ak.private_area)},
                        {"ak_name", binary::to_hex(k.ak_name)}};
    if (k.ek.certificate) j["ek_certificate"] = binary::to_hex(*k.ek.certificate);
    const std::string text = j.dump(2) + "\n";
    binary::write_file_atomic(path, binary::as_bytes(text), 0600);
}

AttesterKeys load_attester_keys(const std::filesystem::path& path) {
    auto bytes = binary::read_file(path);
    auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    try {
        if (!j.is_object() || j.value("format", "") != kFormat || !j.contains("version") ||
            j["version"] != kVersion)
            throw std::runtime_error("not a drtm attester key file of version " +
                                     std::to_string(kVersion));
        auto hex = [&](const char* key) {
            if (!j.contains(key) || !j[key].is_string())
                throw std::runtime_error(std::string("missing '") + key + "'");
            return binary::from_hex(j[key].get<std::string>());
        };
        AttesterKeys k;
        auto type = j.value("ek_type", "");
        if (type != "rsa2048" && type != "ecc_p256")
            throw std::runtime_error("unknown ek_type \"" + type + "\"");
        k.ek_type = type == "rsa2048" ? tpm::EkType::rsa2048 : tpm::EkType::ecc_p256;
        k.ek.public_area = hex("ek_public");
        k.ek.name = hex("ek_name");
        if (j.contains("ek_certificate")) k.ek.certificate = hex("ek_certificate");
        k.ak.public_area = hex("ak_public");
        k.ak.private_area = hex("ak_private");
        k.ak_name = parse_attestation_key(k.ak.public_area).name;
        if (k.ak_name != hex("ak_name")) throw std::runtime_error("'ak_name' is not the AK's name");
        return k;
    } catch (const std::exception& e) {
        throw std::runtime_error(path.string() + ": " + e.what());
    }
}

}  // namespace drtm::attest
