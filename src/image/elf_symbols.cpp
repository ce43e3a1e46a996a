#include "image/elf_symbols.hpp"

#include "binary/error.hpp"

namespace drtm::image {

namespace {

constexpr std::uint8_t kSttSection = 3;
constexpr std::uint8_t kSttFile = 4;
constexpr std::uint8_t kStbLocal = 0;
constexpr std::uint64_t kShfWrite = 0x1;

}  // namespace

KernelSymbols elf_kernel_symbols(const ElfImage& elf) {
    if (elf.symbols().empty())
        throw binary::ParseError(0, "the image has no symbol table (.symtab): it is stripped");
    const auto& sections = elf.sections();
    std::vector<KernelSymbol> out;
    out.reserve(elf.symbols().size());
    for (const auto& s : elf.symbols()) {
        if (s.name.empty() || s.type == kSttSection || s.type == kSttFile) continue;
        if (s.section_index == 0 || s.section_index >= sections.size()) continue;  // undefined, ABS
        const auto& in = sections[s.section_index];
        if (!(in.flags & kShfAlloc)) continue;
        char type = (in.flags & kShfExecinstr) ? 'T' : (in.flags & kShfWrite) ? 'D' : 'R';
        if (s.bind == kStbLocal) type = static_cast<char>(type - 'A' + 'a');
        out.push_back({s.value, type, s.name});
    }
    return KernelSymbols(std::move(out));
}

}  // namespace drtm::image
