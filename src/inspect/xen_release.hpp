// Which Xen release a golden xen-syms is, read from its own code: Xen's
// version hypercall answers from three functions (common/version.c) that
// return constants, xen_major_version and xen_minor_version an immediate
// (`mov $imm32, %eax`), xen_extra_version a string in .rodata (`lea
// rel32(%rip), %rax`; ".7", "-pre", ".3-pre"). What an inspection holds
// by release (the IDT gates Xen sets by hand) is chosen from it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "binary/bytes.hpp"
#include "image/kallsyms.hpp"

namespace drtm::inspect {

struct XenRelease {
    unsigned major = 0, minor = 0;
    std::string extra;  // XEN_EXTRAVERSION: ".7", "-pre", ".3-pre", "-rc"
    // The stable release's third number (".7" → 7); none for a
    // development or release-candidate build ("-pre", "-rc") or one
    // between two stable releases ("4.17.3-pre").
    std::optional<unsigned> patch() const;
    std::string text() const { return std::to_string(major) + "." + std::to_string(minor) + extra; }
};

// `bytes_at(va, n)` gives the golden image's bytes at a link address
// (throwing when it holds none there). Throws std::runtime_error saying
// which function is missing or not in the form above.
XenRelease xen_release(const image::KernelSymbols& symbols,
                       const std::function<binary::ByteView(std::uint64_t, std::size_t)>& bytes_at);

}  // namespace drtm::inspect
