// The fields of the TXT heap tables, decoded for `drtm txt status` (SDG
// Appendix C; tboot's include/txt/heap.h has the same layouts). The walk that
// finds the tables and the log pointer is txt_heap.hpp; this file reads what
// each table says. Fields a table's version does not have stay nullopt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "binary/bytes.hpp"
#include "eventlog/txt_heap_info.hpp"

namespace drtm::eventlog {

struct BiosDataTable {
    std::uint32_t version = 0;
    std::uint32_t bios_sinit_size = 0;
    std::uint64_t lcp_pd_base = 0, lcp_pd_size = 0;
    std::uint32_t num_logical_processors = 0;
    std::optional<std::uint32_t> sinit_flags;  // version >= 3
    std::optional<std::uint32_t> mle_flags;    // version >= 3; bits named from 5 and 6
    std::vector<TxtHeapElement> elements;      // version >= 4
};

struct OsSinitDataTable {
    std::uint32_t version = 0;
    std::uint32_t flags = 0;
    std::uint64_t mle_page_table_base = 0, mle_size = 0, mle_header_base = 0;
    std::uint64_t pmr_low_base = 0, pmr_low_size = 0, pmr_high_base = 0, pmr_high_size = 0;
    std::uint64_t lcp_po_base = 0, lcp_po_size = 0;
    std::uint32_t capabilities = 0;
    std::optional<std::uint64_t> efi_rsdp;  // version >= 5
};

// A memory descriptor record SINIT hands the MLE.
struct SinitMdr {
    std::uint64_t base = 0, length = 0;
    std::uint8_t type = 0;
};

struct SinitMleDataTable {
    std::uint32_t version = 0;
    // Offsets 4–119 held TPM 1.2-era SHA-1 values; zero from version 9 on.
    binary::Bytes bios_acm_id, sinit_hash, mle_hash, stm_hash, lcp_policy_hash;
    std::uint32_t edx_senter_flags = 0;
    std::uint64_t mseg_valid = 0;
    std::uint32_t lcp_policy_control = 0;
    std::uint32_t rlp_wakeup_address = 0;
    std::uint32_t num_mdrs = 0, mdrs_offset = 0;
    std::uint32_t vtd_dmar_size = 0, vtd_dmar_offset = 0;
    std::optional<std::uint32_t> processor_scrtm_status;  // version >= 8
    std::vector<SinitMdr> mdrs;
    std::vector<TxtHeapElement> elements;  // version >= 9
};

struct TxtHeapTables {
    BiosDataTable bios_data;
    OsSinitDataTable os_sinit_data;
    std::optional<SinitMleDataTable> sinit_mle_data;  // absent before SINIT ran
    std::vector<std::string> notes;
};

// `input` is what `heap` was parsed from (parse_txt_heap). Malformed tables
// raise binary::ParseError at the offending byte.
TxtHeapTables decode_txt_heap_tables(binary::ByteView input, const TxtHeapInfo& heap);

// Names for codes the tables use.
std::string heap_element_name(std::uint32_t type);  // "EVENT_LOG_POINTER2_1", "type 99"
std::string mdr_type_name(std::uint8_t type);       // "GOOD", "SMRAM OVERLAY", …
// The OsSinitData capability bits that are set, by name.
std::vector<std::string> os_sinit_capability_names(std::uint32_t capabilities);

nlohmann::json to_json(const TxtHeapTables& t);

}  // namespace drtm::eventlog
