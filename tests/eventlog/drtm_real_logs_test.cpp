// The real DRTM material: the Intel TXT logs from intel-secl (plain and
// inside a heap image), the digest lists of a TXT host manifest, and the
// published tail of a TrenchBoot Secure Launch log. Golden PCR values were
// computed with python3 hashlib from the files, independently of drtm.
#include <gtest/gtest.h>

#include <algorithm>

#include "crypto/hash_alg.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using crypto::HashAlg;
using test::hex;
using test::real_logs_dir;

std::string pcr_hex(const ReplayResult& r, HashAlg alg, std::uint32_t pcr) {
    return binary::to_hex(r.bank(alg)->pcrs[pcr].value);
}

TEST(TxtLog, SinitHeaderAndRecords) {
    EventLog log = read_event_log(real_logs_dir() / "intel-secl/txt-logs.bin");
    ASSERT_EQ(log.format(), LogFormat::crypto_agile);
    ASSERT_TRUE(log.spec_id());
    EXPECT_EQ(log.spec_id()->uintn_size, 1);
    EXPECT_EQ(log.spec_id()->vendor_info.size(), 0u);
    EXPECT_EQ(log.algorithms(), (std::vector<AlgorithmSize>{{0x0004, 20}, {0x000B, 32}}));
    EXPECT_FALSE(log.txt_log_pointer());
    // Zero-filled 8 KiB container: stops at the first empty record.
    EXPECT_EQ(log.end_reason(), EndReason::padding);
    EXPECT_EQ(log.end_offset(), 0x662u);
    EXPECT_EQ(log.input().size(), 0x2000u);

    EXPECT_EQ(log[1].offset, 0x45u);
    EXPECT_EQ(log[1].pcr, 17u);
    EXPECT_EQ(log[1].type, 0x402u);
    EXPECT_EQ(event_type_name(log[1].type), "EVTYPE_HASH_START");
    EXPECT_EQ(log[1].data.size(), 36u);  // SHA-256 of SINIT ‖ 4-byte flags
    // MLE_HASH and SINIT_PUBKEY_HASH carry no data.
    for (const EventView& e : log.events())
        if (e.type == 0x404 || e.type == 0x410) {
            EXPECT_TRUE(e.data.empty());
        }
    // tboot's four records carry only SHA-256 although two banks are declared.
    std::size_t tboot = 0;
    for (const EventView& e : log.events())
        if (e.type == drtm_types::tboot_hash) {
            ++tboot;
            ASSERT_EQ(e.digests.size(), 1u);
            EXPECT_EQ(e.digests[0].alg_id, 0x000B);
        }
    EXPECT_EQ(tboot, 4u);
}

TEST(TxtLog, ReplaysFromZero) {
    EventLog log = read_event_log(real_logs_dir() / "intel-secl/txt-logs.bin");
    ReplayResult r = replay(log);
    EXPECT_EQ(pcr_hex(r, HashAlg::sha1, 17), "dc15ba215e2c6efc4a2be94eee141e217b1da04e");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha1, 18), "d45891728a449c3be27b0d07a8c6d2c9d6ea34da");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 17),
              "ff8a57bf4a600950af3a52bd832741cf4c282300b526021fd12aacfb7fe22d5a");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 18),
              "ad82584b09f51b928d15168785a0f7a2ff82d2da1520e57534dff391cb4aeb95");
    EXPECT_EQ(r.touched_pcrs(), (std::vector<std::uint32_t>{17, 18}));
    // The missing SHA-1 digests are said, not silently ignored.
    EXPECT_TRUE(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
        return n.find("4 event(s) carry no sha1 digest") != std::string::npos;
    }));
}

