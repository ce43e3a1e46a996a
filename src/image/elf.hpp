// ELF32/ELF64 little-endian images (the System V gABI): header, program and
// section headers, symbol tables and notes. Enough to use a kernel's or
// hypervisor's build output as the golden image of runtime inspection:
// vmlinux (from a bzImage), xen-syms, Xen's ELF32 loader image.
//
// The parsed image keeps a view of the bytes it was given: the caller keeps
// them alive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binary/bytes.hpp"

namespace drtm::image {

inline constexpr std::uint32_t kShtProgbits = 1;
inline constexpr std::uint32_t kShtSymtab = 2;
inline constexpr std::uint32_t kShtNote = 7;
inline constexpr std::uint32_t kShtNobits = 8;
inline constexpr std::uint64_t kShfAlloc = 0x2;
inline constexpr std::uint64_t kShfExecinstr = 0x4;
inline constexpr std::uint32_t kPtLoad = 1;
inline constexpr std::uint32_t kPtNote = 4;
inline constexpr std::uint32_t kNtGnuBuildId = 3;

struct ElfSection {
    std::string name;
    std::uint32_t type = 0;
    std::uint64_t flags = 0;
    std::uint64_t addr = 0;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint32_t link = 0;
    std::uint32_t info = 0;
    std::uint64_t addralign = 0;
    std::uint64_t entsize = 0;
    bool contains(std::uint64_t va) const { return va >= addr && va - addr < size; }
};

struct ElfSegment {
    std::uint32_t type = 0;
    std::uint32_t flags = 0;
    std::uint64_t offset = 0;
    std::uint64_t vaddr = 0;
    std::uint64_t paddr = 0;
    std::uint64_t filesz = 0;
    std::uint64_t memsz = 0;
    std::uint64_t align = 0;
};

struct ElfSymbol {
    std::string name;
    std::uint64_t value = 0;
    std::uint64_t size = 0;
    std::uint8_t type = 0;  // STT_*: 0 notype, 1 object, 2 func, 3 section
    std::uint8_t bind = 0;  // STB_*
    std::uint16_t section_index = 0;
};

struct ElfNote {
    std::string name;  // without the terminating NUL ("GNU", "Xen", "Linux")
    std::uint32_t type = 0;
    binary::Bytes desc;
};

class ElfImage {
  public:
    // Throws binary::ParseError naming the offset of the first bad field.
    static ElfImage parse(binary::ByteView file);

    bool is_64bit() const { return is_64bit_; }
    std::uint16_t type() const { return type_; }        // 2 = EXEC
    std::uint16_t machine() const { return machine_; }  // 3 = i386, 62 = x86-64
    std::uint64_t entry() const { return entry_; }
    const std::vector<ElfSection>& sections() const { return sections_; }
    const std::vector<ElfSegment>& segments() const { return segments_; }
    const std::vector<ElfSymbol>& symbols() const {
        return symbols_;
    }  // .symtab; empty if stripped
    const std::vector<ElfNote>& notes() const { return notes_; }
    // Where the file's last header table ends: e_shoff + e_shnum × e_shentsize
    // (or the end of the program headers / last section, if later).
    std::size_t end_of_image() const { return end_; }

    const ElfSection* section(std::string_view name) const;
    // The section's bytes in the file; empty for SHT_NOBITS.
    binary::ByteView contents(const ElfSection& s) const;
    // `n` bytes at virtual address `va`, from the allocated section holding
    // them; throws when they are not all in one section's file bytes.
    binary::ByteView bytes_at(std::uint64_t va, std::size_t n) const;
    // `n` bytes at `va` as the loader places them: from a PT_LOAD segment's
    // file bytes (gaps between sections included). Throws when they are not
    // all in one segment's file bytes.
    binary::ByteView load_bytes_at(std::uint64_t va, std::size_t n) const;
    const ElfSymbol* symbol(std::string_view name) const;
    std::optional<binary::Bytes> build_id() const;

  private:
    binary::ByteView file_;
    bool is_64bit_ = false;
    std::uint16_t type_ = 0;
    std::uint16_t machine_ = 0;
    std::uint64_t entry_ = 0;
    std::vector<ElfSection> sections_;
    std::vector<ElfSegment> segments_;
    std::vector<ElfSymbol> symbols_;
    std::vector<ElfNote> notes_;
    std::size_t end_ = 0;
};

bool looks_elf(binary::ByteView data);

}  // namespace drtm::image
