// The Secure Launch Resource Table (`drtm slrt show`), and the OS-MLE data
// that carries its address on Intel, in each layout.
#include "fuzz_target.hpp"
#include "slrt/json.hpp"
#include "slrt/os_mle.hpp"
#include "slrt/table.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto bytes = fuzz::view(data, size);
    fuzz::rejecting_is_fine([&] { (void)slrt::to_json(slrt::parse(bytes)).dump(); });
    for (auto layout :
         {slrt::OsMleLayout::spec, slrt::OsMleLayout::kernel_2025, slrt::OsMleLayout::aem})
        if (size >= slrt::os_mle_size(layout))
            fuzz::rejecting_is_fine(
                [&] { (void)slrt::parse_os_mle(bytes.first(slrt::os_mle_size(layout)), layout); });
    return 0;
}