TEST(TxtHeap, ImageWalksToTheEmbeddedLog) {
    EventLog log = read_event_log(real_logs_dir() / "intel-secl/txt_heap_info.bin");
    ASSERT_TRUE(log.txt_heap());
    const TxtHeapInfo& heap = *log.txt_heap();
    EXPECT_EQ(heap.heap_offset, 0x1000u);
    EXPECT_EQ(heap.heap_size, 0x100000u);
    EXPECT_EQ(heap.physical_base, 0x1000u);
    EXPECT_EQ(heap.bios_data.size, 0x2Cu);
    EXPECT_EQ(heap.bios_data_version, 3u);
    EXPECT_EQ(heap.os_mle_data.offset, 0x102Cu);
    EXPECT_EQ(heap.os_sinit_data.offset, 0x1000u + 0x1514Cu);
    EXPECT_EQ(heap.os_sinit_data_version, 7u);
    EXPECT_EQ(heap.os_sinit_capabilities, 0x201u);  // bits 0 and 9: TPM 2.0 TCG log
    EXPECT_EQ(heap.sinit_mle_data_version, 9u);
    ASSERT_EQ(heap.os_sinit_elements.size(), 2u);
    EXPECT_EQ(heap.os_sinit_elements[0].type, 8u);
    EXPECT_EQ(heap.os_sinit_elements[0].size, 28u);
    EXPECT_EQ(heap.os_sinit_elements[1].type, 0u);
    ASSERT_TRUE(heap.log_pointer);
    EXPECT_EQ(*heap.log_pointer, (TxtLogPointer{0x1014C, 0x2000, 0, 0x6BA}));

    EXPECT_EQ(log.log_offset(), 0x1114Cu);
    EXPECT_EQ(log.end_offset(), 0x1114Cu + 0x6BA);
    EXPECT_EQ(log.end_reason(), EndReason::next_record_offset);
    EXPECT_EQ(log.spec_id()->uintn_size, 1);
    EXPECT_EQ(log[1].offset, 0x11191u);
    // In the heap copy tboot's records carry both banks.
    EXPECT_EQ(log[log.size() - 1].digests.size(), 2u);

    ReplayResult r = replay(log);
    EXPECT_EQ(pcr_hex(r, HashAlg::sha1, 17), "4e7113d747e57a904e753a1c9ec86a228cc57984");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha1, 18), "bdad60f103fa8a4a27faf4622b983cf422e6de9b");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 17),
              "9e811701336f52de774b9e84b68fd977e400fcb031ea9e3465993d5c2a1935a8");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 18),
              "52036ab120c1fc13940054c65c0c350463a56fa80131430a76cb3be84dfc31fc");
}

TEST(TxtHeap, RawHeapWithItsPhysicalBase) {
    binary::Bytes image = test::read(real_logs_dir() / "intel-secl/txt_heap_info.bin");
    binary::Bytes heap(image.begin() + 0x1000, image.begin() + 0x1000 + 0x100000);
    EXPECT_EQ(detect_format(heap), InputFormat::txt_heap);

    // The element's address is heap-relative in this capture; with the heap
    // placed at physical 0 both readings agree.
    ParseOptions options = test::forced(InputFormat::txt_heap);
    options.heap_physical_base = 0;
    EventLog log = parse_event_log(heap, options);
    EXPECT_EQ(log.size(), 20u);
    EXPECT_EQ(log.log_offset(), 0x1014Cu);
    EXPECT_EQ(log.end_offset(), 0x1014Cu + 0x6BA);
}

TEST(TxtHeap, PhysicalBaseMovesTheLog) {
    // A heap that says its log is at physical 0x7AF1014C, copied from a
    // machine whose TXT.HEAP.BASE is 0x7AF00000.
    binary::Bytes image = test::read(real_logs_dir() / "intel-secl/txt_heap_info.bin");
    binary::Bytes heap(image.begin() + 0x1000, image.begin() + 0x1000 + 0x100000);
    const std::size_t pa = 0x1514C + 8 + 92 + 8;  // OsSinitData body, element 0 data
    ASSERT_EQ(heap[pa], 0x4C);
    heap[pa + 3] = 0x7A;
    heap[pa + 2] = 0xF1;
    ParseOptions options = test::forced(InputFormat::txt_heap);
    options.heap_physical_base = 0x7AF00000;
    EXPECT_EQ(parse_event_log(heap, options).log_offset(), 0x1014Cu);
    // Without the base the address leads nowhere, and the error says where.
    options.heap_physical_base.reset();
    try {
        parse_event_log(heap, options);
        FAIL() << "expected ParseError";
    } catch (const binary::ParseError& e) {
        EXPECT_EQ(e.offset(), pa);
    }
}

