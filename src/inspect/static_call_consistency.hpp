// Static calls agree with their trampolines. Linux's static_call_update()
// writes the key's trampoline (`jmp func`, or `ret` for a NULL function)
// and then every inline site of that key (`call func`, a nop for NULL, an
// inlined `xor %eax,%eax` for __static_call_return0; tail sites `jmp func`
// or `ret`) with the same function. Each site alone may hold a call to any
// function start (patch_site_forms.hpp), so a guest that aims one site of
// a key elsewhere, at an existing function, passes the form check; it does
// not pass this one. A site that still calls its trampoline (its golden
// form) agrees by construction.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"
#include "inspect/linux_patch_sites.hpp"

namespace drtm::inspect {

struct DisagreeingSite {
    PatchSite site;
    std::string reason;  // what the site does and what its trampoline does
};

// Among `sites` (those whose forms are allowed; PatchSite::target is the
// key of static-call sites and trampolines), the static-call sites whose
// found bytes do something other than their key's trampoline; `found`
// starts at `base`. Keys whose trampoline is not among `sites` are not
// judged.
std::vector<DisagreeingSite> static_calls_disagreeing(binary::ByteView found, std::uint64_t base,
                                                      std::span<const PatchSite> sites,
                                                      const image::KernelSymbols& symbols);

}  // namespace drtm::inspect
