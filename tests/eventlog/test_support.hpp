// Shared helpers for the eventlog tests: where the data lives, reading
// files, and loading *.pcrs.json expectations.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binary/bytes.hpp"
#include "binary/file_io.hpp"
#include "eventlog/json.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"

namespace drtm::eventlog::test {

inline std::filesystem::path real_logs_dir() {
    return std::filesystem::path(DRTM_TESTDATA_DIR) / "real-logs";
}

// GPL/LGPL logs are only read from the shared checkout, never copied.
inline std::filesystem::path shared_logs_dir() {
    return std::filesystem::path(DRTM_SHARED_DIR) / "testdata" / "real-logs";
}

inline binary::Bytes read(const std::filesystem::path& p) {
    return binary::read_file(p);
}

inline nlohmann::json read_json(const std::filesystem::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
}

struct ExpectedPcrs {
    PcrValues values;
    std::vector<std::uint32_t> not_covered;
};

inline ExpectedPcrs read_expected_pcrs(const std::filesystem::path& p) {
    nlohmann::json j = read_json(p);
    ExpectedPcrs e;
    e.values = pcr_values_from_json(j.at("pcrs"));
    if (j.contains("pcrs_not_covered_by_log"))
        e.not_covered = j["pcrs_not_covered_by_log"].get<std::vector<std::uint32_t>>();
    return e;
}

inline binary::Bytes hex(std::string_view h) {
    return binary::from_hex(h);
}

inline ParseOptions forced(InputFormat f) {
    ParseOptions o;
    o.format = f;
    return o;
}

// SRTM logs from machines without a dynamic launch: PCR 17–22 read 0xFF…FF.
inline ReplayOptions no_launch() {
    ReplayOptions o;
    o.dynamic_launch = false;
    return o;
}

}  // namespace drtm::eventlog::test
