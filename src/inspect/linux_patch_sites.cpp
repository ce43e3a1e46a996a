#include "inspect/linux_patch_sites.hpp"

#include "binary/error.hpp"
#include "binary/reader.hpp"

namespace drtm::inspect {

const char* patch_kind_name(PatchKind kind) {
    switch (kind) {
        case PatchKind::alternative:
            return "alternative";
        case PatchKind::paravirt:
            return "paravirt";
        case PatchKind::retpoline:
            return "retpoline";
        case PatchKind::return_thunk:
            return "return thunk";
        case PatchKind::lock_prefix:
            return "lock prefix";
        case PatchKind::xen_endbr_seal:
            return "sealable endbr64";
        case PatchKind::jump_label:
            return "jump label";
        case PatchKind::static_call:
            return "static call";
        case PatchKind::ftrace:
            return "ftrace";
        case PatchKind::static_call_trampoline:
            return "static-call trampoline";
        case PatchKind::xen_alternative:
            return "alternative";
        case PatchKind::xen_pv_iret:
            return "Xen PV iret";
    }
    return "patch site";
}

namespace {

struct Table {
    std::uint64_t start = 0;
    binary::ByteView bytes;
};

Table section_table(const image::ElfImage& elf, const char* name) {
    const auto* s = elf.section(name);
    if (!s)
        throw binary::ParseError(0, std::string("the kernel image has no ") + name + " section");
    return {s->addr, elf.contents(*s)};
}

Table symbol_table(const image::ElfImage& elf, const image::KernelSymbols& symbols,
                   const char* start, const char* stop) {
    const auto a = symbols.require(start), b = symbols.require(stop);
    if (b < a) throw binary::ParseError(0, std::string(stop) + " lies before " + start);
    return {a, elf.bytes_at(a, static_cast<std::size_t>(b - a))};
}

std::int32_t s32(binary::Reader& r) {
    return static_cast<std::int32_t>(r.u32le());
}

// Self-relative s32 entries: site = address of the entry + its value.
void self_relative(const Table& t, std::uint16_t length, PatchKind kind,
                   std::vector<PatchSite>& out) {
    binary::Reader r(t.bytes);
    while (r.remaining() >= 4) {
        const std::uint64_t at = t.start + r.position();
        out.push_back(
            {at + static_cast<std::uint64_t>(static_cast<std::int64_t>(s32(r))), length, kind});
    }
}

}  // namespace

std::vector<PatchSite> linux_patch_sites(const image::ElfImage& elf,
                                         const image::KernelSymbols& symbols) {
    std::vector<PatchSite> sites;

    auto alt = section_table(elf, ".altinstructions");
    for (binary::Reader r(alt.bytes); r.remaining() >= 12;) {
        const std::uint64_t at = alt.start + r.position();
        const auto instr = s32(r);
        const auto repl = s32(r);
        r.u16le();  // cpuid
        const auto len = r.u8();
        const auto repl_len = r.u8();
        if (len)
            sites.push_back({at + static_cast<std::uint64_t>(std::int64_t(instr)), len,
                             PatchKind::alternative,
                             at + 4 + static_cast<std::uint64_t>(std::int64_t(repl)), repl_len});
    }

    // A paravirt site's type is the index of its pv_ops slot, a pointer.
    const auto pv_ops = symbols.address("pv_ops");
    auto pv = section_table(elf, ".parainstructions");
    for (binary::Reader r(pv.bytes); r.remaining() >= 16;) {
        const auto instr = r.u64le();
        const auto type = r.u8();
        const auto len = r.u8();
        r.skip(6);
        if (len)
            sites.push_back({instr, len, PatchKind::paravirt, pv_ops ? *pv_ops + 8ull * type : 0});
    }

    // A retpoline site is a call/jmp rel32 (5 bytes) or a Jcc rel32 (6).
    std::vector<PatchSite> retpolines;
    self_relative(section_table(elf, ".retpoline_sites"), 6, PatchKind::retpoline, retpolines);
    for (auto& site : retpolines) {
        auto op = elf.bytes_at(site.address, 1);
        if (op[0] == 0xE8 || op[0] == 0xE9) site.length = 5;
        sites.push_back(site);
    }
    self_relative(section_table(elf, ".return_sites"), 5, PatchKind::return_thunk, sites);
    self_relative(section_table(elf, ".smp_locks"), 1, PatchKind::lock_prefix, sites);

    auto jumps = symbol_table(elf, symbols, "__start___jump_table", "__stop___jump_table");
    for (binary::Reader r(jumps.bytes); r.remaining() >= 16;) {
        const std::uint64_t at = jumps.start + r.position();
        const auto code = at + static_cast<std::uint64_t>(std::int64_t(s32(r)));
        const auto target = at + 4 + static_cast<std::uint64_t>(std::int64_t(s32(r)));
        // The key, self-relative, its low two bits flags (branch, init).
        const auto key = at + 8 + r.u64le();
        // A short jump or 2-byte nop in the golden code stays 2 bytes.
        auto op = elf.bytes_at(code, 2);
        const bool short_form = op[0] == 0xEB || (op[0] == 0x66 && op[1] == 0x90);
        PatchSite site{code, static_cast<std::uint16_t>(short_form ? 2 : 5), PatchKind::jump_label,
                       target};
        site.key = key & ~std::uint64_t(3);
        site.branch = (key & 1) != 0;
        sites.push_back(site);
    }

    auto calls =
        symbol_table(elf, symbols, "__start_static_call_sites", "__stop_static_call_sites");
    for (binary::Reader r(calls.bytes); r.remaining() >= 8;) {
        const std::uint64_t at = calls.start + r.position();
        const auto site = at + static_cast<std::uint64_t>(std::int64_t(s32(r)));
        // The key is self-relative too; its low two bits are flags (tail
        // call, init section).
        const auto key = (at + 4 + static_cast<std::uint64_t>(std::int64_t(s32(r)))) & ~3ull;
        sites.push_back({site, 5, PatchKind::static_call, key});
    }

    auto mcount = symbol_table(elf, symbols, "__start_mcount_loc", "__stop_mcount_loc");
    for (binary::Reader r(mcount.bytes); r.remaining() >= 8;)
        if (auto va = r.u64le()) sites.push_back({va, 5, PatchKind::ftrace});

    // A trampoline's key is the __SCK__ symbol of the same name.
    for (const auto& s : symbols.all())
        if (s.name.rfind("__SCT__", 0) == 0 && (s.type == 'T' || s.type == 't'))
            sites.push_back({s.address, 5, PatchKind::static_call_trampoline,
                             symbols.address("__SCK__" + s.name.substr(7)).value_or(0)});

    // Only .text is compared; sites elsewhere (init code) are dropped.
    const auto* text = elf.section(".text");
    if (!text) throw binary::ParseError(0, "the kernel image has no .text section");
    std::vector<PatchSite> in_text;
    in_text.reserve(sites.size());
    for (const auto& s : sites)
        if (text->contains(s.address)) in_text.push_back(s);
    return in_text;
}

}  // namespace drtm::inspect
