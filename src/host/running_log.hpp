// Finding the DRTM event log of the machine drtm runs on, from the sources a
// TrenchBoot system offers, tried in order:
//   1. securityfs: /sys/kernel/security/slaunch/eventlog (Linux Secure Launch);
//   2. Xen dom0: the range Xen reserved, named in its boot messages, read from
//      /dev/mem;
//   3. Intel TXT: the heap named by TXT.HEAP.BASE/SIZE, its OsSinitData
//      log-pointer element, the log it points to, read from /dev/mem.
// Every path lies under the SystemRoot, so the same code reads fixtures.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"
#include "eventlog/event_log.hpp"
#include "host/system_root.hpp"

namespace drtm::host {

enum class LogSource { securityfs, xen, txt_heap };
std::string_view log_source_name(LogSource s);  // "securityfs", "xen", "txt-heap"
std::optional<LogSource> log_source_from_name(std::string_view name);

// A source that was tried and gave no log, and why.
struct SourceAttempt {
    LogSource source;
    std::string reason;
};

struct RunningLog {
    LogSource source = LogSource::securityfs;
    std::string location;        // the file, or "/dev/mem 0x…–0x…"
    eventlog::EventLog log;      // log.log_bytes(): the log without padding, what `--out` writes
    std::size_t bytes_read = 0;  // including padding
    std::vector<std::string> notes;      // how it was found
    std::vector<SourceAttempt> skipped;  // earlier sources that had nothing
};

// No source had a log: the message lists every attempt with its reason.
class NoRunningLog : public std::runtime_error {
  public:
    explicit NoRunningLog(std::vector<SourceAttempt> attempts);
    const std::vector<SourceAttempt>& attempts() const { return attempts_; }

  private:
    std::vector<SourceAttempt> attempts_;
};

// Tries `only` alone when given, else every source in order. A source that
// exists but holds malformed bytes throws (a binary::ParseError turned into a
// message naming the source and the offset) instead of falling through to the
// next: a damaged log must be reported, not silently replaced.
RunningLog read_running_log(const SystemRoot& root, std::optional<LogSource> only = std::nullopt);

// The individual sources; each throws Unavailable when it has nothing.
RunningLog read_securityfs_log(const SystemRoot& root);
RunningLog read_xen_reserved_log(const SystemRoot& root);
RunningLog read_txt_heap_log(const SystemRoot& root);

}  // namespace drtm::host
