// The code pointers of the ro_after_init window. The image writes that
// window at boot (ops tables filled in for the platform it found, keys
// enabled, ...), so it cannot be compared byte for byte; but the code it
// can point to is known. Every word there that points into .text must
// point to a function start (a text symbol of the golden image); a word
// the golden image initialises with a code pointer must still hold one (or
// be cleared); and no word may point where code is loaded after boot
// (Linux's module area, where BPF programs are JITed too): nothing there
// existed when the window was sealed. A pointer aimed into the middle of a
// function (a gadget), a code pointer aimed out of the image, or any word
// aimed at module code breaks one of those; a table re-pointed at another
// function of the image passes, as the boot does exactly that. A slot the
// image leaves empty and a hook later aims at other memory (the heap, the
// vmalloc area) is not caught: such words cannot be told from data.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::inspect {

struct CodePointerRules {
    std::uint64_t text_start = 0, text_end = 0;  // link addresses of .text
    // A text symbol of the golden image starts here (link address).
    std::function<bool(std::uint64_t)> is_function;
    std::function<std::string(std::uint64_t)> symbolize;
    // Runtime minus link address (KASLR). Words at `relocated` sites were
    // put back at link addresses already (undo_relocations); any other word
    // holds a runtime address.
    std::int64_t virtual_delta = 0;
    std::span<const std::uint64_t> relocated;  // sorted link addresses of 64-bit fields
    // [start, end) ranges checked by other means (tables sorted at boot).
    std::vector<std::pair<std::uint64_t, std::uint64_t>> skip;
    // [start, end) runtime ranges where code is loaded after boot.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> loaded_later;
};

struct CodePointerProblem {
    std::uint64_t address = 0;            // of the word (link address)
    std::uint64_t golden = 0, found = 0;  // found: at its link address when in the image
    std::string what;
};

struct CodePointerCheck {
    std::size_t words = 0;          // words looked at
    std::size_t code_pointers = 0;  // of them, holding or initialised with a code pointer
    std::size_t set_at_boot = 0;    // of those, differing from the golden image but allowed
    std::vector<CodePointerProblem> problems;  // in address order
};

// `golden` and `found` are the window's bytes, both at link address `base`.
CodePointerCheck check_code_pointers(binary::ByteView golden, binary::ByteView found,
                                     std::uint64_t base, const CodePointerRules& rules);

}  // namespace drtm::inspect
