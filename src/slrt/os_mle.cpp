#include "slrt/os_mle.hpp"

#include <string>

#include "binary/reader.hpp"
#include "binary/writer.hpp"
#include "slrt/errors.hpp"

namespace drtm::slrt {

std::size_t os_mle_size(OsMleLayout layout) {
    switch (layout) {
        case OsMleLayout::spec:
            return 104;
        case OsMleLayout::kernel_2025:
            return 96;
        case OsMleLayout::aem:
            return 88;
    }
    return 0;
}

namespace {

std::uint32_t narrow(std::uint64_t v, const char* field) {
    if (v > 0xFFFFFFFFull)
        throw BuildError(std::string("OS-MLE (AEM layout): ") + field + " does not fit in 32 bits");
    return static_cast<std::uint32_t>(v);
}

}  // namespace

binary::Bytes serialize_os_mle(const OsMleData& d) {
    binary::Writer w(os_mle_size(d.layout));
    w.u32le(d.version);
    switch (d.layout) {
        case OsMleLayout::spec:
            w.u32le(d.reserved);
            w.u64le(d.boot_params_addr);
            w.u64le(d.slrt);
            w.u64le(d.txt_info);
            break;
        case OsMleLayout::kernel_2025:
            if (d.boot_params_addr != 0)
                throw BuildError("OS-MLE (2025 layout) has no boot_params_addr field");
            w.u32le(d.reserved);
            w.u64le(d.slrt);
            w.u64le(d.txt_info);
            break;
        case OsMleLayout::aem:
            if (d.reserved != 0) throw BuildError("OS-MLE (AEM layout) has no reserved field");
            w.u32le(narrow(d.boot_params_addr, "boot_params_addr"));
            w.u32le(narrow(d.slrt, "slrt"));
            w.u32le(narrow(d.txt_info, "txt_info"));
            break;
    }
    w.u32le(d.ap_wake_block);
    w.u32le(d.ap_wake_block_size);
    w.bytes(d.mle_scratch);
    return w.take();
}

OsMleData parse_os_mle(binary::ByteView data, OsMleLayout layout) {
    binary::Reader r(data);
    if (data.size() != os_mle_size(layout))
        r.fail("OS-MLE data is " + std::to_string(data.size()) + " bytes, this layout has " +
               std::to_string(os_mle_size(layout)));
    OsMleData d;
    d.layout = layout;
    d.version = r.u32le();
    switch (layout) {
        case OsMleLayout::spec:
            d.reserved = r.u32le();
            d.boot_params_addr = r.u64le();
            d.slrt = r.u64le();
            d.txt_info = r.u64le();
            break;
        case OsMleLayout::kernel_2025:
            d.reserved = r.u32le();
            d.slrt = r.u64le();
            d.txt_info = r.u64le();
            break;
        case OsMleLayout::aem:
            d.boot_params_addr = r.u32le();
            d.slrt = r.u32le();
            d.txt_info = r.u32le();
            break;
    }
    d.ap_wake_block = r.u32le();
    d.ap_wake_block_size = r.u32le();
    binary::ByteView scratch = r.bytes(64, "mle_scratch");
    std::copy(scratch.begin(), scratch.end(), d.mle_scratch.begin());
    return d;
}

}  // namespace drtm::slrt
