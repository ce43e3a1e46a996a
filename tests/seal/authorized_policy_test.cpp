// Signed approvals in software. Golden digests computed with Python's
// hashlib from TPM 2.0 Part 3 (not with drtm):
//   PolicyNV:        H(bytes(32) + pack('>I', 0x149)
//                      + H(pack('>Q', 5) + pack('>HH', 0, 9)) + nvName)
//                    nvName = 000b + 32 × 0x11
//   PolicyAuthorize: H(H(bytes(32) + pack('>I', 0x16A) + keyName) + b'')
//                    keyName = 000b + bytes(range(32))
#include "seal/authorized_policy.hpp"

#include <gtest/gtest.h>

#include "crypto/digest.hpp"

using namespace drtm;
using crypto::HashAlg;

namespace {
binary::Bytes nv_name() {
    binary::Bytes n{0x00, 0x0b};
    n.resize(34, 0x11);
    return n;
}
tpm::PcrBanks launch_values(std::uint8_t fill18) {
    tpm::PcrBanks b;
    b[HashAlg::sha256][17] = binary::Bytes(32, 0x17);
    b[HashAlg::sha256][18] = binary::Bytes(32, fill18);
    return b;
}
const seal::PcrSelection kSel{HashAlg::sha256, {17, 18}};
}  // namespace

TEST(AuthorizedPolicy, PolicyNvDigest) {
    auto d = seal::policy_nv(HashAlg::sha256, binary::Bytes(32, 0), seal::counter_operand(5), 0, 9,
                             nv_name());
    EXPECT_EQ(binary::to_hex(d),
              "d37ecb3f52e8376e39ba26dd5b19fee5af5269038256e317a5984496fcde4ec3");
}

TEST(AuthorizedPolicy, PolicyAuthorizeDigest) {
    binary::Bytes key_name{0x00, 0x0b};
    for (int i = 0; i < 32; ++i) key_name.push_back(static_cast<std::uint8_t>(i));
    EXPECT_EQ(binary::to_hex(seal::policy_authorize(HashAlg::sha256, key_name, {})),
              "3c2dab7276081bc296d40691314626af563749e6640a111387d7b1e402a8a2c0");
}

TEST(AuthorizedPolicy, CounterOperandIsBigEndian) {
    EXPECT_EQ(binary::to_hex(seal::counter_operand(0x0102030405060708ull)), "0102030405060708");
}

TEST(AuthorizedPolicy, ApprovedPolicyIsPcrThenNv) {
    auto values = launch_values(0x18);
    auto pcr = seal::policy_pcr(HashAlg::sha256, binary::Bytes(32, 0), kSel, values);
    auto expected =
        seal::policy_nv(HashAlg::sha256, pcr, seal::counter_operand(7), 0, 9, nv_name());
    EXPECT_EQ(seal::approved_policy(kSel, values, nv_name(), 7), expected);
}

TEST(AuthorizedPolicy, SignedApprovalVerifiesAndTamperingIsNamed) {
    auto key = crypto::EcdsaP256Key::generate();
    auto a = seal::sign_authorization(key, kSel, launch_values(0x18), nv_name(), 3, "test");
    EXPECT_EQ(a.counter_limit, 3u);
    EXPECT_EQ(seal::authorization_problem(a, key, nv_name()), "");

    auto edited = a;
    edited.values[HashAlg::sha256][18] = binary::Bytes(32, 0x19);
    EXPECT_NE(seal::authorization_problem(edited, key, nv_name()).find("file was changed"),
              std::string::npos);

    auto later = a;
    later.counter_limit = 4;  // a replayed approval cannot claim a later generation
    EXPECT_NE(seal::authorization_problem(later, key, nv_name()).find("file was changed"),
              std::string::npos);

    auto forged = a;
    forged.signature[forged.signature.size() - 1] ^= 0x01;
    EXPECT_NE(seal::authorization_problem(forged, key, nv_name()), "");

    auto other = crypto::EcdsaP256Key::generate();
    EXPECT_NE(seal::authorization_problem(a, other, nv_name()).find("does not verify"),
              std::string::npos);

    binary::Bytes other_counter = nv_name();
    other_counter.back() ^= 1;
    EXPECT_NE(seal::authorization_problem(a, key, other_counter), "");
}

TEST(AuthorizedPolicy, RefusesToApproveValuesOfNoLaunch) {
    auto key = crypto::EcdsaP256Key::generate();
    EXPECT_THROW(seal::sign_authorization(key, kSel, launch_values(0xFF), nv_name(), 1, "x"),
                 std::runtime_error);
    EXPECT_THROW(seal::sign_authorization(key, kSel, launch_values(0x00), nv_name(), 1, "x"),
                 std::runtime_error);
}
