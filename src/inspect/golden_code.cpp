#include "inspect/golden_code.hpp"

#include "binary/error.hpp"

namespace drtm::inspect {

void GoldenCode::require_code_sections(const char* what) {
    for (const char* name : {".text", ".rodata"}) {
        const auto* s = elf_.section(name);
        if (!s) throw binary::ParseError(0, std::string(what) + " has no " + name + " section");
        if (elf_.contents(*s).size() != s->size)
            throw binary::ParseError(
                s->offset, std::string(what) + "'s " + name + " has no bytes in the file");
    }
    text_bytes_ = elf_.contents(text());
}

}  // namespace drtm::inspect
