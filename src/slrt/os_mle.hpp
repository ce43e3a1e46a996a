// OS-MLE data (the loader-defined OsMleData region of the TXT heap), which on
// Intel carries the SLRT address. Three incompatible layouts are in use
// (reference/formats.md §1.12); the "Measured TXT OS-MLE data" event hashes
// whichever one the loader wrote.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "binary/bytes.hpp"

namespace drtm::slrt {

enum class OsMleLayout {
    spec,         // 104 bytes: spec v0.6 and GRUB v11 (u64 boot_params_addr, slrt, txt_info)
    kernel_2025,  // 96 bytes: no boot_params_addr
    aem,          // 88 bytes: AEM GRUB and Xen, every address a u32
};

std::size_t os_mle_size(OsMleLayout layout);

struct OsMleData {
    OsMleLayout layout = OsMleLayout::spec;
    std::uint32_t version = 1;
    std::uint32_t reserved = 0;          // spec and kernel_2025 only
    std::uint64_t boot_params_addr = 0;  // spec and aem only
    std::uint64_t slrt = 0;
    std::uint64_t txt_info = 0;
    std::uint32_t ap_wake_block = 0;
    std::uint32_t ap_wake_block_size = 0;
    std::array<std::uint8_t, 64> mle_scratch{};
    bool operator==(const OsMleData&) const = default;
};

// Throws BuildError when a value does not fit its field (a u64 address in the
// all-u32 AEM layout, boot_params_addr in the 2025 layout, reserved in AEM).
binary::Bytes serialize_os_mle(const OsMleData& data);
// `data` must hold exactly os_mle_size(layout) bytes; throws binary::ParseError.
OsMleData parse_os_mle(binary::ByteView data, OsMleLayout layout);

}  // namespace drtm::slrt
