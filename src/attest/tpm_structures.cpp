#include "attest/tpm_structures.hpp"

#include <map>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "crypto/digest.hpp"

namespace drtm::attest {

namespace {
constexpr std::uint16_t kAlgEcc = 0x0023, kAlgEcdsa = 0x0018, kAlgSha256 = 0x000b,
                        kAlgNull = 0x0010, kCurveP256 = 0x0003;
constexpr std::uint32_t kFixedTpm = 1u << 1, kFixedParent = 1u << 4, kSensitiveDataOrigin = 1u << 5,
                        kRestricted = 1u << 16, kDecrypt = 1u << 17, kSign = 1u << 18;

Bytes tpm2b(binary::Reader& r, const char* what, std::size_t max) {
    const std::size_t at = r.position();
    std::uint16_t n = r.u16be();
    if (n > max)
        r.fail_at(at, std::string(what) + " of " + std::to_string(n) + " bytes (at most " +
                          std::to_string(max) + ")");
    auto b = r.bytes(n, what);
    return Bytes(b.begin(), b.end());
}

std::vector<PcrBankSelection> pcr_selection(binary::Reader& r) {
    const std::size_t at = r.position();
    std::uint32_t count = r.u32be();
    if (count > 16) r.fail_at(at, "PCR selection of " + std::to_string(count) + " banks");
    std::vector<PcrBankSelection> out;
    for (std::uint32_t i = 0; i < count; ++i) {
        PcrBankSelection s;
        s.hash_alg = r.u16be();
        const std::size_t size_at = r.position();
        std::uint8_t size = r.u8();
        if (size > 4) r.fail_at(size_at, "PCR bitmap of " + std::to_string(size) + " bytes");
        auto bits = r.bytes(size, "PCR bitmap");
        for (std::uint32_t p = 0; p < 8u * size; ++p)
            if (bits[p / 8] & (1u << (p % 8))) s.pcrs.push_back(p);
        for (const auto& earlier : out)
            if (earlier.hash_alg == s.hash_alg) r.fail_at(at, "a bank is selected twice");
        out.push_back(std::move(s));
    }
    return out;
}
}  // namespace

QuoteInfo parse_quote(ByteView attest) {
    binary::Reader r(attest);
    QuoteInfo q;
    q.magic = r.u32be();
    if (q.magic != kTpmGeneratedValue)
        r.fail_at(0, "not TPM-generated (magic " + binary::hex32(q.magic) + ")");
    q.type = r.u16be();
    if (q.type != kTpmStAttestQuote)
        r.fail_at(4, "not a quote (type " + binary::hex_number(q.type) + ")");
    q.qualified_signer = tpm2b(r, "qualified signer", 2 + 64);
    q.extra_data = tpm2b(r, "extra data", 64);
    q.clock.clock = r.u64be();
    q.clock.reset_count = r.u32be();
    q.clock.restart_count = r.u32be();
    const std::size_t safe_at = r.position();
    std::uint8_t safe = r.u8();
    if (safe > 1) r.fail_at(safe_at, "clock 'safe' flag is neither 0 nor 1");
    q.clock.safe = safe == 1;
    q.firmware_version = r.u64be();
    q.selection = pcr_selection(r);
    q.pcr_digest = tpm2b(r, "PCR digest", 64);
    if (!r.at_end()) r.fail("trailing bytes after the quote");
    return q;
}

crypto::EcdsaSignature parse_ecdsa_signature(ByteView signature) {
    binary::Reader r(signature);
    if (r.u16be() != kAlgEcdsa) r.fail_at(0, "signature is not ECDSA");
    if (r.u16be() != kAlgSha256) r.fail_at(2, "signature hash is not SHA-256");
    auto sig_r = tpm2b(r, "ECDSA r", 32);
    auto sig_s = tpm2b(r, "ECDSA s", 32);
    if (!r.at_end()) r.fail("trailing bytes after the signature");
    // TPMs strip nothing, but a short value is still a valid integer.
    sig_r.insert(sig_r.begin(), 32 - sig_r.size(), 0);
    sig_s.insert(sig_s.begin(), 32 - sig_s.size(), 0);
    return {sig_r, sig_s};
}

Bytes marshal_ecdsa_signature(const crypto::EcdsaSignature& sig) {
    binary::Writer w;
    w.u16be(kAlgEcdsa);
    w.u16be(kAlgSha256);
    w.u16be(static_cast<std::uint16_t>(sig.r.size()));
    w.bytes(sig.r);
    w.u16be(static_cast<std::uint16_t>(sig.s.size()));
    w.bytes(sig.s);
    return w.take();
}

AttestationKey parse_attestation_key(ByteView tpm2b_public) {
    binary::Reader outer(tpm2b_public);
    std::uint16_t size = outer.u16be();
    auto r = outer.sub(size, "public area");
    if (!outer.at_end()) outer.fail("trailing bytes after the public area");
    const auto area = r.data();
    if (r.u16be() != kAlgEcc) r.fail_at(0, "attestation key is not an ECC key");
    if (r.u16be() != kAlgSha256) r.fail_at(2, "attestation key's name algorithm is not SHA-256");
    const std::uint32_t attributes = r.u32be();
    const std::uint32_t required =
        kFixedTpm | kFixedParent | kSensitiveDataOrigin | kRestricted | kSign;
    if ((attributes & required) != required)
        r.fail_at(4, "not a TPM-resident restricted signing key (attributes " +
                         binary::hex32(attributes) + ")");
    if (attributes & kDecrypt) r.fail_at(4, "attestation key can also decrypt");
    tpm2b(r, "authPolicy", 64);
    if (r.u16be() != kAlgNull) r.fail("attestation key has a symmetric algorithm");
    if (r.u16be() != kAlgEcdsa) r.fail("attestation key's scheme is not ECDSA");
    if (r.u16be() != kAlgSha256) r.fail("attestation key's scheme hash is not SHA-256");
    if (r.u16be() != kCurveP256) r.fail("attestation key is not on P-256");
    if (r.u16be() != kAlgNull) r.fail("attestation key has a KDF");
    auto x = tpm2b(r, "x coordinate", 32);
    auto y = tpm2b(r, "y coordinate", 32);
    if (x.size() != 32 || y.size() != 32) r.fail("P-256 coordinates must be 32 bytes");
    if (!r.at_end()) r.fail("trailing bytes in the public area");
    AttestationKey key;
    key.public_area.assign(tpm2b_public.begin(), tpm2b_public.end());
    key.name = {0x00, 0x0b};
    auto digest = crypto::hash(crypto::HashAlg::sha256, area);
    key.name.insert(key.name.end(), digest.begin(), digest.end());
    key.point = {x, y};
    return key;
}

Bytes quote_pcr_digest(crypto::HashAlg alg, const std::vector<PcrBankSelection>& selection,
                       const std::map<std::uint16_t, std::map<std::uint32_t, Bytes>>& values) {
    crypto::Hasher h(alg);
    for (const auto& bank : selection) {
        auto it = values.find(bank.hash_alg);
        for (auto p : bank.pcrs) {
            if (it == values.end() || !it->second.count(p))
                throw std::runtime_error("no value for quoted PCR " + std::to_string(p) +
                                         " of bank " + binary::hex_number(bank.hash_alg));
            h.update(it->second.at(p));
        }
    }
    return h.finish();
}

}  // namespace drtm::attest
