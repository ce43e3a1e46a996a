#include "service/agent.hpp"

#include "binary/bytes.hpp"

namespace drtm::service {

namespace {
binary::Bytes hex_of(const nlohmann::json& j, const char* key) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string())
        throw std::runtime_error(std::string("the verifier's answer has no '") + key + "'");
    return binary::from_hex(j[key].get<std::string>());
}
}  // namespace

nlohmann::json enroll_node(VerifierClient& client, const std::string& node, tpm::Tpm& tpm,
                           const attest::AttesterKeys& keys) {
    nlohmann::json request = {{"ek_public", binary::to_hex(keys.ek.public_area)},
                              {"ak_public", binary::to_hex(keys.ak.public_area)}};
    if (keys.ek.certificate) request["ek_certificate"] = binary::to_hex(*keys.ek.certificate);
    auto challenge = client.post("/v1/nodes/" + node + "/enrollment", request.dump());
    auto secret =
        tpm.activate_credential(keys.ak, keys.ek_type, hex_of(challenge, "credential_blob"),
                                hex_of(challenge, "encrypted_secret"));
    nlohmann::json answer = {{"secret", binary::to_hex(secret)}};
    return client.post("/v1/nodes/" + node + "/enrollment/answer", answer.dump());
}

nlohmann::json attest_node(VerifierClient& client, const std::string& node, tpm::Tpm& tpm,
                           const attest::AttesterKeys& keys, binary::ByteView log,
                           attest::CollectOptions options) {
    auto challenge = client.post("/v1/nodes/" + node + "/challenge", "{}");
    auto nonce = hex_of(challenge, "nonce");
    options.node = node;
    options.ek = keys.ek_type;
    auto evidence = attest::collect_evidence(tpm, keys.ak, nonce, log, options);
    return client.post("/v1/nodes/" + node + "/evidence", attest::serialize(evidence));
}

}  // namespace drtm::service
