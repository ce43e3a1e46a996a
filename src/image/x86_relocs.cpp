#include "image/x86_relocs.hpp"

#include <string>

#include "binary/error.hpp"

namespace drtm::image {

X86Relocations parse_x86_relocations(binary::ByteView table, std::size_t base) {
    if (table.size() % 4 != 0)
        throw binary::ParseError(base, "the relocation table is " + std::to_string(table.size()) +
                                           " bytes, not a whole number of u32 entries");
    std::size_t index = table.size() / 4;  // entries left, read from the end
    auto read_group = [&](std::vector<std::uint64_t>& out, const char* name) {
        for (;;) {
            if (index == 0)
                throw binary::ParseError(
                    base, std::string("the relocation table ends inside the ") + name +
                              " group (no 0 terminator)");
            --index;
            const auto* p = table.data() + index * 4;
            std::uint32_t v = p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t(p[3]) << 24);
            if (v == 0) return;
            // Kernel addresses are in the top 2 GiB: sign-extend.
            out.push_back(static_cast<std::uint64_t>(
                static_cast<std::int64_t>(static_cast<std::int32_t>(v))));
        }
    };
    X86Relocations r;
    read_group(r.rel32, "32-bit");
    read_group(r.inverse32, "inverse 32-bit");
    read_group(r.rel64, "64-bit");
    if (index != 0)
        throw binary::ParseError(base + (index - 1) * 4,
                                 std::to_string(index) +
                                     " u32 entries precede the 64-bit group's terminator; the "
                                     "table should start there");
    return r;
}

}  // namespace drtm::image
