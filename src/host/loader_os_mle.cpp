#include "host/loader_os_mle.hpp"

namespace drtm::host {

std::optional<slrt::OsMleData> secure_launch_os_mle(binary::ByteView heap_input,
                                                    const eventlog::TxtHeapInfo& heap) {
    const std::uint64_t body = heap.os_mle_data.size - 8;
    for (auto layout :
         {slrt::OsMleLayout::spec, slrt::OsMleLayout::kernel_2025, slrt::OsMleLayout::aem})
        if (body == slrt::os_mle_size(layout))
            return slrt::parse_os_mle(
                heap_input.subspan(heap.os_mle_data.offset + 8, static_cast<std::size_t>(body)),
                layout);
    return std::nullopt;
}

const char* os_mle_layout_name(slrt::OsMleLayout layout) {
    switch (layout) {
        case slrt::OsMleLayout::spec:
            return "spec-v0.6";
        case slrt::OsMleLayout::kernel_2025:
            return "kernel-2025";
        case slrt::OsMleLayout::aem:
            return "aem";
    }
    return "?";
}

}  // namespace drtm::host
