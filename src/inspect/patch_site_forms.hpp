// What a patch site may hold in a running kernel: only the forms the
// kernel's own patching code writes there (Linux 6.1: alternative.c,
// ftrace.c, static_call.c, jump_label.c, paravirt.c; Xen 4.17:
// alternative.c, whose sites are all alternatives). A site that differs
// from the golden image and holds anything else explains nothing: a hook
// placed in an ftrace, static-call or return-thunk site is reported like
// any other changed byte.
//
//   lock prefix        f0, or 3e (a uniprocessor kernel's DS prefix), the
//                      same at every site (hardening_consistency.hpp)
//   return thunk       golden; ret + int3 x4; jmp to a *return_thunk/*untrain_ret symbol
//   ftrace             golden; 5-byte nop; call ftrace_caller/ftrace_regs_caller
//   static call        golden; call→nop5, cs cs cs xor %eax,%eax (return0), or
//                      call to a function; jmp→ret+int3 x4
//                      or jmp to a function (trampolines: the jmp forms);
//                      and what its key's trampoline does
//                      (static_call_consistency.hpp, in validate_sites)
//   jump label         golden; the nop of its length; jmp (rel8/rel32) to its target;
//                      and what its key says (jump_label_consistency.hpp,
//                      in validate_sites)
//   retpoline          golden; the same call/jmp/Jcc to another thunk of the same
//                      register (ITS); [Jncc.d8 over it] [lfence] call/jmp *%reg
//                      (the thunk's register), an int3 after a jmp, nops
//   alternative        golden with its 0x90 runs re-encoded as long nops; or
//                      its replacement (call/jmp displacements re-based, a
//                      jmp possibly shortened), the rest a nop run
//   Xen endbr64 seal   nopw (%rcx) over the endbr64 of a function Xen's
//                      cf_clobber tables point to (CET-IBT hardware), at
//                      every such site or none (hardening_consistency.hpp)
//   Xen alternative    the original exactly, its padding any nop run; or the
//                      replacement, only a leading call/jmp re-based, the
//                      rest nops; an altcall (replacement `call .` for
//                      `call *p(%rip)`): a direct call to the pointer's value
//                      read from the guest (or past its endbr64), or ud2; ud0
//                      for a NULL pointer, then nops
//   Xen PV iret        golden; jmp xen_iret (only in a golden image for a Xen
//                      PV guest: xen_start_kernel writes it)
//   paravirt           golden; a direct call to a function, padded with nops;
//                      only nops (the operation is paravirt_nop). With its
//                      pv_ops slot read from the guest: a call to exactly
//                      what the slot holds, or only nops if that is
//                      _paravirt_nop
//
// "A function" is a text symbol of the golden image starting exactly at the
// target. Nop runs are sequences of the x86 nop encodings (1-11 bytes) or a
// short jmp over int3 padding.
#pragma once

#include <optional>
#include <unordered_map>

#include "binary/bytes.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "inspect/jump_label_consistency.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/static_call_consistency.hpp"

namespace drtm::inspect {

using PointerValues = std::unordered_map<std::uint64_t, std::uint64_t>;

class SiteFormChecker {
  public:
    SiteFormChecker(const image::ElfImage& golden, const image::KernelSymbols& symbols);

    // `golden` and `found` are the site's `site.length` bytes. `pointers`:
    // the function pointers Xen's altcall sites and Linux's paravirt sites
    // call through, as read from the guest (link address → value, at link
    // addresses); absent ones were not read.
    bool allowed(const PatchSite& site, binary::ByteView golden, binary::ByteView found,
                 const PointerValues* pointers = nullptr) const;
    const image::KernelSymbols& symbols() const { return symbols_; }
    // Why a paravirt site holding a call is refused when its pv_ops slot was
    // read ("this paravirt call goes to X, but its pv_ops slot holds Y");
    // empty for any other site.
    std::string paravirt_mismatch(const PatchSite& site, binary::ByteView found,
                                  const PointerValues* pointers) const;

    // A text symbol of the golden image starts at `address` (weak defined
    // ones too).
    bool is_function(std::uint64_t address) const;
    // ... and not in the init code the image frees after boot.
    bool is_function_after_boot(std::uint64_t address) const;

  private:
    bool symbol_named(std::uint64_t address, bool (*match)(std::string_view)) const;
    std::optional<binary::ByteView> replacement_of(const PatchSite& s, std::size_t site_size) const;
    bool alternative(const PatchSite& s, binary::ByteView golden, binary::ByteView found) const;
    bool retpoline(const PatchSite& s, binary::ByteView golden, binary::ByteView found) const;
    bool xen_alternative(const PatchSite& s, binary::ByteView golden, binary::ByteView found,
                         const PointerValues* pointers) const;
    bool xen_altcall(const PatchSite& s, std::uint8_t opcode, binary::ByteView golden,
                     binary::ByteView found, const PointerValues* pointers) const;

    const image::ElfImage& elf_;
    const image::KernelSymbols& symbols_;
    std::optional<std::uint64_t> paravirt_nop_;    // what a pv_ops slot of no operation holds
    std::uint64_t init_begin_ = 0, init_end_ = 0;  // __init_begin .. __init_end, if named
};

// The sites of `sites` within [base, base + size) of the code, split by
// whether their found bytes are golden or an allowed form (`allowed`) or not
// (`rejected`; a rejected site whose changed bytes allowed sites cover is
// dropped: other sites' forms explain them). Only allowed sites explain
// bytes. A static call in an allowed form that disagrees with its key's
// trampoline (static_call_consistency.hpp), or a jump label with its key
// (jump_label_consistency.hpp; `static_keys`: the counts read in the
// pause), or a lock prefix or endbr64 left unhardened among hardened ones
// (hardening_consistency.hpp), is
// rejected, with the reason.
struct SiteValidation {
    std::vector<PatchSite> allowed;
    std::vector<PatchSite> rejected;
    std::size_t changed = 0;  // sites whose bytes differ from the golden image
    // Why a rejected site is refused, when there is more to say than that
    // its form is not one the kernel writes (by site address).
    std::unordered_map<std::uint64_t, std::string> reasons;
};
SiteValidation validate_sites(binary::ByteView golden, binary::ByteView found, std::uint64_t base,
                              const std::vector<PatchSite>& sites, const SiteFormChecker& check,
                              const PointerValues* pointers = nullptr,
                              const StaticKeyCounts* static_keys = nullptr);

// The pointer a `call/jmp *disp32(%rip)` (ff 15 / ff 25) at `address`
// goes through; none for other code.
std::optional<std::uint64_t> indirect_call_pointer(std::uint64_t address, binary::ByteView code);

// True when `bytes` is a sequence of x86 nop instructions (or empty).
bool is_nop_run(binary::ByteView bytes);

}  // namespace drtm::inspect
