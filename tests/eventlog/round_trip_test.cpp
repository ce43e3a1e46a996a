// Writing logs and reading them back; rewriting real logs byte for byte.
#include <gtest/gtest.h>

#include <algorithm>

#include "eventlog/event_types.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using crypto::HashAlg;

Event event_with(std::uint32_t pcr, std::uint32_t type, std::vector<Digest> digests,
                 binary::Bytes data) {
    Event e;
    e.pcr = pcr;
    e.type = type;
    e.digests = std::move(digests);
    e.data = std::move(data);
    return e;
}

TEST(RoundTrip, CryptoAgileWithAnUnknownAlgorithm) {
    SpecIdEvent header =
        make_spec_id_event(std::vector<HashAlg>{HashAlg::sha1, HashAlg::sha256, HashAlg::sha384});
    header.algorithms.push_back({0x1234, 7});  // unknown to drtm: skipped by its declared size
    header.platform_class = 1;
    header.vendor_info = {1, 2, 3};

    std::vector<Event> events = {
        event_with(0, tcg::ev_s_crtm_version,
                   {{0x0004, binary::Bytes(20, 1)}, {0x1234, binary::Bytes(7, 9)}}, {'a', 0}),
        event_with(7, tcg::ev_separator,
                   {{0x000C, binary::Bytes(48, 3)},
                    {0x0004, binary::Bytes(20, 4)},
                    {0x000B, binary::Bytes(32, 5)},
                    {0x1234, binary::Bytes(7, 6)}},
                   {}),
        event_with(17, drtm_types::slaunch, {{0x000B, binary::Bytes(32, 7)}},
                   binary::Bytes(5000, 0x5A)),
    };
    binary::Bytes bytes = write_crypto_agile_log(header, events);
    EventLog log = parse_event_log(bytes);
    EXPECT_EQ(log.format(), LogFormat::crypto_agile);
    EXPECT_EQ(log.end_reason(), EndReason::end_of_input);
    EXPECT_EQ(log.end_offset(), bytes.size());
    ASSERT_TRUE(log.spec_id());
    EXPECT_EQ(*log.spec_id(), header);
    ASSERT_EQ(log.size(), 4u);
    std::vector<Event> back = log.to_events();
    EXPECT_EQ(std::vector<Event>(back.begin() + 1, back.end()), events);
    EXPECT_TRUE(std::any_of(log.notes().begin(), log.notes().end(), [](const std::string& n) {
        return n.find("0x1234") != std::string::npos;
    }));
    EXPECT_EQ(replay(log).banks.size(), 3u);  // sha1, sha256, sha384
}

TEST(RoundTrip, Sha1Log) {
    std::vector<Event> events = {
        event_with(0, tcg::ev_post_code, {{0x0004, binary::Bytes(20, 1)}}, {'x'}),
        event_with(4, tcg::ev_separator, {{0x0004, binary::Bytes(20, 2)}}, {0, 0, 0, 0}),
    };
    binary::Bytes bytes = write_sha1_log(events);
    EventLog log = parse_event_log(bytes);
    EXPECT_EQ(log.format(), LogFormat::sha1);
    EXPECT_EQ(log.to_events(), events);
    EXPECT_THROW(
        write_sha1_log(std::vector<Event>{event_with(0, 1, {{0x000B, binary::Bytes(32, 1)}}, {})}),
        std::invalid_argument);
}

TEST(RoundTrip, WriterRejectsInconsistentEvents) {
    SpecIdEvent header = make_spec_id_event(std::vector<HashAlg>{HashAlg::sha256});
    auto write = [&](Event e) {
        return write_crypto_agile_log(header, std::vector<Event>{std::move(e)});
    };
    EXPECT_THROW(write(event_with(0, 1, {{0x0004, binary::Bytes(20, 1)}}, {})),
                 std::invalid_argument);
    EXPECT_THROW(write(event_with(0, 1, {{0x000B, binary::Bytes(20, 1)}}, {})),
                 std::invalid_argument);
    EXPECT_THROW(write(event_with(0, 1, {}, {})), std::invalid_argument);
    EXPECT_THROW(write(event_with(
                     0, 1, {{0x000B, binary::Bytes(32, 1)}, {0x000B, binary::Bytes(32, 1)}}, {})),
                 std::invalid_argument);
}

// Real logs rewritten from their parsed events are the same bytes: the
// writer and the parser agree with the firmware that wrote them.
TEST(RoundTrip, RealLogsRewriteByteForByte) {
    int rewritten = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(test::real_logs_dir())) {
        if (!entry.is_regular_file()) continue;
        const auto ext = entry.path().extension();
        if (ext == ".json" || ext == ".md" || ext == ".hex" ||
            entry.path().filename() == "tpm2_valid" ||
            entry.path().parent_path().filename() == "trenchboot-documentation")  // bare records
            continue;
        binary::Bytes original = test::read(entry.path());
        if (detect_format(original) != InputFormat::crypto_agile &&
            detect_format(original) != InputFormat::sha1)
            continue;
        EventLog log = parse_event_log(original);
        if (log.end_reason() != EndReason::end_of_input) continue;  // padded buffers
        std::vector<Event> events = log.to_events();
        binary::Bytes again;
        if (log.format() == LogFormat::crypto_agile) {
            events.erase(events.begin());  // the header record is rewritten from spec_id()
            again = write_crypto_agile_log(*log.spec_id(), events);
        } else {
            again = write_sha1_log(events);
        }
        EXPECT_EQ(again, original) << entry.path();
        ++rewritten;
    }
    EXPECT_GE(rewritten, 30);
}

TEST(MeasureEvent, DigestsAreBankHashesOfTheMeasuredBytes) {
    const HashAlg banks[] = {HashAlg::sha1, HashAlg::sha256};
    Event e = measure_event(17, drtm_types::slaunch, banks, binary::as_bytes("abc"), "DLME");
    ASSERT_EQ(e.digests.size(), 2u);
    // FIPS 180 test vectors for "abc".
    EXPECT_EQ(binary::to_hex(e.digests[0].bytes), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(binary::to_hex(e.digests[1].bytes),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(std::string(e.data.begin(), e.data.end()), "DLME");
}

}  // namespace
}  // namespace drtm::eventlog
