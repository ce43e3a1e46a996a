// The DRTM log buffers a launch emulator must lay out byte for byte, as the
// real DCEs do (formats.md §3.6, §4.1, §4.2). Each function returns the
// freshly initialised, zero-filled allocation; events are added with
// LogAppender, which also advances NextRecordOffset / next_event_offset.
#pragma once

#include <cstdint>

#include "binary/bytes.hpp"
#include "eventlog/spec_id.hpp"
#include "eventlog/txt_structures.hpp"

namespace drtm::eventlog {

// GRUB_SLAUNCH_TPM_EVT_LOG_SIZE: 8 × 4 KiB.
inline constexpr std::uint32_t grub_event_log_size = 0x8000;

// Where the first event of an SKL TPM 2.0 log goes (and NextRecordOffset's
// initial value): 32-byte header record + 57-byte Spec ID event.
inline constexpr std::uint32_t skl_tpm20_first_event = 0x59;
// Where the first TCG_PCR_EVENT of an SKL TPM 1.2 log goes.
inline constexpr std::uint32_t skl_tpm12_first_event = 0x69;
// Offset of the TXT Event Container inside an SKL TPM 1.2 log.
inline constexpr std::uint32_t skl_tpm12_container_offset = 0x39;

// SKL's Spec ID Event03: uintnSize 2, SHA-1 + SHA-256, vendorInfo = type-8
// pointer body {log_base, log_size, 0, next_record_offset}.
SpecIdEvent skl_tpm20_spec_id(std::uint64_t log_base, std::uint32_t log_size,
                              std::uint32_t next_record_offset = skl_tpm20_first_event);

// AMD SKL TPM 2.0 log (§4.1). log_base is the physical address SKL records.
binary::Bytes make_skl_tpm20_log(std::uint64_t log_base, std::uint32_t log_size);

// AMD SKL TPM 1.2 log (§4.2): Spec ID Event00 whose vendorInfo is a TXT
// Event Container header with container_size = log_size.
binary::Bytes make_skl_tpm12_log(std::uint32_t log_size);

// The header SINIT writes in the area the type-8 element names (as seen in
// real-logs/intel-secl/txt-logs.bin): uintnSize 1, SHA-1 + SHA-256, no vendorInfo.
SpecIdEvent txt_sinit_spec_id();

// The Intel TXT TCG log area, zero-filled to log_size. Its NextRecordOffset
// lives in the heap's type-8 element, not in the log.
binary::Bytes make_txt_sinit_log(std::uint32_t log_size = grub_event_log_size);

}  // namespace drtm::eventlog
