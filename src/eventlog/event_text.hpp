// Event data as text, when it is text: the labels DRTM stages log are ASCII,
// UEFI logs UTF-16 strings. Anything else stays hex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "binary/bytes.hpp"

namespace drtm::eventlog {

// Printable ASCII (plus tab/CR/LF), trailing NULs allowed; or UTF-16LE whose
// code units are all printable ASCII, trailing NUL units allowed (and a lone
// trailing 0 byte: some firmware logs the terminator one byte short). Returns
// the text without the NULs, or nothing when the data is not such text.
std::optional<std::string> printable_text(binary::ByteView data);

// What a measurement is, for people and for policies that name events: its
// data when that is text (DRTM stages log labels such as "Measured Kernel
// command line"), else the event type's name.
std::string event_label(std::uint32_t type, binary::ByteView data);

}  // namespace drtm::eventlog
