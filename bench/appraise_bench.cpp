// Appraising one piece of evidence (parse + every check of attest::appraise:
// AK, quote structure, ECDSA signature, nonce, PCR digest, log parse and
// replay, reference values) — the verifier's per-request CPU work.
//
//   appraise_bench --evidence=FILE --nonce=HEX --policy=FILE [benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>

#include "attest/verifier.hpp"
#include "binary/file_io.hpp"

namespace {
std::string evidence_text, policy_text;
drtm::binary::Bytes nonce;

void BM_Appraise(benchmark::State& state) {
    auto policy = drtm::attest::parse_policy(policy_text);
    drtm::attest::Expectations expect{nonce, std::nullopt, std::nullopt, nullptr};
    bool affirming = true;
    for (auto _ : state) {
        auto evidence = drtm::attest::parse_evidence(evidence_text);
        auto verdict = drtm::attest::appraise(evidence, expect, policy);
        affirming = affirming && verdict.affirming();
        benchmark::DoNotOptimize(verdict);
    }
    if (!affirming) state.SkipWithError("evidence was not affirmed");
    state.counters["appraisals/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Appraise)->Unit(benchmark::kMicrosecond);
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
