// Text drtm reads from a running system: Xen's boot messages (`xl dmesg`),
// where the reserved DRTM log range is found.
#include "fuzz_target.hpp"
#include "host/xen_boot_messages.hpp"

using namespace drtm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::rejecting_is_fine([&] { (void)host::find_reserved_log(fuzz::text(data, size)); });
    return 0;
}
