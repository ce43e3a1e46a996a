// A linked image's .symtab as the symbol table runtime inspection uses
// (the same shape kallsyms decodes to): for images that carry their own
// symbols, such as xen-syms.
#pragma once

#include "image/elf.hpp"
#include "image/kallsyms.hpp"

namespace drtm::image {

// Named symbols of allocated sections, typed as nm types them from their
// section: T/t executable, R/r read-only, D/d writable (lower case for
// local symbols). Section, file and undefined symbols are left out.
// Throws binary::ParseError when the image has no .symtab (stripped).
KernelSymbols elf_kernel_symbols(const ElfImage& elf);

}  // namespace drtm::image
