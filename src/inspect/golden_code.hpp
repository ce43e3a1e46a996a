// What every golden image of runtime inspection provides, Linux or Xen: the
// linked ELF whose .text and .rodata a running guest is compared with, its
// symbols (to name what differs), the patch sites its own tables list, the
// forms the running code may hold at them, and the part of .rodata the
// image writes at boot (ro_after_init), which is not compared byte for
// byte: only the tables in it that the image sorts at boot are, as sets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binary/bytes.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "inspect/boot_sorted_tables.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/lsm_hook_lists.hpp"
#include "inspect/patch_site_forms.hpp"

namespace drtm::inspect {

class GoldenCode {
  public:
    virtual ~GoldenCode() = default;
    GoldenCode(const GoldenCode&) = delete;
    GoldenCode& operator=(const GoldenCode&) = delete;

    const image::ElfImage& elf() const { return elf_; }
    const image::KernelSymbols& symbols() const { return *symbols_; }
    const std::vector<PatchSite>& sites() const { return sites_; }
    const SiteFormChecker& site_forms() const { return *site_forms_; }
    std::string build_id() const {
        auto id = elf_.build_id();
        return id ? binary::to_hex(*id) : "";
    }
    // Which rules the guest was held to ("xen", "linux native", "linux
    // xen-pv"): measured with the golden file, since the same file under
    // another platform's rules allows other forms.
    virtual std::string inspection_rules() const = 0;
    // [start, end) virtual addresses of the ro_after_init window.
    std::uint64_t ro_after_init_start() const { return ro_after_init_start_; }
    std::uint64_t ro_after_init_end() const { return ro_after_init_end_; }
    // Link addresses of the 64-bit fields the image's relocation table lists
    // (Linux's, to undo KASLR), sorted; empty for an image loaded where it
    // was linked (Xen).
    const std::vector<std::uint64_t>& relocated_words() const { return relocated_words_; }
    // Runtime [start, end) ranges where code is loaded after boot (Linux's
    // module area); no word of the window may point there.
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& loaded_later() const {
        return loaded_later_;
    }
    // Linux's LSM hook lists in that window (lsm_hook_lists.hpp); none for Xen.
    const std::optional<LsmHooks>& lsm_hooks() const { return lsm_hooks_; }
    // The tables in that window the image sorts at boot, compared as sets.
    const std::vector<BootSortedTable>& boot_sorted_tables() const { return boot_sorted_tables_; }
    // .text and .rodata; the constructor of a derived class checked both.
    const image::ElfSection& text() const { return *elf_.section(".text"); }
    const image::ElfSection& rodata() const { return *elf_.section(".rodata"); }
    // The code compared and measured as ".text", from text().addr: the
    // section (Linux, which frees the rest of its page), or through the end
    // of its last page, which the loader maps executable too (Xen).
    binary::ByteView text_bytes() const { return text_bytes_; }
    binary::ByteView rodata_bytes() const { return elf_.contents(rodata()); }

  protected:
    GoldenCode() = default;
    binary::Bytes elf_bytes_;  // elf_ views these bytes
    image::ElfImage elf_;
    std::unique_ptr<image::KernelSymbols> symbols_;
    std::vector<PatchSite> sites_;
    std::unique_ptr<SiteFormChecker> site_forms_;
    std::uint64_t ro_after_init_start_ = 0;
    std::uint64_t ro_after_init_end_ = 0;
    std::vector<BootSortedTable> boot_sorted_tables_;
    std::vector<std::uint64_t> relocated_words_;
    std::optional<LsmHooks> lsm_hooks_;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> loaded_later_;
    binary::ByteView text_bytes_;

    // For derived constructors: .text and .rodata present, with their
    // bytes in the file (a crafted image may say otherwise).
    void require_code_sections(const char* what);
};

}  // namespace drtm::inspect
