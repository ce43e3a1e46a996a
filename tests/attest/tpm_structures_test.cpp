// TPM structures from untrusted bytes, laid out by hand from TPM 2.0 Part 2
// (TPMS_ATTEST §10.12.12, TPMT_SIGNATURE §11.3.4, TPMT_PUBLIC §12.2.4).
#include "attest/tpm_structures.hpp"

#include <gtest/gtest.h>

#include "binary/error.hpp"
#include "support/openssl_ref.hpp"

using namespace drtm;

namespace {
std::string rep(const char* byte, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += byte;
    return s;
}
// A quote of sha256 PCR 17+18 with an 8-byte nonce.
const std::string kQuoteHex =
    "ff544347"  // TPM_GENERATED_VALUE
    "8018"      // TPM_ST_ATTEST_QUOTE
    "0022000b" +
    rep("41", 32) +  // qualifiedSigner
    "0008"
    "0102030405060708"  // extraData
    "0000000000001000"
    "00000003"
    "00000001"
    "01"                // clockInfo
    "2019102300163636"  // firmwareVersion
    "00000001"
    "000b"
    "03"
    "000006"  // sha256: PCR 17, 18
    "0020" +
    rep("dd", 32);  // pcrDigest

// An ECC P-256 restricted signing key's TPM2B_PUBLIC with `attributes`.
std::string ak_public_hex(const std::string& attributes) {
    std::string area =
        "0023"
        "000b" +
        attributes +
        "0000"  // type, nameAlg, attrs, no policy
        "0010"
        "0018"
        "000b"
        "0003"
        "0010"  // sym NULL, ECDSA-SHA256, P-256, kdf NULL
        "0020" +
        rep("11", 32) + "0020" + rep("22", 32);
    char size[24];
    std::snprintf(size, sizeof size, "%04zx", area.size() / 2);
    return size + area;
}
}  // namespace

TEST(TpmStructures, ParsesAQuote) {
    auto q = attest::parse_quote(binary::from_hex(kQuoteHex));
    EXPECT_EQ(q.magic, 0xff544347u);
    EXPECT_EQ(q.qualified_signer.size(), 34u);
    EXPECT_EQ(binary::to_hex(q.extra_data), "0102030405060708");
    EXPECT_EQ(q.clock.clock, 0x1000u);
    EXPECT_EQ(q.clock.reset_count, 3u);
    EXPECT_EQ(q.clock.restart_count, 1u);
    EXPECT_TRUE(q.clock.safe);
    EXPECT_EQ(q.firmware_version, 0x2019102300163636u);
    ASSERT_EQ(q.selection.size(), 1u);
    EXPECT_EQ(q.selection[0].hash_alg, 0x000b);
    EXPECT_EQ(q.selection[0].pcrs, (std::vector<std::uint32_t>{17, 18}));
    EXPECT_EQ(q.pcr_digest, binary::Bytes(32, 0xdd));
}

TEST(TpmStructures, RefusesWhatIsNotAQuoteWithTheOffset) {
    auto bytes = binary::from_hex(kQuoteHex);
    for (std::size_t n = 0; n < bytes.size(); ++n)
        EXPECT_THROW(attest::parse_quote(binary::ByteView(bytes.data(), n)), binary::ParseError)
            << "truncated to " << n;
    auto other = bytes;
    other[0] = 0;
    try {
        attest::parse_quote(other);
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), 0u);
        EXPECT_NE(std::string(e.what()).find("TPM-generated"), std::string::npos);
    }
    other = bytes;
    other[5] = 0x17;  // TPM_ST_ATTEST_CERTIFY
    EXPECT_THROW(attest::parse_quote(other), binary::ParseError);
    other = bytes;
    other.push_back(0);
    EXPECT_THROW(attest::parse_quote(other), binary::ParseError);
}

TEST(TpmStructures, SignatureRoundTripAndRefusals) {
    crypto::EcdsaSignature sig{binary::Bytes(32, 1), binary::Bytes(32, 2)};
    auto m = attest::marshal_ecdsa_signature(sig);
    EXPECT_EQ(binary::to_hex(m), "0018000b0020" + rep("01", 32) + "0020" + rep("02", 32));
    auto back = attest::parse_ecdsa_signature(m);
    EXPECT_EQ(back.r, sig.r);
    EXPECT_EQ(back.s, sig.s);
    m[1] = 0x14;  // RSASSA
    EXPECT_THROW(attest::parse_ecdsa_signature(m), binary::ParseError);
}

TEST(TpmStructures, AttestationKeyMustBeARestrictedSigningKey) {
    // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign
    auto bytes = binary::from_hex(ak_public_hex("00050072"));
    auto ak = attest::parse_attestation_key(bytes);
    ref::Bytes area(bytes.begin() + 2, bytes.end());
    EXPECT_EQ(binary::to_hex(ak.name), "000b" + ref::hex(ref::digest("SHA256", area)));
    EXPECT_EQ(ak.point.x, binary::Bytes(32, 0x11));

    for (const char* bad : {"00040072",     // not restricted
                            "00070072",     // restricted sign + decrypt
                            "00050070",     // not fixedTPM
                            "00050052"}) {  // not sensitiveDataOrigin
        EXPECT_THROW(attest::parse_attestation_key(binary::from_hex(ak_public_hex(bad))),
                     binary::ParseError)
            << bad;
    }
}
