// Cross-check with the reference tool: tpm2_eventlog (tpm2-tools) replays a
// log drtm wrote, and its YAML "pcrs:" section must equal drtm's replay.
//
// tpm2_eventlog 5.4 extends EV_NO_ACTION records after the header and the
// Secure Launch markers, and ignores StartupLocality; it also rejects PCR
// indices above 23. The log below therefore holds only ordinary measurements,
// where the two tools must agree.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "binary/file_io.hpp"
#include "eventlog/event_types.hpp"
#include "eventlog/log_writer.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"
#include "test_support.hpp"

namespace drtm::eventlog {
namespace {

using crypto::HashAlg;

const char* const tool = "/usr/bin/tpm2_eventlog";

std::string run(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
}

// bank name → PCR → hex, from the YAML "pcrs:" section:
//   pcrs:
//     sha1:
//       0  : 0x0b2d…
std::map<std::string, std::map<std::uint32_t, std::string>> yaml_pcrs(const std::string& yaml) {
    std::map<std::string, std::map<std::uint32_t, std::string>> out;
    std::istringstream in(yaml);
    std::string line, bank;
    bool in_pcrs = false;
    while (std::getline(in, line)) {
        if (line == "pcrs:") {
            in_pcrs = true;
            continue;
        }
        if (!in_pcrs) continue;
        if (line.rfind("  ", 0) != 0) break;
        if (line.rfind("    ", 0) != 0) {
            bank = line.substr(2, line.find(':') - 2);
            continue;
        }
        const std::size_t colon = line.find(':');
        const std::uint32_t pcr = static_cast<std::uint32_t>(std::stoul(line.substr(0, colon)));
        std::string value = line.substr(line.find("0x", colon) + 2);
        out[bank][pcr] = value;
    }
    return out;
}

TEST(Tpm2Eventlog, AgreesWithDrtmReplay) {
    if (!std::filesystem::exists(tool)) GTEST_SKIP() << tool << " is not installed";

    std::mt19937 rng(17);
    auto random_bytes = [&](std::size_t n) {
        binary::Bytes b(n);
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        return b;
    };
    const std::uint32_t types[] = {tcg::ev_action, drtm_types::slaunch, drtm_types::txt_hash_start,
                                   tcg::ev_efi_action};
    std::vector<Event> events;
    for (std::uint32_t i = 0; i < 240; ++i) {
        Event e;
        e.pcr = (i * 7) % pcr_count;
        e.type = types[i % 4];
        e.digests = {{0x0004, random_bytes(20)}, {0x000B, random_bytes(32)}};
        const std::string label = "event " + std::to_string(i);
        e.data.assign(label.begin(), label.end());
        events.push_back(std::move(e));
    }
    const HashAlg banks[] = {HashAlg::sha1, HashAlg::sha256};
    const binary::Bytes bytes = write_crypto_agile_log(make_spec_id_event(banks), events);
    const std::filesystem::path file =
        std::filesystem::path(::testing::TempDir()) / "drtm_tool_check.bin";
    binary::write_file_atomic(file, bytes);

    const auto theirs = yaml_pcrs(run(std::string(tool) + " " + file.string() + " 2>/dev/null"));
    std::filesystem::remove(file);
    ASSERT_EQ(theirs.size(), 2u) << "tpm2_eventlog printed no pcrs: section";

    ReplayResult ours = replay(parse_event_log(bytes));
    for (const BankReplay& b : ours.banks) {
        const auto& their_bank = theirs.at(std::string(crypto::alg_name(b.alg)));
        EXPECT_EQ(their_bank.size(), pcr_count);
        for (const auto& [pcr, value] : their_bank)
            EXPECT_EQ(binary::to_hex(b.pcrs[pcr].value), value)
                << crypto::alg_name(b.alg) << " PCR " << pcr;
    }
}

}  // namespace
}  // namespace drtm::eventlog
