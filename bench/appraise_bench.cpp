// Appraising one piece of evidence (parse + every check of attest::appraise:
// AK, quote structure, ECDSA signature, nonce, PCR digest, log parse and
// replay, reference values) — the verifier's per-request CPU work.
//
//   appraise_bench --evidence=FILE --nonce=HEX --policy=FILE [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>

#include "attest/ear.hpp"
#include "attest/evidence.hpp"
#include "attest/verifier.hpp"
#include "binary/file_io.hpp"
#include "crypto/ecdsa_key.hpp"

namespace {
std::string evidence_text, policy_text;
drtm::binary::Bytes nonce;

// Parse + appraise per iteration; an error unless every verdict affirms.
void appraise_each_iteration(benchmark::State& state, const drtm::attest::Expectations& expect) {
    auto policy = drtm::attest::parse_policy(policy_text);
    bool affirming = true;
    for (auto _ : state) {
        auto evidence = drtm::attest::parse_evidence(evidence_text);
        auto verdict = drtm::attest::appraise(evidence, expect, policy);
        affirming = affirming && verdict.affirming();
        benchmark::DoNotOptimize(verdict);
    }
    if (!affirming) state.SkipWithError("evidence was not affirmed");
}

void BM_Appraise(benchmark::State& state) {
    appraise_each_iteration(state, {nonce, std::nullopt, std::nullopt, nullptr});
    state.counters["appraisals/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Appraise)->Unit(benchmark::kMicrosecond);

// What the verifier service does per request: its node cache holds the
// enrolled AK as a ready-made key, so no key is built from the point.
void BM_AppraiseEnrolledKey(benchmark::State& state) {
    auto ak =
        drtm::attest::parse_attestation_key(drtm::attest::parse_evidence(evidence_text).ak_public);
    auto ak_key = std::make_shared<drtm::crypto::EcdsaP256Key>(
        drtm::crypto::EcdsaP256Key::from_public_point(ak.point));
    appraise_each_iteration(state, {nonce, ak.name, std::nullopt, ak_key});
}
BENCHMARK(BM_AppraiseEnrolledKey)->Unit(benchmark::kMicrosecond);

void BM_ParseEvidence(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(drtm::attest::parse_evidence(evidence_text));
}
BENCHMARK(BM_ParseEvidence)->Unit(benchmark::kMicrosecond);

// The signed result (ES256 JWT) the service returns for every appraisal.
void BM_SignEar(benchmark::State& state) {
    auto policy = drtm::attest::parse_policy(policy_text);
    auto verdict = drtm::attest::appraise(drtm::attest::parse_evidence(evidence_text),
                                          {nonce, std::nullopt, std::nullopt, nullptr}, policy);
    auto key = drtm::crypto::EcdsaP256Key::generate();
    drtm::attest::EarInfo info;
    info.policy_id = policy.id;
    info.nonce = nonce;
    info.node = "node-1";
    for (auto _ : state)
        benchmark::DoNotOptimize(
            drtm::attest::sign_ear(drtm::attest::ear_claims(verdict, info), key));
}
BENCHMARK(BM_SignEar)->Unit(benchmark::kMicrosecond);
}  // namespace

int main(int argc, char** argv) {
    const char *evidence = nullptr, *policy = nullptr, *nonce_hex = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (!std::strncmp(argv[i], "--evidence=", 11)) evidence = argv[i] + 11;
        if (!std::strncmp(argv[i], "--policy=", 9)) policy = argv[i] + 9;
        if (!std::strncmp(argv[i], "--nonce=", 8)) nonce_hex = argv[i] + 8;
    }
    if (!evidence || !policy || !nonce_hex) {
        std::cerr << "usage: appraise_bench --evidence=FILE --nonce=HEX --policy=FILE\n";
        return 2;
    }
    evidence_text = drtm::binary::read_text_file(evidence);
    policy_text = drtm::binary::read_text_file(policy);
    nonce = drtm::binary::from_hex(nonce_hex);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    return 0;
}
