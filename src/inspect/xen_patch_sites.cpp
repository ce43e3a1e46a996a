#include "inspect/xen_patch_sites.hpp"

#include <algorithm>
#include <map>
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
    auto starts_with_endbr64 = [&](std::uint64_t va) {
        if (!text->contains(va) || va + 4 > text->addr + text->size) return false;
        const auto code = elf.bytes_at(va, 4);
        return std::equal(code.begin(), code.end(), std::begin(kEndbr64));
    };
    std::map<std::uint64_t, std::uint64_t> named_by_table;  // function → a pointer to it
    if (clobber_start && clobber_end && *clobber_end > *clobber_start) {
        const auto pointers =
            elf.bytes_at(*clobber_start, static_cast<std::size_t>(*clobber_end - *clobber_start));
        for (std::size_t i = 0; i + 8 <= pointers.size(); i += 8) {
            const auto target = binary::load_le<std::uint64_t>(pointers.data() + i);
            if (starts_with_endbr64(target)) named_by_table.emplace(target, *clobber_start + i);
        }
    }
    // The tables' contents at sealing time are not the image's: Xen fills
    // some entries in for the CPU it finds (start_vmx, ...). So the seal is
    // allowed at every function in .text that starts with endbr64; those
    // the image's tables name must be sealed all alike.
    std::set<std::uint64_t> functions;
    for (const auto& s : symbols.all())
        if ((s.type == 'T' || s.type == 't') && starts_with_endbr64(s.address))
            functions.insert(s.address);
    for (const auto& [at, pointer] : named_by_table) functions.insert(at);
    for (auto at : functions) {
        const auto named = named_by_table.find(at);
        sites.push_back(
            {at, 4, PatchKind::xen_endbr_seal, named == named_by_table.end() ? 0 : named->second});
    }
    return sites;
}

}  // namespace drtm::inspect
