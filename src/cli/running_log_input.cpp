#include "cli/running_log_input.hpp"

#include <iostream>

#include "binary/error.hpp"
#include "binary/file_io.hpp"
#include "cli/output.hpp"
#include "eventlog/parse.hpp"
#include "host/limits.hpp"

namespace drtm::cli {

host::RunningLog read_running_log_announced(const std::string& root,
                                            std::optional<host::LogSource> only) {
    auto system = host::SystemRoot::from_environment(root);
    auto found = host::read_running_log(system, only);
    for (const auto& a : found.skipped)
        progress("no log from " + std::string(host::log_source_name(a.source)) + ": " + a.reason);
    std::cerr << "drtm: DRTM log from " << host::log_source_name(found.source) << ": "
              << found.location << "\n";
    return found;
}

binary::Bytes log_bytes_or_running(const std::string& file) {
    if (file.empty()) {
        const auto used = read_running_log_announced().log.log_bytes();
        return binary::Bytes(used.begin(), used.end());
    }
    return binary::read_file(file, host::kMaxDrtmLogBytes, "the DRTM event log");
}

eventlog::EventLog event_log_or_running(const std::string& file) {
    if (file.empty()) return std::move(read_running_log_announced().log);
    auto bytes = binary::read_file(file, host::kMaxDrtmLogBytes, "the DRTM event log");
    return binary::in_file(file, [&] { return eventlog::parse_event_log(std::move(bytes)); });
}

}  // namespace drtm::cli
