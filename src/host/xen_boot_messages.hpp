// Under Xen, dom0 has no securityfs node for the DRTM log. TrenchBoot's Xen
// prints where it reserved the log; the Anti-Evil-Maid scripts find it in
// `xl dmesg` and read it from /dev/mem. drtm does the same.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/system_root.hpp"

namespace drtm::host {

struct ReservedLogRange {
    std::uint64_t start = 0;  // physical address of the first byte
    std::uint64_t end = 0;    // physical address just past the last byte
    std::string line;         // the message it came from
};

// Xen's "SLAUNCH: reserving event log (START - END)" message in `text`: the
// first one from Xen itself (prefixed "(XEN)", or unprefixed), never a guest's
// ("(d3) …"). nullopt when there is none. Throws std::invalid_argument when
// the message is there but its range does not parse or is empty/inverted.
std::optional<ReservedLogRange> find_reserved_log(std::string_view text);

// The hypervisor's boot messages: the file the root names, else the output of
// `xl dmesg` on a Xen host. Throws Unavailable saying why there are none
// (not a Xen host, `xl` missing, not dom0).
struct BootMessages {
    std::string text;
    std::string from;  // "xl dmesg" or the file's path
};
BootMessages read_xen_boot_messages(const SystemRoot& root);

// Whether this system runs under Xen (/sys/hypervisor/type says "xen").
bool runs_under_xen(const SystemRoot& root);

}  // namespace drtm::host
