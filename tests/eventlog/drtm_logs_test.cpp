// The DRTM buffers the launch emulator emits, checked byte by byte against
// layouts written out by hand here from formats.md §3.6 and §4, and the
// appender that adds the DLME's events.
#include <gtest/gtest.h>

#include <cstring>

#include "binary/writer.hpp"
#include "eventlog/drtm_logs.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/log_appender.hpp"
#include "eventlog/parse.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

constexpr std::uint64_t log_base = 0x7FF00000;
constexpr std::uint32_t log_size = 0x1000;

// The SKL events of these tests carry fixed digests: the layout, not the
// hashing, is under test.
Event skl_event(std::uint32_t pcr, std::string_view label, std::uint8_t fill) {
    Event e;
    e.pcr = pcr;
    e.type = 0x502;
    e.digests.push_back({0x0004, binary::Bytes(20, fill)});
    e.digests.push_back({0x000B, binary::Bytes(32, static_cast<std::uint8_t>(fill + 1))});
    e.data.assign(label.begin(), label.end());
    return e;
}

Event sha1_event(std::uint32_t pcr, std::string_view label, std::uint8_t fill) {
    Event e;
    e.pcr = pcr;
    e.type = 0x502;
    e.digests.push_back({0x0004, binary::Bytes(20, fill)});
    e.data.assign(label.begin(), label.end());
    return e;
}

