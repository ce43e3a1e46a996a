#include "seal/authorized_policy.hpp"

#include <ctime>

#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::seal {

namespace {
constexpr std::uint32_t kTpmCcPolicyNv = 0x00000149;
constexpr std::uint32_t kTpmCcPolicyAuthorize = 0x0000016A;
constexpr std::uint16_t kTpmEoUnsignedLe = 0x0009;

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
}  // namespace

binary::Bytes policy_nv(crypto::HashAlg policy_alg, binary::ByteView policy,
                        binary::ByteView operand, std::uint16_t offset, std::uint16_t operation,
                        binary::ByteView nv_name) {
    binary::Writer args;
    args.bytes(operand);
    args.u16be(offset);
    args.u16be(operation);
    binary::Writer w;
    w.bytes(policy);
    w.u32be(kTpmCcPolicyNv);
    w.bytes(crypto::hash(policy_alg, args.data()));
    w.bytes(nv_name);
    return crypto::hash(policy_alg, w.data());
}

binary::Bytes policy_authorize(crypto::HashAlg policy_alg, binary::ByteView key_name,
                               binary::ByteView policy_ref) {
    binary::Writer w;
    w.bytes(binary::Bytes(crypto::digest_size(policy_alg), 0));
    w.u32be(kTpmCcPolicyAuthorize);
    w.bytes(key_name);
    binary::Writer w2;
    w2.bytes(crypto::hash(policy_alg, w.data()));
    w2.bytes(policy_ref);
    return crypto::hash(policy_alg, w2.data());
}

binary::Bytes counter_operand(std::uint64_t limit) {
    binary::Writer w;
    w.u64be(limit);
    return w.take();
}

binary::Bytes approved_policy(const PcrSelection& sel, const tpm::PcrBanks& values,
                              binary::ByteView nv_name, std::uint64_t counter_limit) {
    constexpr auto alg = crypto::HashAlg::sha256;
    auto after_pcr = policy_pcr(alg, binary::Bytes(32, 0), sel, values);
    return policy_nv(alg, after_pcr, counter_operand(counter_limit), 0, kTpmEoUnsignedLe, nv_name);
}

Authorization sign_authorization(const crypto::EcdsaP256Key& key, const PcrSelection& sel,
                                 const tpm::PcrBanks& values, binary::ByteView nv_name,
                                 std::uint64_t counter_limit, const std::string& origin) {
    refuse_unlaunched(sel, values);
    Authorization a;
    a.selection = sel;
    for (auto p : sel.pcrs) a.values[sel.bank][p] = values.at(sel.bank).at(p);
    a.counter_limit = counter_limit;
    a.approved_policy = approved_policy(sel, values, nv_name, counter_limit);
    // policyRef is empty: aHash = H(approvedPolicy).
    a.signature = crypto::ecdsa_signature_to_der(
        key.sign_digest(crypto::hash(crypto::HashAlg::sha256, a.approved_policy)));
    a.origin = origin;
    a.created = utc_now();
    return a;
}

std::string authorization_problem(const Authorization& a, const crypto::EcdsaP256Key& key,
                                  binary::ByteView nv_name) {
    binary::Bytes expected;
    try {
        expected = approved_policy(a.selection, a.values, nv_name, a.counter_limit);
    } catch (const std::exception& e) {
        return std::string("its PCR values are unusable: ") + e.what();
    }
    if (expected != a.approved_policy)
        return "its recorded PCR values or counter limit are not the ones it approves "
               "(the file was changed)";
    crypto::EcdsaSignature sig;
    try {
        sig = crypto::ecdsa_signature_from_der(a.signature);
    } catch (const std::exception&) {
        return "its signature is not a DER ECDSA signature";
    }
    if (!key.verify_digest(crypto::hash(crypto::HashAlg::sha256, a.approved_policy), sig))
        return "its signature does not verify with the store's key";
    return {};
}

}  // namespace drtm::seal
