// The architectural part of an x86-64 TSS (Intel SDM vol. 3, 8.7): the
// stack pointers for rings 0-2, the seven interrupt stack table entries
// and the I/O bitmap's offset, as the CPU reads them on an interrupt.
#pragma once

#include <array>
#include <cstdint>

#include "binary/bytes.hpp"

namespace drtm::inspect {

// A reserved word, rsp0-2, a reserved quadword, IST 1-7, a reserved
// quadword and word, the I/O bitmap offset.
inline constexpr std::size_t kTssBytes = 104;

struct TaskState {
    std::array<std::uint64_t, 3> rsp{};  // rsp0, rsp1, rsp2
    std::array<std::uint64_t, 7> ist{};  // IST 1 at ist[0]
    std::uint16_t io_bitmap_offset = 0;
};

// `bytes` must be kTssBytes long (std::invalid_argument otherwise).
TaskState decode_task_state(binary::ByteView bytes);

}  // namespace drtm::inspect
