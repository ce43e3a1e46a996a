// What a verifier receives from an agent: the evidence JSON (size-limited,
// versioned), the TPMS_ATTEST of the quote, its TPMT_SIGNATURE and the AK's
// TPM2B_PUBLIC.
#include "attest/evidence.hpp"
#include "attest/tpm_structures.hpp"
#include "eventlog/parse.hpp"
#include "fuzz_target.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::rejecting_is_fine([&] {
        auto e = attest::parse_evidence(fuzz::text(data, size));
        (void)attest::serialize(e);
        fuzz::rejecting_is_fine([&] { (void)attest::parse_quote(e.quote_attest); });
        fuzz::rejecting_is_fine([&] { (void)attest::parse_ecdsa_signature(e.quote_signature); });
        fuzz::rejecting_is_fine([&] { (void)attest::parse_attestation_key(e.ak_public); });
        fuzz::rejecting_is_fine([&] { (void)eventlog::parse_event_log(e.eventlog); });
    });
    auto b = fuzz::view(data, size);
    fuzz::rejecting_is_fine([&] { (void)attest::parse_quote(b); });
    fuzz::rejecting_is_fine([&] { (void)attest::parse_ecdsa_signature(b); });
    fuzz::rejecting_is_fine([&] { (void)attest::parse_attestation_key(b); });
    return 0;
}
