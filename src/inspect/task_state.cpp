#include "inspect/task_state.hpp"

#include <cstring>
#include <stdexcept>

namespace drtm::inspect {

TaskState decode_task_state(binary::ByteView bytes) {
    if (bytes.size() != kTssBytes) throw std::invalid_argument("a TSS is 104 bytes");
    // Little-endian fields, read as the host (x86-64) holds them.
    TaskState t;
    for (std::size_t i = 0; i < t.rsp.size(); ++i)
        std::memcpy(&t.rsp[i], bytes.data() + 4 + 8 * i, 8);
    for (std::size_t i = 0; i < t.ist.size(); ++i)
        std::memcpy(&t.ist[i], bytes.data() + 36 + 8 * i, 8);
    std::memcpy(&t.io_bitmap_offset, bytes.data() + 102, 2);
    return t;
}

}  // namespace drtm::inspect
