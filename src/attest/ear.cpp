#include "attest/ear.hpp"

#include "crypto/jws.hpp"

namespace drtm::attest {

nlohmann::json ear_claims(const Verdict& v, const EarInfo& info) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& c : v.checks)
        checks.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    nlohmann::json vector = nlohmann::json::object();
    for (const auto& [claim, value] : v.trust_vector) vector[claim] = value;
    nlohmann::json sub = {{"ear_status", v.status()},
                          {"ear_trustworthiness_vector", vector},
                          {"drtm_failed_checks", v.failed()},
                          {"drtm_checks", checks}};
    if (!info.policy_id.empty()) sub["ear_appraisal_policy_ids"] = {info.policy_id};
    if (v.quote) {
        sub["drtm_tpm_clock"] = {{"clock", v.quote->clock.clock},
                                 {"reset_count", v.quote->clock.reset_count},
                                 {"restart_count", v.quote->clock.restart_count},
                                 {"safe", v.quote->clock.safe}};
    }
    nlohmann::json claims = {
        {"eat_profile", kEarProfile},
        {"iat", info.issued_at},
        {"ear_verifier_id", {{"developer", "drtm"}, {"build", info.verifier_build}}},
        {"ear_status", v.status()},
        {"submods", {{kSubmodule, sub}}}};
    if (!info.nonce.empty()) claims["eat_nonce"] = crypto::base64url_encode(info.nonce);
    if (!info.node.empty()) claims["drtm_node"] = info.node;
    return claims;
}

std::string sign_ear(const nlohmann::json& claims, const crypto::EcdsaP256Key& verifier_key) {
    return crypto::jws_sign_es256(claims.dump(), verifier_key);
}

nlohmann::json verify_ear(std::string_view jwt, const crypto::EcdsaP256Key& verifier_key) {
    auto payload = crypto::jws_verify_es256(jwt, verifier_key);
    auto claims = nlohmann::json::parse(payload, nullptr, false);
    if (!claims.is_object() || claims.value("eat_profile", "") != kEarProfile)
        throw std::runtime_error("EAR: not an attestation result of profile " +
                                 std::string(kEarProfile));
    if (!claims.contains("submods") || !claims["submods"].is_object() || claims["submods"].empty())
        throw std::runtime_error("EAR: no submodules");
    return claims;
}

}  // namespace drtm::attest