void put(binary::Bytes& b, std::size_t at, std::initializer_list<std::uint8_t> bytes) {
    std::copy(bytes.begin(), bytes.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
}
void put_le(binary::Bytes& b, std::size_t at, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_text(binary::Bytes& b, std::size_t at, std::string_view s) {
    std::memcpy(b.data() + at, s.data(), s.size());
}

// formats.md §4.1, one field at a time.
binary::Bytes hand_made_skl_tpm20(std::uint32_t next_record_offset) {
    binary::Bytes b(log_size, 0);
    put_le(b, 0x00, 0, 4);                 // PCR 0
    put_le(b, 0x04, 3, 4);                 // EV_NO_ACTION
    put_le(b, 0x1C, 57, 4);                // EventDataSize (digest 0x08–0x1B stays zero)
    put_text(b, 0x20, "Spec ID Event03");  // + NUL at 0x2F
    put(b, 0x34, {0, 2, 0, 2});            // minor 0, major 2, errata 0, uintnSize 2
    put_le(b, 0x38, 2, 4);                 // numberOfAlgorithms
    put(b, 0x3C, {0x04, 0x00, 20, 0x00, 0x0B, 0x00, 32, 0x00});
    b[0x44] = 20;                  // vendorInfoSize
    put_le(b, 0x45, log_base, 8);  // PhysicalAddress
    put_le(b, 0x4D, log_size, 4);  // AllocatedEventContainerSize
    put_le(b, 0x51, 0, 4);         // FirstRecordOffset
    put_le(b, 0x55, next_record_offset, 4);
    return b;
}

// One TCG_PCR_EVENT2 of skl_event(), written out by hand.
void hand_made_skl_record(binary::Bytes& b, std::size_t at, std::uint32_t pcr,
                          std::string_view label, std::uint8_t fill) {
    put_le(b, at, pcr, 4);
    put_le(b, at + 4, 0x502, 4);
    put_le(b, at + 8, 2, 4);
    put(b, at + 12, {0x04, 0x00});
    std::memset(b.data() + at + 14, fill, 20);
    put(b, at + 34, {0x0B, 0x00});
    std::memset(b.data() + at + 36, fill + 1, 32);
    put_le(b, at + 68, label.size(), 4);
    put_text(b, at + 72, label);
}

TEST(SklTpm20Log, FreshBufferMatchesTheHandLayout) {
    binary::Bytes log = make_skl_tpm20_log(log_base, log_size);
    EXPECT_EQ(log, hand_made_skl_tpm20(0x59));
    EXPECT_EQ(skl_tpm20_first_event, 0x59u);
}

TEST(SklTpm20Log, AppendedEventsAdvanceNextRecordOffset) {
    binary::Bytes log = make_skl_tpm20_log(log_base, log_size);
    LogAppender app(log);
    EXPECT_EQ(app.format(), LogFormat::crypto_agile);
    EXPECT_EQ(app.end_offset(), 0x59u);
    EXPECT_EQ(app.append(skl_event(17, "SKINIT", 0x11)), 0x59u);
    EXPECT_EQ(app.append(skl_event(17, "DLME entry offset", 0x33)), 0x59u + 78);
    const std::size_t end = 0x59 + 78 + 72 + 17;
    EXPECT_EQ(app.end_offset(), end);

    binary::Bytes expected = hand_made_skl_tpm20(static_cast<std::uint32_t>(end));
    hand_made_skl_record(expected, 0x59, 17, "SKINIT", 0x11);
    hand_made_skl_record(expected, 0x59 + 78, 17, "DLME entry offset", 0x33);
    EXPECT_EQ(log, expected);

    // And it reads back, stopping at NextRecordOffset.
    EventLog parsed = parse_event_log(log);
    ASSERT_TRUE(parsed.txt_log_pointer());
    EXPECT_EQ(*parsed.txt_log_pointer(),
              (TxtLogPointer{log_base, log_size, 0, static_cast<std::uint32_t>(end)}));
    EXPECT_EQ(parsed.end_reason(), EndReason::next_record_offset);
    EXPECT_EQ(parsed.end_offset(), end);
    ASSERT_EQ(parsed.size(), 3u);
    EXPECT_EQ(to_event(parsed[1]), skl_event(17, "SKINIT", 0x11));
}

TEST(SklTpm20Log, AppenderRereadsAnExistingLog) {
    binary::Bytes log = make_skl_tpm20_log(log_base, log_size);
    LogAppender(log).append(skl_event(17, "SKINIT", 0x11));
    LogAppender dlme(log);  // a later stage finds the end from NextRecordOffset
    EXPECT_EQ(dlme.end_offset(), 0x59u + 78);
    dlme.append(skl_event(18, "SLRT", 0x55));
    EXPECT_EQ(parse_event_log(log).size(), 3u);
}

TEST(SklTpm20Log, FullBufferThrowsAndIsLeftUnchanged) {
    binary::Bytes log = make_skl_tpm20_log(log_base, 0x59 + 78 + 10);
    LogAppender app(log);
    app.append(skl_event(17, "SKINIT", 0x11));
    binary::Bytes before = log;
    try {
        app.append(skl_event(17, "DLME", 0x22));
        FAIL() << "expected LogFull";
    } catch (const LogFull& e) {
        EXPECT_EQ(e.offset(), 0x59u + 78);
        EXPECT_EQ(e.needed(), 76u);
        EXPECT_EQ(e.available(), 10u);
    }
    EXPECT_EQ(log, before);
}

TEST(SklTpm20Log, RejectsEventsTheHeaderCannotDescribe) {
    binary::Bytes log = make_skl_tpm20_log(log_base, log_size);
    LogAppender app(log);
    Event sha384 = skl_event(17, "x", 1);
    sha384.digests.push_back({0x000C, binary::Bytes(48, 0)});
    EXPECT_THROW(app.append(sha384), std::invalid_argument);
    Event none = skl_event(17, "x", 1);
    none.digests.clear();
    EXPECT_THROW(app.append(none), std::invalid_argument);
    EXPECT_THROW(make_skl_tpm20_log(log_base, 0x58), std::invalid_argument);
}

// formats.md §4.2.
binary::Bytes hand_made_skl_tpm12(std::uint32_t next_event_offset) {
    binary::Bytes b(log_size, 0);
    put_le(b, 0x04, 3, 4);
    put_le(b, 0x1C, 73, 4);
    put_text(b, 0x20, "Spec ID Event00");
    put(b, 0x34, {2, 1, 1, 0});  // minor 2, major 1, errata 1, uintnSize 0
    b[0x38] = 48;                // vendorInfoSize
    put_text(b, 0x39, "TXT Event Container");
    put(b, 0x59, {1, 0, 1, 0});
    put_le(b, 0x5D, log_size, 4);  // container_size
    put_le(b, 0x61, 48, 4);        // pcr_events_offset, relative to 0x39
    put_le(b, 0x65, next_event_offset, 4);
    return b;
}

TEST(SklTpm12Log, LayoutAndAppend) {
    binary::Bytes log = make_skl_tpm12_log(log_size);
    EXPECT_EQ(log, hand_made_skl_tpm12(48));

    LogAppender app(log);
    EXPECT_EQ(app.format(), LogFormat::skl_tpm12);
    EXPECT_EQ(app.append(sha1_event(17, "SKINIT", 0x11)), 0x69u);

    binary::Bytes expected = hand_made_skl_tpm12(48 + 38);
    put_le(expected, 0x69, 17, 4);
    put_le(expected, 0x6D, 0x502, 4);
    std::memset(expected.data() + 0x71, 0x11, 20);
    put_le(expected, 0x85, 6, 4);
    put_text(expected, 0x89, "SKINIT");
    EXPECT_EQ(log, expected);

    EventLog parsed = parse_event_log(log);
    EXPECT_EQ(parsed.format(), LogFormat::skl_tpm12);
    ASSERT_EQ(parsed.size(), 2u);  // header record + SKINIT
    EXPECT_EQ(parsed.txt_container()->offset, 0x39u);
    EXPECT_EQ(parsed.end_reason(), EndReason::next_event_offset);
    EXPECT_EQ(to_event(parsed[1]), sha1_event(17, "SKINIT", 0x11));
    EXPECT_THROW(app.append(skl_event(17, "two banks", 1)), std::invalid_argument);
}

TEST(SklTpm12Log, SecurityfsViewStartsAtTheContainer) {
    // Linux points its log base at the embedded container.
    binary::Bytes log = make_skl_tpm12_log(log_size);
    LogAppender(log).append(sha1_event(17, "SKINIT", 0x11));
    std::span<std::uint8_t> view = std::span<std::uint8_t>(log).subspan(0x39);
    LogAppender linux_view(view);
    EXPECT_EQ(linux_view.format(), LogFormat::txt_container);
    linux_view.append(sha1_event(18, "Measured boot parameters", 0x22));

    EventLog whole = parse_event_log(log);
    ASSERT_EQ(whole.size(), 3u);
    EXPECT_EQ(whole[2].pcr, 18u);
    EventLog container = parse_event_log(binary::ByteView(view.data(), view.size()));
    EXPECT_EQ(container.format(), LogFormat::txt_container);
    EXPECT_EQ(container.size(), 2u);
}

TEST(TxtSinitLog, HeaderMatchesTheRealSinitLog) {
    // The first 0x45 bytes of intel-secl's txt-logs.bin are SINIT's own header.
    binary::Bytes real = test::read(test::real_logs_dir() / "intel-secl/txt-logs.bin");
    binary::Bytes ours = make_txt_sinit_log();
    ASSERT_EQ(ours.size(), 0x8000u);
    EXPECT_TRUE(std::equal(real.begin(), real.begin() + 0x45, ours.begin()));
    EXPECT_TRUE(binary::all_equal(binary::ByteView(ours).subspan(0x45), 0));
}

TEST(TxtSinitLog, HeapPointerCarriesNextRecordOffset) {
    binary::Bytes log = make_txt_sinit_log(0x200);
    binary::Bytes pointer = encode_txt_log_pointer(TxtLogPointer{0x8A000000, 0x200, 0, 0x45});
    LogAppender app(log, pointer);
    EXPECT_EQ(app.append(skl_event(17, "", 0x44)), 0x45u);
    EXPECT_EQ(app.end_offset(), 0x45u + 72);
    binary::Reader r(pointer);
    EXPECT_EQ(parse_txt_log_pointer(r).next_record_offset, 0x45u + 72);

    // Filling the rest: 0x200 − 0x8D = 371 bytes take five 72-byte records.
    for (int i = 0; i < 5; ++i) app.append(skl_event(17, "", 0x44));
    EXPECT_THROW(app.append(skl_event(17, "", 0x44)), LogFull);

    ParseOptions options;
    options.end_offset = app.end_offset();
    EXPECT_EQ(parse_event_log(log, options).size(), 7u);
    // Without the heap's end, the zero fill ends it at the same place.
    EXPECT_EQ(parse_event_log(log).end_offset(), app.end_offset());
}

TEST(TxtStructures, PointerElementBytes) {
    // The element header, then the body exactly as it sits in txt_heap_info.bin.
    binary::Bytes e = encode_log_pointer_element(TxtLogPointer{0x1014C, 0x2000, 0, 0x6BA});
    EXPECT_EQ(binary::to_hex(e),
              "080000001c000000"
              "4c010100000000000020000000000000ba060000");
}

}  // namespace
}  // namespace drtm::eventlog
