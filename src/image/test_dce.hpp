// Synthetic DCE images for tests and the `make run` demo. Neither is a real
// DCE: the SKL stub only halts, and the SINIT has no key and no signature,
// carries the debug-signed and pre-production flags, and says so in ASCII.
// Both pass parse_slb() / parse_acm(), so the emulated platform can measure
// them exactly as it would measure real ones.
#pragma once

#include <cstddef>
#include <cstdint>

#include "binary/bytes.hpp"
#include "image/slb.hpp"

namespace drtm::image {

struct TestSklOptions {
    SlbLayout layout = SlbLayout::amd_header;  // newer SKL and GRUB slaunch/skl.c
    std::uint16_t measured_length = 0x1000;
    std::uint16_t bootloader_data_offset = 0x1000;  // GRUB puts the 4 KiB SLRT here
    std::size_t file_size = 0x2000;                 // <= 60 KiB
    std::uint32_t skl_version = kSklVersion;
};

// Header, skl_info (UUID, version, msb_key_algo 0x14, zero key hash), an ASCII
// marker, and at the entry point a `hlt; jmp $-1` loop (F4 EB FD). The rest
// of the measured part and the unmeasured tail are zero. Throws BuildError for
// options GRUB would reject.
binary::Bytes make_test_skl(const TestSklOptions& options = {});
// Offset of the entry point in make_test_skl() output.
inline constexpr std::uint16_t kTestSklEntry = 0x100;

struct TestSinitOptions {
    std::uint32_t header_version = 0x00030000;  // 3.0: RSA-3072 layout
    std::size_t size = 0x2000;                  // multiple of 64
    std::uint16_t chipset_id = 0;
    std::uint32_t date = 0x20250101;
    std::uint16_t txt_svn = 0;
    std::uint16_t se_svn = 0;
    std::uint32_t capabilities = 0x00000237;  // GETSEC/MONITOR wake, ECX ptab, D/A PCRs, TCG log
};

// A header of version 0.0 or 3.0 with key and signature areas zero, module
// flags debug-signed | pre-production, a version-5 info table marking a SINIT
// (os_sinit_data_ver 7), a one-entry chipset ID list, an ASCII marker, and a
// `hlt; jmp $-1` stub at the entry point. Throws BuildError for other versions
// or a size that cannot hold it.
binary::Bytes make_test_sinit(const TestSinitOptions& options = {});
inline constexpr std::uint32_t kTestSinitEntry = 0x1000;

}  // namespace drtm::image