// host_manifest.json lists, per bank, the DRTM digests of PCR 17 and 18 (and,
// for SHA-256, two hand-edited PCR 15 entries that are left out here).
std::vector<Event> manifest_events(const nlohmann::json& bank_lists, std::uint16_t alg_id) {
    std::vector<Event> out;
    for (const auto& pcr_list : bank_lists) {
        const std::string index = pcr_list.at("pcr_index");  // "pcr_17"
        const std::uint32_t pcr = static_cast<std::uint32_t>(std::stoul(index.substr(4)));
        if (pcr != 17 && pcr != 18) continue;
        for (const auto& m : pcr_list.at("event_log")) {
            Event e;
            e.pcr = pcr;
            e.type = drtm_types::txt_base;  // the manifest keeps labels, not types
            e.digests.push_back({alg_id, hex(m.at("value").get<std::string>())});
            out.push_back(std::move(e));
        }
    }
    return out;
}

TEST(HostManifest, DrtmListsReplayFromZero) {
    nlohmann::json manifest = test::read_json(real_logs_dir() / "intel-secl/host_manifest.json");
    const auto& map = manifest.at("pcr_manifest").at("pcr_event_log_map");
    std::vector<Event> sha1 = manifest_events(map.at("SHA1"), 0x0004);
    std::vector<Event> sha256 = manifest_events(map.at("SHA256"), 0x000B);
    EXPECT_EQ(sha1.size(), 19u);
    EXPECT_EQ(sha256.size(), 19u);

    test::ExpectedPcrs expected =
        test::read_expected_pcrs(real_logs_dir() / "intel-secl/host_manifest.pcrs.json");
    const HashAlg b1[] = {HashAlg::sha1};
    const HashAlg b256[] = {HashAlg::sha256};
    for (auto [events, banks] : {std::pair{&sha1, std::span<const HashAlg>(b1)},
                                 std::pair{&sha256, std::span<const HashAlg>(b256)}}) {
        Comparison c = compare(replay(*events, banks), expected.values);
        EXPECT_TRUE(c.ok()) << c.mismatches.size() << " mismatch(es)";
        EXPECT_EQ(c.matched.size(), 2u);

        // Starting from 0xFF…FF (no reset) does not reproduce them.
        Comparison wrong = compare(replay(*events, banks, test::no_launch()), expected.values);
        EXPECT_EQ(wrong.mismatches.size(), 2u);
    }
}

TEST(SecureLaunchFragment, ParsesAsBareRecords) {
    EventLog log = read_event_log(
        real_logs_dir() / "trenchboot-documentation/slaunch-eventlog-tail-events.bin",
        test::forced(InputFormat::bare_event2));
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log.format(), LogFormat::bare_event2);
    EXPECT_EQ(log.end_reason(), EndReason::end_of_input);
    const char* labels[] = {"Measured boot parameters", "Measured Kernel initrd",
                            "Measured Kernel command line", "Measured UEFI memory map", ""};
    const std::uint32_t pcrs[] = {18, 17, 18, 18, 17};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(log[i].pcr, pcrs[i]);
        EXPECT_EQ(std::string(log[i].data.begin(), log[i].data.end()), labels[i]);
        ASSERT_EQ(log[i].digests.size(), 1u);
        EXPECT_EQ(log[i].digests[0].alg_id, 0x000B);
    }
    EXPECT_EQ(log[4].type, drtm_types::slaunch_end);
    EXPECT_TRUE(binary::all_equal(log[4].digests[0].bytes, 0));

    ReplayOptions sha256_only;
    sha256_only.banks = {HashAlg::sha256};
    ReplayResult r = replay(log, sha256_only);
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 17),
              "ee788a6c4e8c937f4b831f4365b7f6d29f18627fa5413e8b7fa83030111619f5");
    EXPECT_EQ(pcr_hex(r, HashAlg::sha256, 18),
              "fbaa25195dd4bcc65cb8186590411a4e2b375cabcb3987bb8b6ffecaa109c22b");
    // The end marker is recorded as skipped, not extended.
    EXPECT_EQ(r.bank(HashAlg::sha256)->pcrs[17].skipped, (std::vector<std::size_t>{4}));
}

}  // namespace
}  // namespace drtm::eventlog
