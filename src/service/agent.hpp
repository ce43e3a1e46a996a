// The attester's side of the protocol (push model: the agent opens no port).
// Enrollment: send EK, EK certificate and AK; answer the registrar's
// credential challenge with ActivateCredential. Attestation: fetch a nonce,
// quote, send the evidence, receive the signed result.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "attest/attester_keys.hpp"
#include "attest/evidence.hpp"
#include "service/verifier_client.hpp"

namespace drtm::service {

// Returns the server's confirmation ({"node", "ak_name", "enrolled"}).
nlohmann::json enroll_node(VerifierClient& client, const std::string& node, tpm::Tpm& tpm,
                           const attest::AttesterKeys& keys);

// Returns {"status", "failed", "ear", "id"}.
nlohmann::json attest_node(VerifierClient& client, const std::string& node, tpm::Tpm& tpm,
                           const attest::AttesterKeys& keys, binary::ByteView log,
                           attest::CollectOptions options);

}  // namespace drtm::service
