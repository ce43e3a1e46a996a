// The OsMleData table of a TXT heap, read as the Secure Launch loader wrote
// it. The table is the loader's own; the three Secure Launch layouts
// (formats.md §1.12) have different sizes and nothing else tells them apart,
// so the size decides. Other loaders (tboot) get no decoding.
#pragma once

#include <optional>

#include "binary/bytes.hpp"
#include "eventlog/txt_heap_info.hpp"
#include "slrt/os_mle.hpp"

namespace drtm::host {

// nullopt when the table's size matches no Secure Launch layout.
std::optional<slrt::OsMleData> secure_launch_os_mle(binary::ByteView heap_input,
                                                    const eventlog::TxtHeapInfo& heap);

const char* os_mle_layout_name(slrt::OsMleLayout layout);  // "spec-v0.6", "kernel-2025", "aem"

}  // namespace drtm::host
