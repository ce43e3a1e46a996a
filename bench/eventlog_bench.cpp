// Parse and replay throughput of drtm::eventlog, and the hash floor it runs
// against (one SHA-1 and one SHA-256 extend per two-bank event).
//
//   eventlog_bench [--log=FILE] [google-benchmark flags]
//
// Without --log, a crypto-agile log of 100 000 two-bank events spread over
// PCRs 0–23 is generated in memory. bench/eventlog_vs_tpm2_eventlog.sh runs
// this on a file generated independently and compares with tpm2_eventlog.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "binary/file_io.hpp"
#include "crypto/digest.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"

namespace {

using namespace drtm;

binary::Bytes generated_log(std::size_t count) {
    const std::array<crypto::HashAlg, 2> banks{crypto::HashAlg::sha1, crypto::HashAlg::sha256};
    std::vector<eventlog::Event> events;
    events.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        eventlog::Event e;
        e.pcr = static_cast<std::uint32_t>(i % eventlog::pcr_count);
        e.type = 0x502;
        const std::string label = "event " + std::to_string(i);
        e.data.assign(label.begin(), label.end());
        // Cheap distinct digests; the benchmark measures parsing and extending.
        binary::Bytes d1(20), d2(32);
        for (std::size_t k = 0; k < d1.size(); ++k) d1[k] = static_cast<std::uint8_t>(i * 31 + k);
        for (std::size_t k = 0; k < d2.size(); ++k) d2[k] = static_cast<std::uint8_t>(i * 17 + k);
        e.digests = {{0x0004, std::move(d1)}, {0x000B, std::move(d2)}};
        events.push_back(std::move(e));
    }
    return eventlog::write_crypto_agile_log(eventlog::make_spec_id_event(banks), events);
}

binary::Bytes& bench_log() {
    static binary::Bytes log;
    return log;
}

std::size_t event_count() {
    static const std::size_t n = eventlog::parse_event_log(binary::ByteView(bench_log())).size();
    return n;
}

void BM_Parse(benchmark::State& state) {
    const binary::ByteView bytes = bench_log();
    for (auto _ : state) {
        eventlog::EventLog log =
            eventlog::parse_event_log(binary::Bytes(bytes.begin(), bytes.end()));
        benchmark::DoNotOptimize(log.size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * event_count()));
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

void BM_Replay(benchmark::State& state) {
    const eventlog::EventLog log = eventlog::parse_event_log(binary::ByteView(bench_log()));
    for (auto _ : state) {
        eventlog::ReplayResult r = eventlog::replay(log);
        benchmark::DoNotOptimize(r.banks.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * log.size()));
}
BENCHMARK(BM_Replay)->Unit(benchmark::kMillisecond);

// What the comparison script quotes: bytes in memory → PCR values.
void BM_ParseReplay(benchmark::State& state) {
    const binary::ByteView bytes = bench_log();
    for (auto _ : state) {
        eventlog::EventLog log =
            eventlog::parse_event_log(binary::Bytes(bytes.begin(), bytes.end()));
        eventlog::ReplayResult r = eventlog::replay(log);
        benchmark::DoNotOptimize(r.banks.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * event_count()));
}
BENCHMARK(BM_ParseReplay)->Unit(benchmark::kMillisecond);

// The floor: one SHA-1 and one SHA-256 PCR extend, nothing else.
void BM_HashFloor(benchmark::State& state) {
    crypto::Hasher sha1(crypto::HashAlg::sha1), sha256(crypto::HashAlg::sha256);
    std::uint8_t p1[20] = {}, p2[32] = {}, d1[20] = {1}, d2[32] = {2};
    for (auto _ : state) {
        sha1.update({p1, sizeof p1});
        sha1.update({d1, sizeof d1});
        sha1.finish_into(p1);
        sha256.update({p2, sizeof p2});
        sha256.update({d2, sizeof d2});
        sha256.finish_into(p2);
    }
    benchmark::DoNotOptimize(p1[0] + p2[0]);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_HashFloor);

}  // namespace

int main(int argc, char** argv) {
    // Our own flag first; Google Benchmark rejects flags it does not know.
    std::vector<char*> rest;
    std::string log_path;
    for (int i = 0; i < argc; ++i) {
        if (std::strncmp(argv[i], "--log=", 6) == 0)
            log_path = argv[i] + 6;
        else
            rest.push_back(argv[i]);
    }
    bench_log() = log_path.empty() ? generated_log(100000) : binary::read_file(log_path);
    int rest_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_argc, rest.data());
    if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
