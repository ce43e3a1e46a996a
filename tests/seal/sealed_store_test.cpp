// sealed.json: what is saved loads back; a file whose parts do not belong
// together is refused with the file and the field named.
#include "seal/sealed_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "binary/file_io.hpp"
#include "tpm/object_names.hpp"

using namespace drtm;
namespace fs = std::filesystem;
using crypto::HashAlg;

namespace {
// A TPM2B_PUBLIC of a keyed-hash object with `policy` as its authPolicy,
// marshalled by hand (Part 2, §12.2.4): size, type, nameAlg, attributes,
// authPolicy, then the (empty) parameters and unique field.
binary::Bytes sealed_object_public(const binary::Bytes& policy) {
    // 0x003a bytes: type 0008, nameAlg 000b, attributes 00000003, authPolicy
    // 0020 + 32 bytes, scheme 0010, unique size 0000.
    return binary::from_hex(
        "003a"
        "0008"
        "000b"
        "00000003"
        "0020" +
        binary::to_hex(policy) +
        "0010"
        "0000");
}

seal::SealedSecret authorized_store(const crypto::EcdsaP256Key& key) {
    seal::SealedSecret s;
    s.mode = seal::SealMode::authorized;
    seal::AuthorizedStore a;
    a.key_public = tpm::ecc_p256_external_public(key.public_point());
    a.key_name = tpm::object_name(a.key_public);
    a.key_file = "/etc/drtm/authorize-key.pem";
    a.nv_index = 0x01000d17;
    a.nv_name = binary::Bytes(34, 0x22);
    tpm::PcrBanks v;
    v[HashAlg::sha256][17] = binary::Bytes(32, 0x17);
    v[HashAlg::sha256][18] = binary::Bytes(32, 0x18);
    a.authorizations.push_back(seal::sign_authorization(key, s.selection, v, a.nv_name, 1, "one"));
    v[HashAlg::sha256][18] = binary::Bytes(32, 0x81);
    a.authorizations.push_back(seal::sign_authorization(key, s.selection, v, a.nv_name, 2, "two"));
    s.policy = seal::policy_authorize(HashAlg::sha256, a.key_name, {});
    s.object.public_area = sealed_object_public(s.policy);
    s.object.private_area = binary::Bytes{0x00, 0x02, 0xab, 0xcd};
    s.authorized = std::move(a);
    return s;
}

class SealedStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-store-" + std::to_string(::getpid()));
    }
    void TearDown() override { fs::remove_all(dir_); }
    nlohmann::json read_json() {
        auto b = binary::read_file(dir_ / "sealed.json");
        return nlohmann::json::parse(b.begin(), b.end());
    }
    void write_json(const nlohmann::json& j) {
        binary::write_file_atomic(dir_ / "sealed.json", std::string_view(j.dump()));
    }
    std::string load_error() {
        try {
            seal::load_sealed(dir_);
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "";
    }
    fs::path dir_;
};
}  // namespace

TEST_F(SealedStoreTest, AuthorizedStoreRoundTrips) {
    auto key = crypto::EcdsaP256Key::generate();
    auto s = authorized_store(key);
    seal::save_sealed(dir_, s);
    EXPECT_EQ(fs::status(dir_).permissions() & fs::perms::all, fs::perms::owner_all);
    auto back = seal::load_sealed(dir_);
    ASSERT_EQ(back.mode, seal::SealMode::authorized);
    ASSERT_TRUE(back.authorized);
    EXPECT_EQ(back.policy, s.policy);
    EXPECT_EQ(back.object.public_area, s.object.public_area);
    EXPECT_EQ(back.authorized->nv_index, 0x01000d17u);
    ASSERT_EQ(back.authorized->authorizations.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& a = back.authorized->authorizations[i];
        EXPECT_EQ(a.values, s.authorized->authorizations[i].values);
        EXPECT_EQ(a.counter_limit, i + 1);
        EXPECT_EQ(seal::authorization_problem(a, key, back.authorized->nv_name), "");
    }
}

TEST_F(SealedStoreTest, RefusesPartsThatDoNotBelongTogether) {
    auto key = crypto::EcdsaP256Key::generate();
    seal::save_sealed(dir_, authorized_store(key));
    const auto good = read_json();

    auto j = good;  // a key swapped in: the object's policy names the old key
    auto other = authorized_store(crypto::EcdsaP256Key::generate());
    j["key"]["public"] = binary::to_hex(other.authorized->key_public);
    j["key"]["name"] = binary::to_hex(other.authorized->key_name);
    write_json(j);
    EXPECT_NE(load_error().find("does not authorise the recorded key"), std::string::npos)
        << load_error();

    j = good;
    j["key"]["name"] = binary::to_hex(binary::Bytes(34, 1));
    write_json(j);
    EXPECT_NE(load_error().find("key: 'name'"), std::string::npos) << load_error();

    j = good;
    j["policy"] = binary::to_hex(binary::Bytes(32, 5));
    write_json(j);
    EXPECT_NE(load_error().find("not the sealed object's policy"), std::string::npos)
        << load_error();

    j = good;
    j["authorizations"][1]["counter_limit"] = -1;
    write_json(j);
    auto e = load_error();
    EXPECT_NE(e.find("sealed.json"), std::string::npos) << e;
    EXPECT_NE(e.find("authorizations[1]"), std::string::npos) << e;

    j = good;  // PCR indices that are no integer: refused, never converted
    j["pcrs"] = nlohmann::json::array({17, 1e30});
    write_json(j);
    EXPECT_NE(load_error().find("not a whole number 0-23"), std::string::npos) << load_error();

    binary::write_file_atomic(dir_ / "sealed.json", std::string_view("{\"format\": "));
    EXPECT_NE(load_error().find("offset"), std::string::npos) << load_error();
}
