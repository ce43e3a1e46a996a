// Sizes drtm refuses to read from a running machine before allocating for
// them: a corrupted pointer or a hostile file must not make drtm read
// gigabytes. Real values are far below: GRUB allocates a 32 KiB DRTM log,
// SINIT logs are 8–64 KiB, and TXT heaps are about 1 MiB (0xE0000 typical).
#pragma once

#include <cstddef>

namespace drtm::host {

inline constexpr std::size_t kMaxDrtmLogBytes = 4u << 20;      // 4 MiB
inline constexpr std::size_t kMaxTxtHeapBytes = 16u << 20;     // 16 MiB
inline constexpr std::size_t kMaxBootMessageBytes = 8u << 20;  // `xl dmesg` transcript

}  // namespace drtm::host
