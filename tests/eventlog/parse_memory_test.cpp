// The memory a parse may use is bounded by its input: at most
// kParseMemoryPerInputByte bytes of heap per input byte (the copy of the input
// included), plus a constant. The worst case is the log with the most records
// per byte: 32-byte SHA-1 records (TCG_PCR_EVENT with no data), and 38-byte
// TCG_PCR_EVENT2 records with one SHA-1 digest and no data. Peak heap use is counted by
// replacing the global operator new of this test program.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "binary/error.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "eventlog/spec_id.hpp"

namespace {

std::atomic<std::size_t> g_live{0}, g_peak{0};

void* counted_alloc(std::size_t n) {
    // A 16-byte header keeps the size for delete and the alignment of new.
    auto* p = static_cast<unsigned char*>(std::malloc(n + 16));
    if (!p) throw std::bad_alloc();
    *reinterpret_cast<std::size_t*>(p) = n;
    const std::size_t live = g_live += n;
    std::size_t peak = g_peak.load();
    while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
    }
    return p + 16;
}

void counted_free(void* q) noexcept {
    if (!q) return;
    auto* p = static_cast<unsigned char*>(q) - 16;
    g_live -= *reinterpret_cast<std::size_t*>(p);
    std::free(p);
}

// Peak heap growth (bytes) while `work` runs.
template <class F>
std::size_t peak_growth(F&& work) {
    const std::size_t base = g_live.load();
    g_peak = base;
    work();
    return g_peak.load() - base;
}

}  // namespace

void* operator new(std::size_t n) {
    return counted_alloc(n);
}
void* operator new[](std::size_t n) {
    return counted_alloc(n);
}
void operator delete(void* p) noexcept {
    counted_free(p);
}
void operator delete[](void* p) noexcept {
    counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_free(p);
}

namespace drtm::eventlog {
namespace {

constexpr std::size_t kRecords = 100000;

void put_u32(binary::Bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// TCG_PCR_EVENT: PCR 0, EV_IPL, a non-zero SHA-1 digest, no data.
binary::Bytes sha1_records(std::size_t n) {
    binary::Bytes b;
    for (std::size_t i = 0; i < n; ++i) {
        put_u32(b, 0);
        put_u32(b, 0x0d);
        b.insert(b.end(), 20, 0x5a);
        put_u32(b, 0);
    }
    return b;
}

// A crypto-agile log of SHA-1 only, with the shortest TCG_PCR_EVENT2 records:
// PCR, type, one SHA-1 digest, no data (38 bytes).
binary::Bytes shortest_event2_records(std::size_t n) {
    const crypto::HashAlg banks[] = {crypto::HashAlg::sha1};
    binary::Bytes b = write_crypto_agile_log(make_spec_id_event(banks), {});
    for (std::size_t i = 0; i < n; ++i) {
        put_u32(b, 17);
        put_u32(b, 0x0d);
        put_u32(b, 1);
        b.push_back(0x04);  // TPM_ALG_SHA1
        b.push_back(0x00);
        b.insert(b.end(), 20, 0x5a);
        put_u32(b, 0);
    }
    return b;
}

void expect_bounded(const binary::Bytes& input, InputFormat format) {
    ParseOptions options;
    options.format = format;
    std::size_t events = 0;
    const std::size_t growth = peak_growth([&] {
        auto log = parse_event_log(binary::ByteView(input), options);
        events = log.size();
    });
    EXPECT_GE(events, kRecords / 2) << "the worst case was not parsed as records";
    const std::size_t bound = kParseMemoryPerInputByte * input.size() + kParseMemoryConstant;
    EXPECT_LE(growth, bound) << "peak " << growth << " bytes for " << input.size()
                             << " input bytes (" << double(growth) / double(input.size())
                             << " per byte)";
    std::cout << "  " << input_format_name(format) << ": " << events << " records, peak " << growth
              << " bytes for " << input.size() << " input bytes ("
              << double(growth) / double(input.size()) << " per byte)\n";
}

}  // namespace

TEST(ParseMemory, ShortestSha1RecordsStayWithinTheBound) {
    expect_bounded(sha1_records(kRecords), InputFormat::sha1);
}

TEST(ParseMemory, ShortestEvent2RecordsStayWithinTheBound) {
    expect_bounded(shortest_event2_records(kRecords), InputFormat::crypto_agile);
}

TEST(ParseMemory, ReplayOfTheWorstCaseStaysWithinTheBound) {
    auto input = sha1_records(kRecords);
    auto log = parse_event_log(binary::ByteView(input), {});
    const std::size_t growth = peak_growth([&] { (void)replay(log); });
    EXPECT_LE(growth, kParseMemoryPerInputByte * input.size() + kParseMemoryConstant) << growth;
}

TEST(ParseMemory, AnInputOverTheLimitIsRefusedBeforeParsing) {
    binary::Bytes big(kMaxLogInputBytes + 1, 0);
    try {
        (void)parse_event_log(binary::ByteView(big), {});
        FAIL();
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), 0u);
        EXPECT_NE(e.reason().find("limit"), std::string::npos) << e.what();
    }
}

}  // namespace drtm::eventlog
