// Golden values computed with Python's hashlib from the TPM 2.0 Part 3
// definition of TPM2_PolicyPCR (not with drtm):
//   sel = struct.pack('>IHB', 1, 0x0B, 3) + bytes([0, 0, 6])
//   H(bytes(32) + struct.pack('>I', 0x17F) + sel + H(v17 + v18))
#include "seal/pcr_policy.hpp"

#include <gtest/gtest.h>

using namespace drtm;
using crypto::HashAlg;

namespace {
tpm::PcrBanks values(binary::Bytes v17, binary::Bytes v18) {
    tpm::PcrBanks b;
    b[HashAlg::sha256][17] = std::move(v17);
    b[HashAlg::sha256][18] = std::move(v18);
    return b;
}
binary::Bytes counting() {
    binary::Bytes b(32);
    for (int i = 0; i < 32; ++i) b[i] = static_cast<std::uint8_t>(i);
    return b;
}
}  // namespace

TEST(PcrPolicy, SelectionMarshalling) {
    EXPECT_EQ(binary::to_hex(seal::marshal_pcr_selection({HashAlg::sha256, {18, 17}})),
              "00000001000b03000006");
    EXPECT_EQ(binary::to_hex(seal::marshal_pcr_selection({HashAlg::sha1, {0, 7, 23}})),
              "000000010004038100"
              "80");
}

TEST(PcrPolicy, PolicyPcrDigest) {
    auto v = values(counting(), binary::Bytes(32, 0xAA));
    auto digest =
        seal::policy_pcr(HashAlg::sha256, binary::Bytes(32, 0), {HashAlg::sha256, {17, 18}}, v);
    EXPECT_EQ(binary::to_hex(digest),
              "b96ee9321323b5b759c930a5df34fde4a3b029ceaa7d9cbf68f5dadba8fc8106");
}

TEST(PcrPolicy, MissingValueIsAnError) {
    tpm::PcrBanks only17;
    only17[HashAlg::sha256][17] = counting();
    EXPECT_THROW(seal::policy_pcr(HashAlg::sha256, binary::Bytes(32, 0),
                                  {HashAlg::sha256, {17, 18}}, only17),
                 std::runtime_error);
}

TEST(PcrPolicy, RefusesValuesOfNoLaunch) {
    seal::PcrSelection sel{HashAlg::sha256, {17, 18}};
    EXPECT_NO_THROW(seal::refuse_unlaunched(sel, values(counting(), binary::Bytes(32, 0xAA))));
    try {
        seal::refuse_unlaunched(sel, values(binary::Bytes(32, 0xFF), binary::Bytes(32, 0xAA)));
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("PCR 17 reads all FF"), std::string::npos) << e.what();
    }
    EXPECT_THROW(seal::refuse_unlaunched(sel, values(counting(), binary::Bytes(32, 0))),
                 std::runtime_error);
}
