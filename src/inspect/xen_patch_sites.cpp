#include "inspect/xen_patch_sites.hpp"

#include <algorithm>
#include <set>

#include "binary/error.hpp"
#include "binary/reader.hpp"
#include "inspect/hardening_consistency.hpp"

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
    // On CET-IBT hardware Xen then seals the endbr64 of every function its
    // cf_clobber tables (init data, read as one array of pointers) point
    // to in .text (alternative.c, _apply_alternatives).
    const auto clobber_start = symbols.address("__initdata_cf_clobber_start");
    const auto clobber_end = symbols.address("__initdata_cf_clobber_end");
    if (clobber_start && clobber_end && *clobber_end > *clobber_start) {
        const auto pointers =
            elf.bytes_at(*clobber_start, static_cast<std::size_t>(*clobber_end - *clobber_start));
        std::set<std::uint64_t> sealable;
        for (std::size_t i = 0; i + 8 <= pointers.size(); i += 8) {
            const auto target = binary::load_le<std::uint64_t>(pointers.data() + i);
            if (!text->contains(target) || target + 4 > text->addr + text->size) continue;
            const auto code = elf.bytes_at(target, 4);
            if (std::equal(code.begin(), code.end(), std::begin(kEndbr64))) sealable.insert(target);
        }
        for (auto at : sealable) sites.push_back({at, 4, PatchKind::xen_endbr_seal, 0});
    }
    return sites;
}

}  // namespace drtm::inspect
