// Appraisal policy documents, as `drtm verifier policy put` and `drtm attest
// verify --policy` read them.
#include "attest/appraisal_policy.hpp"
#include "fuzz_target.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::rejecting_is_fine(
        [&] { (void)attest::to_json(attest::parse_policy(fuzz::text(data, size))).dump(); });
    return 0;
}
