// Hostile and damaged input: every failure is a binary::ParseError that
// names a sensible byte offset; nothing crashes, nothing else escapes.
#include <gtest/gtest.h>

#include <random>

#include "binary/error.hpp"
#include "eventlog/drtm_logs.hpp"
#include "eventlog/json.hpp"
#include "eventlog/log_appender.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using binary::ParseError;

binary::Bytes real(const char* path) {
    return test::read(test::real_logs_dir() / path);
}

void put_u32(binary::Bytes& b, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Parses and expects a ParseError at `offset` whose reason mentions `what`.
void expect_error(const binary::Bytes& bytes, const ParseOptions& options, std::size_t offset,
                  std::string_view what) {
    try {
        EventLog log = parse_event_log(bytes, options);
        ADD_FAILURE() << "parsed " << log.size() << " events; expected an error at " << offset;
    } catch (const ParseError& e) {
        EXPECT_EQ(e.offset(), offset) << e.what();
        EXPECT_NE(e.reason().find(what), std::string::npos) << e.what();
    }
}

bool is_fill(binary::ByteView v) {
    return binary::all_equal(v, 0) || binary::all_equal(v, 0xFF);
}

// Every prefix of a log either parses to the records that fit (when it ends
// on a record boundary or in 0x00/0xFF bytes) or fails inside the record it
// cut, never before it and never past the end of the prefix.
void check_every_prefix(const binary::Bytes& full, const ParseOptions& options, std::size_t from) {
    EventLog whole = parse_event_log(full, options);
    std::vector<std::size_t> record_end;
    for (const EventView& e : whole.events()) record_end.push_back(e.offset + e.size);
    for (std::size_t n = from; n <= whole.end_offset(); ++n) {
        binary::Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        std::size_t complete = 0;
        while (complete < record_end.size() && record_end[complete] <= n) ++complete;
        const std::size_t last_boundary = complete == 0 ? 0 : record_end[complete - 1];
        try {
            EventLog log = parse_event_log(prefix, options);
            ASSERT_EQ(log.size(), complete) << "prefix " << n;
            ASSERT_TRUE(n == last_boundary ||
                        is_fill(binary::ByteView(prefix).subspan(last_boundary)))
                << "prefix " << n << " parsed although it cuts a record";
        } catch (const ParseError& e) {
            ASSERT_GE(e.offset(), complete == 0 ? 0 : last_boundary)
                << "prefix " << n << ": " << e.what();
            ASSERT_LE(e.offset(), n) << "prefix " << n << ": " << e.what();
        }
    }
}

TEST(Truncation, TxtLogEveryPrefix) {
    check_every_prefix(real("intel-secl/txt-logs.bin"), test::forced(InputFormat::crypto_agile), 0);
}

TEST(Truncation, UefiLogEveryPrefix) {
    check_every_prefix(real("go-tpm-tools/arch-linux-workstation.bin"),
                       test::forced(InputFormat::crypto_agile), 0);
}

TEST(Truncation, Sha1LogEveryPrefix) {
    check_every_prefix(real("go-tpm-tools/debian-10.bin"), test::forced(InputFormat::sha1), 0);
}

TEST(Truncation, AutoDetectedPrefixesNeverCrash) {
    // Detection may pick another format for a short prefix; it must still
    // fail cleanly.
    binary::Bytes full = real("intel-secl/txt-logs.bin");
    for (std::size_t n = 0; n <= 0x700; ++n) {
        binary::Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        try {
            parse_event_log(prefix);
        } catch (const ParseError& e) {
            EXPECT_LE(e.offset(), n);
        }
    }
}

TEST(Truncation, SklLogShorterThanNextRecordOffset) {
    binary::Bytes log = make_skl_tpm20_log(0x1000, 0x400);
    LogAppender app(log);
    Event e;
    e.pcr = 17;
    e.type = 0x502;
    e.digests = {{0x0004, binary::Bytes(20, 1)}, {0x000B, binary::Bytes(32, 2)}};
    app.append(e);
    binary::Bytes cut(log.begin(), log.begin() + 0x80);
    expect_error(cut, {}, 0x55, "NextRecordOffset");
}

TEST(Truncation, HeapImageSampledPrefixes) {
    binary::Bytes full = real("intel-secl/txt_heap_info.bin");
    for (std::size_t n = 0; n < full.size(); n += 4093) {
        binary::Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        try {
            parse_event_log(prefix, test::forced(InputFormat::txt_heap_image));
        } catch (const ParseError& e) {
            EXPECT_LE(e.offset(), n);
        }
    }
}

TEST(HugeFields, EventSizeAndDigestCount) {
    binary::Bytes log = real("intel-secl/txt-logs.bin");
    // Record 1 starts at 0x45; its count is at 0x4D, its EventSize at 0x45 + 12 + 22 + 34.
    binary::Bytes bad_count = log;
    put_u32(bad_count, 0x4D, 0xFFFFFFFF);
    expect_error(bad_count, {}, 0x4D, "digest count 4294967295 exceeds");

    binary::Bytes bad_size = log;
    put_u32(bad_size, 0x45 + 12 + 22 + 34, 0xFFFFFFFF);
    expect_error(bad_size, {}, 0x45 + 12 + 22 + 34 + 4,
                 "truncated event data: need 4294967295 bytes");

    binary::Bytes bad_alg = log;
    bad_alg[0x45 + 12] = 0x0C;  // sha384: not declared in this log
    expect_error(bad_alg, {}, 0x45 + 12, "sha384 is not declared");
}

TEST(HugeFields, SpecIdHeader) {
    binary::Bytes log = real("intel-secl/txt-logs.bin");
    binary::Bytes bad_data_size = log;
    put_u32(bad_data_size, 0x1C, 0xFFFFFFFF);
    expect_error(bad_data_size, {}, 0x20, "truncated event data");

    binary::Bytes bad_algs = log;
    put_u32(bad_algs, 0x38, 0xFFFFFFFF);
    expect_error(bad_algs, {}, 0x38, "numberOfAlgorithms 4294967295 does not fit");

    binary::Bytes zero_algs = log;
    put_u32(zero_algs, 0x38, 0);
    expect_error(zero_algs, {}, 0x38, "numberOfAlgorithms is 0");

    binary::Bytes wrong_size = log;
    wrong_size[0x42] = 20;  // sha256 declared with 20-byte digests
    expect_error(wrong_size, {}, 0x40, "sha256 declared with 20-byte digests");

    binary::Bytes vendor = log;
    vendor[0x44] = 0xFF;  // vendorInfoSize runs past the Spec ID data
    expect_error(vendor, {}, 0x45, "truncated vendorInfo");
}

TEST(HugeFields, SklPointerAndContainerOffsets) {
    binary::Bytes skl = make_skl_tpm20_log(0x1000, 0x400);
    binary::Bytes past = skl;
    put_u32(past, 0x55, 0xFFFFFFFF);
    expect_error(past, {}, 0x55, "NextRecordOffset 0xffffffff is past the end");
    binary::Bytes inside = skl;
    put_u32(inside, 0x55, 0x20);
    expect_error(inside, {}, 0x55, "points inside the log header");

    binary::Bytes tpm12 = make_skl_tpm12_log(0x400);
    binary::Bytes next = tpm12;
    put_u32(next, 0x39 + 0x2C, 0xFFFFFFFF);
    expect_error(next, {}, 0x39 + 0x2C, "next_event_offset 0xffffffff is past the end");
    binary::Bytes first = tpm12;
    put_u32(first, 0x39 + 0x28, 0xFFFFFFFF);
    expect_error(first, {}, 0x39 + 0x2C, "is before pcr_events_offset");
}

TEST(HugeFields, HeapSizes) {
    binary::Bytes image = real("intel-secl/txt_heap_info.bin");
    binary::Bytes region = image;
    for (int i = 0; i < 8; ++i) region[0x1000 + 0x2C + i] = 0xFF;  // OsMleDataSize
    const ParseOptions image_format = test::forced(InputFormat::txt_heap_image);
    expect_error(region, image_format, 0x102C,
                 "OsMleDataSize 0xffffffffffffffff runs past the end of the heap");

    binary::Bytes small = image;
    small[0x1000] = 4;  // BiosDataSize below its own 8 bytes
    expect_error(small, image_format, 0x1000, "below 8");

    const std::size_t element = 0x1000 + 0x1514C + 8 + 92;
    binary::Bytes element_size = image;
    put_u32(element_size, element + 4, 0xFFFFFFFF);
    expect_error(element_size, image_format, element + 4, "runs past OsSinitData");

    binary::Bytes next = image;
    put_u32(next, element + 8 + 16, 0xFFFFFFFF);
    expect_error(next, image_format, element + 8 + 16, "out of order");

    binary::Bytes legacy = image;
    put_u32(legacy, element, 7);  // the same bytes read as a type-7 element
    expect_error(legacy, image_format, element + 8, "does not fit");

    binary::Bytes only_legacy = image;
    put_u32(only_legacy, element, 7);
    put_u32(only_legacy, element + 8, 0);  // zero descriptors
    expect_error(only_legacy, image_format, 0x1000 + 0x1514C, "no EVENT_LOG_POINTER2_1");
}

TEST(WrongSignature, EachFormat) {
    binary::Bytes log = real("intel-secl/txt-logs.bin");
    log[0x2E] = '4';  // "Spec ID Event04"
    expect_error(log, test::forced(InputFormat::crypto_agile), 0x20, "wrong signature");

    binary::Bytes tpm12 = make_skl_tpm12_log(0x400);
    tpm12[0x39] = 'X';
    expect_error(tpm12, test::forced(InputFormat::skl_tpm12), 0x39, "wrong signature");
    binary::Bytes container(tpm12.begin() + 0x39, tpm12.end());
    expect_error(container, test::forced(InputFormat::txt_container), 0, "wrong signature");

    binary::Bytes sha1 = real("go-tpm-tools/debian-10.bin");
    expect_error(sha1, test::forced(InputFormat::crypto_agile), 0x20, "wrong signature");
}

TEST(Fuzz, RandomCorruptionOnlyRaisesParseErrors) {
    const char* logs[] = {"intel-secl/txt-logs.bin", "go-tpm-tools/glinux-alex.bin",
                          "go-tpm-tools/debian-10.bin", "tpm2-tss/binary_measurements_hcrtm.bin"};
    std::mt19937 rng(20261125);
    int parsed = 0, rejected = 0;
    for (const char* path : logs) {
        const binary::Bytes original = real(path);
        const std::size_t span = std::min<std::size_t>(original.size(), 0x800);
        for (int round = 0; round < 500; ++round) {
            binary::Bytes b = original;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i) {
                const std::size_t at = rng() % span;
                b[at] = rng() % 3 == 0 ? 0xFF : static_cast<std::uint8_t>(rng());
            }
            try {
                EventLog log = parse_event_log(b);
                ReplayResult r = replay(log);
                (void)to_json(log).dump();
                (void)to_json(r).dump();
                ++parsed;
            } catch (const ParseError& e) {
                EXPECT_LE(e.offset(), b.size());
                ++rejected;
            }
        }
    }
    EXPECT_GT(parsed, 0);
    EXPECT_GT(rejected, 0);
}

TEST(Appender, RefusesAMalformedLog) {
    binary::Bytes log = make_skl_tpm20_log(0x1000, 0x400);
    put_u32(log, 0x55, 0xFFFF);
    EXPECT_THROW(LogAppender{log}, ParseError);
}

}  // namespace
}  // namespace drtm::eventlog
