// What the verifier does with an HTTP request body once mutual TLS has named
// the caller (VerifierService, below the HTTPS front end): enrollment and
// policy documents as sent, and evidence from an enrolled node whose quote is
// genuine (fresh nonce, AK signature) but whose DRTM log and PCR values are
// the attacker's, so every input reaches the appraisal of the log. The first
// byte picks the request.
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "attest/software_attester.hpp"
#include "crypto/ecdsa_key.hpp"
#include "crypto/random.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "fuzz_target.hpp"
#include "service/database.hpp"
#include "service/verifier_service.hpp"
#include "service/verifier_store.hpp"

using namespace drtm;

namespace {

struct Verifier {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("drtm-fuzz-verifier-" + std::to_string(::getpid()) + ".db");
    std::unique_ptr<service::Database> db;
    std::unique_ptr<service::VerifierStore> store;
    std::unique_ptr<service::VerifierService> service;
    attest::SoftwareAttester ak = attest::SoftwareAttester::generate();
    std::uint32_t reset_count = 1;

    Verifier() {
        for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
        db = service::Database::open("sqlite:" + path.string(), 1);
        store = std::make_unique<service::VerifierStore>(*db);
        service::ServiceOptions o;
        o.policy_cache_seconds = 0;
        service = std::make_unique<service::VerifierService>(
            *store, crypto::EcdsaP256Key::generate(), crypto::random_bytes(32), o);
        service::NodeRecord n;
        n.name = "n1";
        n.ak_name = ak.ak_name();
        n.ak_public = ak.ak_public();
        n.ek_name = binary::Bytes(34, 0xee);
        store->enroll(n);
        service->put_policy("p", R"({"format": "drtm-appraisal-policy", "version": 1, "id": "p",
            "reference_values": [{"17": ")" +
                                     std::string(64, '0') + R"("}]})");
        service->set_node_policy("n1", {{"policy", "p"}});
    }
    ~Verifier() {
        service.reset();
        store.reset();
        db.reset();
        for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
    }
};

Verifier& verifier() {
    static Verifier v;
    return v;
}

// The PCRs the attacker's log replays to (so the quote agrees with the log
// and appraisal goes on to the policy), or fixed values when it does not parse.
eventlog::PcrValues pcrs_for(binary::ByteView log) {
    eventlog::PcrValues pcrs;
    try {
        auto parsed = eventlog::parse_event_log(log);
        for (const auto& bank : eventlog::replay(parsed).banks)
            for (std::uint32_t p = 17; p <= 22; ++p) pcrs[bank.alg][p] = bank.pcrs[p].value;
    } catch (const std::exception&) {
    }
    if (pcrs.empty())
        for (std::uint32_t p = 17; p <= 22; ++p)
            pcrs[crypto::HashAlg::sha256][p] = binary::Bytes(32, 0);
    return pcrs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    Verifier& v = verifier();
    auto body = fuzz::text(data + 1, size - 1);
    fuzz::rejecting_is_fine([&] {
        switch (data[0] % 5) {
            case 0: {  // genuine quote, attacker's log
                auto nonce =
                    binary::from_hex(v.service->challenge("n1")["nonce"].get<std::string>());
                auto log = fuzz::view(data + 1, size - 1);
                auto e = v.ak.evidence("n1", nonce, pcrs_for(log), log,
                                       {1000, v.reset_count++, 0, true});
                (void)v.service->submit_evidence("n1", attest::serialize(e));
                break;
            }
            case 1:  // evidence document as sent
                (void)v.service->submit_evidence("n1", body);
                break;
            case 2:
                (void)v.service->begin_enrollment("n2", nlohmann::json::parse(body));
                break;
            case 3:
                (void)v.service->put_policy("q", body);
                break;
            default:
                (void)v.service->set_node_policy("n1", nlohmann::json::parse(body));
                v.service->set_node_policy("n1", {{"policy", "p"}});
                break;
        }
    });
    // Every run starts from the same database: no history for an input to
    // depend on, and no growth over a long campaign.
    v.db->with_connection([](service::Connection& c) { c.execute("DELETE FROM attestations"); });
    return 0;
}
