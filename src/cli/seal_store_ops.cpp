#include "cli/seal_store_ops.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "binary/file_io.hpp"
#include "cli/output.hpp"
#include "eventlog/json.hpp"

namespace drtm::cli {

tpm::PcrBanks prediction_values(const std::string& path) {
    auto bytes = binary::read_file(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
        throw std::runtime_error(path + ": offset " + std::to_string(e.byte) + ": not valid JSON");
    }
    if (j.contains("variants"))
        throw std::runtime_error(
            path + ": holds several predictions; predict one combination to approve it");
    if (!j.contains("pcrs"))
        throw std::runtime_error(path + ": no \"pcrs\" (expected `drtm predict --json` output)");
    try {
        return eventlog::pcr_values_from_json(j["pcrs"]);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
}

crypto::EcdsaP256Key owner_key(const std::string& path, bool create) {
    if (std::filesystem::exists(path)) return crypto::EcdsaP256Key::load_private_pem(path);
    if (!create) throw std::runtime_error(path + ": no such key (give the owner's key with --key)");
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent)) {
        std::filesystem::create_directories(parent);
        ::chmod(parent.c_str(), 0700);
    }
    auto key = crypto::EcdsaP256Key::generate();
    key.save_private_pem(path);
    std::cerr << "created the owner's signing key " << path
              << " (P-256, mode 0600): keep it off the disk the store is on\n";
    return key;
}

seal::SealedSecret authorize_into_store(const std::string& tcti, const std::string& dir,
                                        const std::string& key_file,
                                        const std::vector<Approval>& approvals,
                                        const std::optional<seal::PcrSelection>& selection,
                                        bool revoke_older) {
    auto store = seal::load_sealed(dir);
    if (store.mode != seal::SealMode::authorized)
        throw std::runtime_error(dir +
                                 "/sealed.json is sealed to fixed PCR values (mode pcr); "
                                 "seal again in the default mode to approve launches");
    const std::string key_path = key_file.empty() ? store.authorized->key_file : key_file;
    auto key = owner_key(key_path, false);
    tpm::Tpm t(tcti);
    // One generation for the whole batch: the variants of one update stay
    // valid together.
    std::optional<std::uint64_t> generation;
    for (const auto& a : approvals) {
        const auto& auth = seal::authorize(t, store, key, selection.value_or(store.selection),
                                           a.values, a.origin, generation);
        generation = auth.counter_limit;
        progress("approved " + a.origin + " (counter limit " + std::to_string(auth.counter_limit) +
                 ")");
    }
    seal::save_sealed(dir, store);
    // Only after the approvals are safely on disk: moving the counter first
    // could leave a store whose every approval is revoked.
    if (revoke_older && generation) seal::advance_counter(t, store, *generation);
    return store;
}

}  // namespace drtm::cli
