// Compares a copy of a guest's code with its golden image: every differing
// byte must lie in a patch site the golden image's tables name; the others
// are reported as regions (address, symbol, expected and found bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "binary/bytes.hpp"
#include "inspect/linux_patch_sites.hpp"

namespace drtm::inspect {

struct DifferingRegion {
    std::uint64_t address = 0;
    std::string symbol;  // "name+0xoff"
    binary::Bytes expected;
    binary::Bytes found;
    std::string note;  // e.g. the patch site whose contents are not an allowed form
};

struct CodeComparison {
    std::uint64_t bytes_compared = 0;
    std::uint64_t bytes_differing = 0;    // raw, before sites explain them
    std::uint64_t bytes_unexplained = 0;  // outside every patch site
    std::uint64_t pages = 0;
    std::uint64_t pages_identical_raw = 0;
    std::vector<DifferingRegion> unexplained;  // at most max_regions, in address order
    bool intact() const { return bytes_unexplained == 0; }
};

// `golden` and `found` both start at virtual address `base`.
CodeComparison compare_code(binary::ByteView golden, binary::ByteView found, std::uint64_t base,
                            const std::vector<PatchSite>& sites,
                            const std::function<std::string(std::uint64_t)>& symbolize,
                            std::size_t max_regions = 64);

// Notes on each region that starts inside one of `rejected` (sites whose
// contents are not a form the kernel writes) which site kind it is, and
// the reason given for that site's address in `reasons`, if any.
void note_rejected_sites(CodeComparison& comparison, std::vector<PatchSite> rejected,
                         const std::unordered_map<std::uint64_t, std::string>& reasons = {});

// A site can be refused while no byte of it is reported: it holds its
// golden bytes (a jump label in the image's default form against its key's
// count), or another site allowed over it explains its changed bytes. This
// adds a region (found bytes, no expected ones) and counts its bytes
// unexplained, for every site of `rejected` no region overlaps. Call it
// before note_rejected_sites, which says why.
void report_unseen_refused_sites(CodeComparison& comparison, binary::ByteView golden,
                                 binary::ByteView found, std::uint64_t base,
                                 const std::vector<PatchSite>& rejected,
                                 const std::function<std::string(std::uint64_t)>& symbolize,
                                 std::size_t max_regions = 64);

// The guest ran between two pauses of one inspection (the kernel held a
// lock it rewrites its code under, or ran on no page tables the inspector
// could check), and only the last pause's copy is held to the golden
// image. In between, the kernel may rewrite patch sites and nothing else:
// `earlier` must equal `later` outside `sites` (.rodata: no sites, its
// ro_after_init window being read-only after boot too). Each region where
// it does not is added to `comparison` as unexplained (expected: the later
// pause's bytes, found: the earlier's, `note` on it) and its bytes counted,
// so a guest that changes its code back once an inspection began is found.
void report_changes_between_pauses(CodeComparison& comparison, binary::ByteView later,
                                   binary::ByteView earlier, std::uint64_t base,
                                   const std::vector<PatchSite>& sites,
                                   const std::function<std::string(std::uint64_t)>& symbolize,
                                   const std::string& note, std::size_t max_regions = 64);

// Puts every patch site's golden bytes back into `found` (which starts at
// `base`): the result equals the golden code when only sites differed, and
// keeps every other byte as found. Its digest is what an inspection extends,
// so a verifier predicts it from the golden image alone. Pass only the
// sites whose found contents are an allowed form (validate_sites).
void restore_patch_sites(binary::ByteView golden, std::span<std::uint8_t> found, std::uint64_t base,
                         const std::vector<PatchSite>& sites);

}  // namespace drtm::inspect
