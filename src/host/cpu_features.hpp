// What the running CPU says about dynamic launch support, for messages that
// explain why no TXT state was found.
#pragma once

#include <optional>
#include <string>

#include "host/system_root.hpp"

namespace drtm::host {

// Whether /proc/cpuinfo lists the "smx" flag (Safer Mode Extensions: GETSEC,
// Intel TXT); nullopt when cpuinfo cannot be read.
std::optional<bool> cpu_has_smx(const SystemRoot& root);

// "" when the CPU has SMX or cpuinfo is unreadable; else a sentence naming
// what the CPU is, to append to a "no TXT" message.
std::string no_smx_hint(const SystemRoot& root);

}  // namespace drtm::host
