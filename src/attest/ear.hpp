// Attestation results as EAR (EAT Attestation Result, draft-ietf-rats-ear):
// a JWT signed by the verifier (ES256) that says affirming / warning /
// contraindicated, carries the AR4SI trustworthiness vector, and names every
// check that failed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/verifier.hpp"
#include "crypto/ecdsa_key.hpp"

namespace drtm::attest {

// The profile this implementation follows (the draft's JSON serialisation
// with underscore claim names).
inline constexpr const char* kEarProfile = "tag:ietf.org,2026:rats/ear#03";
inline constexpr const char* kSubmodule = "drtm-launch";

struct EarInfo {
    std::int64_t issued_at = 0;  // seconds since the epoch
    std::string verifier_build = "drtm 0.1.0";
    std::string policy_id;
    binary::Bytes nonce;
    std::string node;
};

nlohmann::json ear_claims(const Verdict& v, const EarInfo& info);
std::string sign_ear(const nlohmann::json& claims, const crypto::EcdsaP256Key& verifier_key);
// Verifies the JWT and checks it is an EAR of this profile; returns its
// claims. Throws std::runtime_error naming the problem.
nlohmann::json verify_ear(std::string_view jwt, const crypto::EcdsaP256Key& verifier_key);

}  // namespace drtm::attest
