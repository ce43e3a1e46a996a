#include "inspect/xen_patch_sites.hpp"

#include "binary/error.hpp"
#include "binary/reader.hpp"

namespace drtm::inspect {

std::vector<PatchSite> xen_patch_sites(const image::ElfImage& elf,
                                       const image::KernelSymbols& symbols) {
    const auto start = symbols.address("__alt_instructions");
    const auto stop = symbols.address("__alt_instructions_end");
    if (!start || !stop)
        throw binary::ParseError(0, "the Xen image has no __alt_instructions table symbols");
    if (*stop < *start || (*stop - *start) % kXenAltInstrSize != 0)
        throw binary::ParseError(0, "the Xen alternatives table is " +
                                        std::to_string(*stop - *start) +
                                        " bytes, not a multiple of 14");
    const auto* text = elf.section(".text");
    if (!text) throw binary::ParseError(0, "the Xen image has no .text section");
    const auto table = elf.bytes_at(*start, static_cast<std::size_t>(*stop - *start));

    std::vector<PatchSite> sites;
    for (binary::Reader r(table); r.remaining() >= kXenAltInstrSize;) {
        const std::uint64_t at = *start + r.position();
        const auto orig = static_cast<std::int32_t>(r.u32le());
        const auto repl = static_cast<std::int32_t>(r.u32le());
        const auto feature = r.u16le();
        const auto orig_len = r.u8();
        const auto repl_len = r.u8();
        const auto pad_len = r.u8();
        r.u8();  // priv
        const auto length = static_cast<std::uint16_t>(orig_len + pad_len);
        const std::uint64_t address = at + static_cast<std::uint64_t>(std::int64_t(orig));
        // Sites in .init.text are freed with it; only .text is compared.
        if (length == 0 || !text->contains(address) || address + length > text->addr + text->size)
            continue;
        sites.push_back({address, length, PatchKind::xen_alternative,
                         at + 4 + static_cast<std::uint64_t>(std::int64_t(repl)), repl_len, pad_len,
                         feature});
    }
    return sites;
}

}  // namespace drtm::inspect
