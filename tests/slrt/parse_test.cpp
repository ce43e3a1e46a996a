// Parser: round trips, layout detection, and malformed tables (every one must
// be a ParseError naming the offset, never a crash).
#include <gtest/gtest.h>

#include <random>

#include "binary/error.hpp"
#include "byte_peek.hpp"
#include "slrt/grub_policy.hpp"
#include "slrt/lookup.hpp"
#include "slrt/table.hpp"

using namespace drtm::slrt;
using drtm::binary::ParseError;
using namespace slrt_test;

namespace {

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put16(Bytes& b, std::size_t off, std::uint16_t v) {
    b[off] = static_cast<std::uint8_t>(v);
    b[off + 1] = static_cast<std::uint8_t>(v >> 8);
}

Table sample_table(Architecture arch) {
    DlInfo dl;
    dl.dce_base = 0x7f00000;
    dl.dce_size = 0x10000;
    dl.dlme_base = 0x1000000;
    dl.dlme_size = 0x2000000;
    dl.dlme_entry = 0x48c0;
    dl.dl_handler = 0x8c000;
    LogInfo log;
    log.addr = 0x7000000;
    log.size = 0x8000;
    GrubLinuxPolicyInput in;
    in.slrt_base = 0x7f01000;
    in.boot_params = 0x8a000;
    in.cmd_line_ptr = 0x8b000;
    in.cmdline_size = 2047;
    in.ramdisk_image = 0x30000000;
    in.ramdisk_size = 0x2000000;
    std::optional<Entry> platform;
    if (arch == Architecture::intel_txt) {
        in.platform_entry = grub_txt_os_mle_policy_entry(0x8f000, 104);
        IntelInfo i;
        i.txt_heap = 0xbfe00000;
        i.saved_misc_enable_msr = 0x850089;
        i.saved_bsp_mtrrs.mtrr_vcnt = 1;
        i.saved_bsp_mtrrs.pairs[0] = {0x6, 0xff80000800};
        platform = i;
    } else {
        AmdInfo a;
        a.slrt_base = in.slrt_base;
        a.slrt_size = 0xf000;
        a.boot_params_base = in.boot_params;
        platform = a;
    }
    Table t = grub_table(arch, 4096, dl, log, grub_linux_policy(in), platform);
    UefiConfig u;
    UefiConfigEntry ue;
    ue.pcr = 18;
    ue.cfg = 0x1234;
    ue.size = 0x40;
    ue.evt_info = make_event_info("Measured UEFI memory map");
    u.entries = {ue};
    t.entries.push_back(u);
    t.entries.push_back(OpaqueEntry{7, {}});
    return t;
}

std::string error_of(ByteView data, const ParseOptions& options = {}) {
    try {
        parse(data, options);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

std::size_t offset_of_error(ByteView data) {
    try {
        parse(data);
    } catch (const ParseError& e) {
        return e.offset();
    }
    return SIZE_MAX;
}

}  // namespace

TEST(SlrtParse, RoundTripAmd) {
    Table t = sample_table(Architecture::amd_skinit);
    Bytes b = serialize(t);
    Table back = parse(b);
    EXPECT_EQ(back, t);
    EXPECT_EQ(serialize(back), b);
    EXPECT_TRUE(back.end_entry);
    ASSERT_NE(find_amd_info(back), nullptr);
    EXPECT_EQ(find_amd_info(back)->layout, AmdInfoLayout::setup_data);
    EXPECT_EQ(find_dl_info(back)->dlme_entry, 0x48c0u);
    EXPECT_EQ(find_policy(back)->entries.size(), 7u);
    EXPECT_EQ(find_intel_info(back), nullptr);
}

TEST(SlrtParse, RoundTripIntelBothVariantsDetectedBySize) {
    for (IntelInfoLayout layout : {IntelInfoLayout::spec, IntelInfoLayout::with_boot_params}) {
        Table t = sample_table(Architecture::intel_txt);
        IntelInfo* info = find_entry<IntelInfo>(t);
        info->layout = layout;
        if (layout == IntelInfoLayout::with_boot_params) info->boot_params_addr = 0x8a000;
        Bytes b = serialize(t);
        Table back = parse(b);
        EXPECT_EQ(back, t);
        EXPECT_EQ(find_intel_info(back)->layout, layout);
    }
}

TEST(SlrtParse, ForcedIntelLayoutRejectsTheOther) {
    Table t = sample_table(Architecture::intel_txt);  // variant B, 552 bytes
    Bytes b = serialize(t);
    ParseOptions want_a;
    want_a.intel_info_layout = IntelInfoLayout::with_boot_params;
    std::string msg = error_of(b, want_a);
    EXPECT_NE(msg.find("INTEL_INFO"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected 560"), std::string::npos) << msg;
    ParseOptions want_b;
    want_b.intel_info_layout = IntelInfoLayout::spec;
    EXPECT_NO_THROW(parse(b, want_b));
}

TEST(SlrtParse, HeaderOnlyAmdInfoAndNoEndEntry) {
    Table t;
    t.architecture = Architecture::amd_skinit;
    t.end_entry = false;  // 2023 Linux: no END entry
    AmdInfo a;
    a.layout = AmdInfoLayout::header_only;
    t.entries = {LogInfo{}, a};
    Bytes b = serialize(t);
    EXPECT_EQ(u32(b, 8), 16u + 24u + 8u);
    Table back = parse(b);
    EXPECT_FALSE(back.end_entry);
    EXPECT_EQ(back, t);
}

TEST(SlrtParse, IgnoresBytesAfterEndAndAfterSize) {
    Table t = sample_table(Architecture::amd_skinit);
    Bytes b = serialize(t);
    b.resize(4096, 0xCC);  // whole max_size buffer with junk after `size`
    EXPECT_EQ(parse(b), t);
}

TEST(SlrtParse, UnknownTagIsKeptOpaque) {
    Table t;
    t.entries = {OpaqueEntry{0x42, {1, 2, 3, 4}}};
    Table back = parse(serialize(t));
    ASSERT_EQ(back.entries.size(), 1u);
    EXPECT_EQ(std::get<OpaqueEntry>(back.entries[0]).payload, (Bytes{1, 2, 3, 4}));
}

TEST(SlrtParse, WrongMagicRevisionArchitecture) {
    Bytes good = serialize(sample_table(Architecture::intel_txt));
    Bytes b = good;
    b[0] = 'X';
    EXPECT_EQ(offset_of_error(b), 0u);
    EXPECT_NE(error_of(b).find("magic"), std::string::npos);
    b = good;
    put16(b, 4, 2);
    EXPECT_EQ(offset_of_error(b), 4u);
    EXPECT_NE(error_of(b).find("revision"), std::string::npos);
    for (std::uint16_t arch : {0, 3, 0xFFFF}) {
        b = good;
        put16(b, 6, arch);
        EXPECT_EQ(offset_of_error(b), 6u);
        EXPECT_NE(error_of(b).find("architecture"), std::string::npos);
    }
}

TEST(SlrtParse, SizeFieldChecks) {
    Bytes good = serialize(sample_table(Architecture::intel_txt));
    Bytes b = good;
    put32(b, 0x0C, u32(b, 8) - 1);  // max_size below size
    EXPECT_NE(error_of(b).find("exceeds max_size"), std::string::npos);
    EXPECT_EQ(offset_of_error(b), 8u);
    b = good;
    put32(b, 8, 15);
    EXPECT_NE(error_of(b).find("below the 16-byte header"), std::string::npos);
    b = good;
    put32(b, 8, 0x10000);
    put32(b, 0x0C, 0x10000);
    EXPECT_NE(error_of(b).find("runs past the end of the data"), std::string::npos);
}

TEST(SlrtParse, EntrySizeZeroSevenAndHuge) {
    Bytes good = serialize(sample_table(Architecture::amd_skinit));
    // Second entry (LOG_INFO) sits after the 72-byte DL_INFO.
    const std::size_t log = 0x10 + 72;
    for (std::uint32_t bad : {0u, 7u}) {
        Bytes b = good;
        put32(b, log + 4, bad);
        std::string msg = error_of(b);
        EXPECT_NE(msg.find("entry #1 (LOG_INFO) at 0x58"), std::string::npos) << msg;
        EXPECT_NE(msg.find("below the 8-byte entry header"), std::string::npos) << msg;
        EXPECT_EQ(offset_of_error(b), log + 4);
    }
    for (std::uint32_t bad : {0xFFFFFFFFu, 0x80000000u, u32(good, 8)}) {
        Bytes b = good;
        put32(b, log + 4, bad);
        std::string msg = error_of(b);
        EXPECT_NE(msg.find("runs past the table size"), std::string::npos) << msg;
        EXPECT_EQ(offset_of_error(b), log + 4);
    }
    // A plausible but wrong size for a fixed-size entry.
    Bytes b = good;
    put32(b, log + 4, 32);
    std::string msg = error_of(b);
    EXPECT_NE(msg.find("LOG_INFO size is 32, expected 24"), std::string::npos) << msg;
}

TEST(SlrtParse, PolicyCountOverflowingItsEntry) {
    Bytes good = serialize(sample_table(Architecture::amd_skinit));
    const std::size_t policy = 0x10 + 72 + 24;
    ASSERT_EQ(u32(good, policy), 3u);
    for (std::uint16_t count : {8, 0xFFFF, 0}) {
        Bytes b = good;
        put16(b, policy + 0x0E, count);
        std::string msg = error_of(b);
        EXPECT_NE(msg.find("entry #2 (ENTRY_POLICY)"), std::string::npos) << msg;
        EXPECT_NE(msg.find("count"), std::string::npos) << msg;
        EXPECT_EQ(offset_of_error(b), policy + 0x0E);
    }
    Bytes b = good;
    put16(b, policy + 0x0C, 2);  // policy revision
    EXPECT_NE(error_of(b).find("ENTRY_POLICY revision is 2"), std::string::npos);
}

TEST(SlrtParse, TruncatedAtEveryLength) {
    Bytes good = serialize(sample_table(Architecture::intel_txt));
    for (std::size_t len = 0; len < good.size(); ++len) {
        ByteView cut(good.data(), len);
        EXPECT_THROW(parse(cut), ParseError) << len;
        // Same prefix with size and max_size claiming exactly `len` bytes: the
        // walker then meets a cut entry. Either a clean table (cut at an entry
        // boundary) or a ParseError.
        if (len >= 16) {
            Bytes b(good.begin(), good.begin() + static_cast<long>(len));
            put32(b, 8, static_cast<std::uint32_t>(len));
            put32(b, 12, static_cast<std::uint32_t>(len));
            try {
                parse(b);
            } catch (const ParseError& e) {
                EXPECT_LE(e.offset(), len) << len;
            }
        }
    }
}

TEST(SlrtParse, RandomCorruptionOnlyEverRaisesParseError) {
    Bytes good = serialize(sample_table(Architecture::intel_txt));
    std::mt19937 rng(1234);
    for (int round = 0; round < 3000; ++round) {
        Bytes b = good;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < flips; ++i) b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
        try {
            parse(b);
        } catch (const ParseError&) {
        }
    }
}
