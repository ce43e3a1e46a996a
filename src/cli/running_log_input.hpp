// The DRTM log a command works on when the user names no file: the running
// system's, found as `drtm log read` finds it (securityfs, Xen's boot
// messages + /dev/mem, the TXT heap), with a line on stderr saying where.
#pragma once

#include <optional>
#include <string>

#include "binary/bytes.hpp"
#include "eventlog/event_log.hpp"
#include "host/running_log.hpp"

namespace drtm::cli {

// `root`: --root ("" for $DRTM_ROOT or the live system).
host::RunningLog read_running_log_announced(const std::string& root = "",
                                            std::optional<host::LogSource> only = std::nullopt);

// FILE's bytes (size-limited), or the running system's log without padding.
binary::Bytes log_bytes_or_running(const std::string& file);
// FILE parsed (format detected), or the running system's log.
eventlog::EventLog event_log_or_running(const std::string& file);

}  // namespace drtm::cli
