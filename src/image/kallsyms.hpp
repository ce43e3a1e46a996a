// The kernel's own symbol table (kallsyms), decoded from a golden vmlinux's
// .rodata, so runtime inspection can name addresses and find the patch-site
// tables without the debug package's System.map.
//
// Layout (scripts/kallsyms.c, Linux 6.1 with KALLSYMS_BASE_RELATIVE), each
// table 8-byte aligned, in this order:
//
//   kallsyms_offsets        s32 × N
//   kallsyms_relative_base  u64
//   kallsyms_num_syms       u32 N
//   kallsyms_names          per symbol: length (1 byte, or 2 when the first
//                           has bit 7 set: low 7 bits + second byte << 7),
//                           then that many token indices; the expansion's
//                           first character is the symbol type
//   kallsyms_markers        u32 × ceil(N/256): offset of every 256th name
//   (kallsyms_seqs_of_names 3 × N bytes, in newer and backporting kernels)
//   kallsyms_token_table    256 NUL-terminated tokens
//   kallsyms_token_index    u16 × 256: each token's offset in the table
//
// The decoder assumes no fixed distance between the groups: it finds the
// token table by its index, then num_syms by decoding the names and
// requiring every marker to match. Addresses: with KALLSYMS_ABSOLUTE_PERCPU
// (x86-64) an offset >= 0 is an absolute per-CPU value and a negative one
// means relative_base - 1 - offset; otherwise relative_base + offset.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::image {

class ElfImage;

struct KernelSymbol {
    std::uint64_t address = 0;
    char type = '?';  // as /proc/kallsyms shows it: T text, D data, R rodata, ...
    std::string name;
};

class KernelSymbols {
  public:
    explicit KernelSymbols(std::vector<KernelSymbol> symbols);

    // Sorted by address (then name).
    const std::vector<KernelSymbol>& all() const { return symbols_; }
    std::size_t size() const { return symbols_.size(); }
    // The first symbol of that name (static functions may repeat).
    std::optional<std::uint64_t> address(std::string_view name) const;
    std::uint64_t require(std::string_view name) const;  // throws when absent
    // The symbols that start exactly at `address` (aliases share one).
    std::span<const KernelSymbol> at(std::uint64_t address) const;
    // The nearest symbol at or below `address` (of aliases, the last by name).
    const KernelSymbol* containing(std::uint64_t address) const;
    // Where the first symbol above `address` starts.
    std::optional<std::uint64_t> next_after(std::uint64_t address) const;
    // "name+0xoff" for the nearest symbol at or below `address`.
    std::string symbolize(std::uint64_t address) const;

  private:
    std::vector<KernelSymbol> symbols_;
    std::unordered_map<std::string, std::uint64_t> by_name_;
};

struct KallsymsLayout {
    std::uint64_t offsets = 0;  // virtual addresses of the tables
    std::uint64_t relative_base_at = 0;
    std::uint64_t num_syms_at = 0;
    std::uint64_t names = 0;
    std::uint64_t markers = 0;
    std::uint64_t token_table = 0;
    std::uint64_t token_index = 0;
    std::uint64_t relative_base = 0;
    std::uint32_t count = 0;
    bool absolute_percpu = false;
};

// Finds and decodes kallsyms in `elf`'s .rodata. Throws binary::ParseError
// (offset into the ELF) when no consistent table is found.
KernelSymbols decode_kallsyms(const ElfImage& elf, KallsymsLayout* layout = nullptr);

}  // namespace drtm::image
