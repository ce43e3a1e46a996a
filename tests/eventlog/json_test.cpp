// JSON for programs: the shape other modules and the CLI rely on.
#include <gtest/gtest.h>

#include "eventlog/event_text.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/json.hpp"
#include "eventlog/parse.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

TEST(Json, ParsedDrtmLog) {
    EventLog log = read_event_log(test::real_logs_dir() / "intel-secl/txt_heap_info.bin");
    nlohmann::json j = to_json(log);
    EXPECT_EQ(j["format"], "crypto-agile");
    EXPECT_EQ(j["event_count"], 20);
    EXPECT_EQ(j["end_reason"], "NextRecordOffset");
    EXPECT_EQ(j["spec_id"]["uintn_size"], 1);
    EXPECT_EQ(j["spec_id"]["algorithms"][1]["alg"], "sha256");
    EXPECT_EQ(j["txt_log_pointer"]["next_record_offset"], 0x6BA);
    EXPECT_EQ(j["txt_heap"]["os_sinit_data_version"], 7);
    const nlohmann::json& e = j["events"][1];
    EXPECT_EQ(e["index"], 1);
    EXPECT_EQ(e["offset"], 0x11191);
    EXPECT_EQ(e["pcr"], 17);
    EXPECT_EQ(e["type"], 0x402);
    EXPECT_EQ(e["type_name"], "EVTYPE_HASH_START");
    EXPECT_EQ(e["digests"]["sha1"].get<std::string>().substr(0, 16), "7636dbbb8b8f40a9");
    EXPECT_EQ(e["data"].get<std::string>().size(), 72u);
    EXPECT_FALSE(e.contains("text"));
}

TEST(Json, TextOfAsciiAndUtf16Data) {
    EventLog sl = read_event_log(
        test::real_logs_dir() / "trenchboot-documentation/slaunch-eventlog-tail-events.bin",
        test::forced(InputFormat::bare_event2));
    EXPECT_EQ(to_json(sl)["events"][0]["text"], "Measured boot parameters");
    EXPECT_EQ(to_json(sl)["events"][4]["type_name"], "TXT_EVTYPE_SLAUNCH_END");

    // systemd-boot logs the kernel command line as UTF-16.
    EventLog uefi = read_event_log(test::real_logs_dir() / "tpm2-tools/event-arch-linux.bin");
    nlohmann::json last = to_json(uefi[uefi.size() - 1]);
    EXPECT_EQ(last["text"].get<std::string>().substr(0, 21), "initrd=\\intel-ucode.i");

    EXPECT_EQ(printable_text(binary::as_bytes(std::string_view("abc\0\0", 5))), "abc");
    EXPECT_FALSE(printable_text(binary::as_bytes(std::string_view("\x01\x02", 2))));
    EXPECT_FALSE(printable_text({}));
}

TEST(Json, ReplayAndComparison) {
    EventLog log = read_event_log(test::real_logs_dir() / "intel-secl/txt-logs.bin");
    ReplayResult r = replay(log);
    nlohmann::json j = to_json(r);
    EXPECT_EQ(j["pcrs"]["sha1"]["17"], "dc15ba215e2c6efc4a2be94eee141e217b1da04e");
    EXPECT_EQ(j["pcrs"]["sha256"].size(), 24u);
    EXPECT_EQ(j["events"]["sha256"]["18"].size(), 7u);
    EXPECT_TRUE(j["startup_locality"].is_null());
    EXPECT_TRUE(j["dynamic_launch"].get<bool>());

    // The replay's own "pcrs" object reads back as PCR values.
    PcrValues values = pcr_values_from_json(j["pcrs"]);
    EXPECT_TRUE(compare(r, values).ok());
    values[crypto::HashAlg::sha1][17][0] ^= 1;
    nlohmann::json c = to_json(compare(r, values));
    EXPECT_FALSE(c["ok"].get<bool>());
    EXPECT_EQ(c["mismatches"][0]["pcr"], 17);
    EXPECT_EQ(c["mismatches"][0]["bank"], "sha1");
    EXPECT_EQ(c["mismatches"][0]["events"].size(), 9u);  // tboot's records lack SHA-1
}

TEST(Json, PcrValuesRejectBadInput) {
    using nlohmann::json;
    EXPECT_THROW(pcr_values_from_json(json::parse(R"({"md5": {"0": "00"}})")),
                 std::invalid_argument);
    EXPECT_THROW(pcr_values_from_json(json::parse(R"({"sha1": {"x": "00"}})")),
                 std::invalid_argument);
    EXPECT_THROW(pcr_values_from_json(json::parse(R"({"sha1": {"24": "00"}})")),
                 std::invalid_argument);
    EXPECT_THROW(pcr_values_from_json(json::parse(R"({"sha1": {"1": "0g"}})")),
                 std::invalid_argument);
    EXPECT_THROW(pcr_values_from_json(json::parse(R"([1])")), std::invalid_argument);
}

TEST(EventTypeNames, TcgDrtmAndUnknown) {
    EXPECT_EQ(event_type_name(0x0), "EV_PREBOOT_CERT");
    EXPECT_EQ(event_type_name(0x3), "EV_NO_ACTION");
    EXPECT_EQ(event_type_name(0x80000001), "EV_EFI_VARIABLE_DRIVER_CONFIG");
    EXPECT_EQ(event_type_name(0x800000E0), "EV_EFI_VARIABLE_AUTHORITY");
    EXPECT_EQ(event_type_name(0x401), "EVTYPE_PCRMAPPING");
    EXPECT_EQ(event_type_name(0x41A), "EVTYPE_BOOT_POL_HASH");
    EXPECT_EQ(event_type_name(0x4FE), "EVTYPE_RANDOM_VALUE");
    EXPECT_EQ(event_type_name(0x4FF), "EVTYPE_CAP_VALUE");
    EXPECT_EQ(event_type_name(0x501), "TBOOT_EVTYPE_HASH");
    EXPECT_EQ(event_type_name(0x502), "SL_EVTYPE_SECURE_LAUNCH");
    EXPECT_EQ(event_type_name(0x503), "TXT_EVTYPE_SLAUNCH_START");
    EXPECT_EQ(event_type_name(0x504), "TXT_EVTYPE_SLAUNCH_END");
    EXPECT_EQ(event_type_name(0x405), "unknown (0x405)");
    EXPECT_EQ(event_type_name(0xDEADBEEF), "unknown (0xdeadbeef)");
    // Every type in 0x400–0x41A that the SDG defines has a name.
    for (std::uint32_t t :
         {0x400u, 0x402u, 0x403u, 0x404u, 0x40Au, 0x40Bu, 0x40Cu, 0x40Du, 0x40Eu, 0x40Fu,
          0x410u, 0x411u, 0x412u, 0x413u, 0x414u, 0x415u, 0x416u, 0x417u, 0x418u, 0x419u})
        EXPECT_EQ(event_type_name(t).rfind("EVTYPE_", 0), 0u) << std::hex << t;
}

TEST(FormatNames, RoundTrip) {
    for (InputFormat f :
         {InputFormat::auto_detect, InputFormat::crypto_agile, InputFormat::sha1,
          InputFormat::txt_container, InputFormat::skl_tpm12, InputFormat::bare_event2,
          InputFormat::txt_heap, InputFormat::txt_heap_image})
        EXPECT_EQ(input_format_from_name(input_format_name(f)), f);
    EXPECT_FALSE(input_format_from_name("nope"));
}

}  // namespace
}  // namespace drtm::eventlog
