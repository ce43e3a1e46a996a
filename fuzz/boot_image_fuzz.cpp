// Boot images and their headers as the DCE, the DLME stages and `drtm image
// show` read them: bzImage (setup header, payload, vmlinux, relocations),
// Xen (gzip, Multiboot2 header), the MBI, MLE headers, SKL SLBs, SINIT ACMs,
// ELF files and the kallsyms table inside them. The first byte picks one.
#include "fuzz_target.hpp"
#include "image/acm.hpp"
#include "image/bzimage.hpp"
#include "image/elf.hpp"
#include "image/gzip.hpp"
#include "image/kallsyms.hpp"
#include "image/mbi.hpp"
#include "image/mle_header.hpp"
#include "image/multiboot2_header.hpp"
#include "image/slb.hpp"
#include "image/vmlinux.hpp"
#include "image/x86_relocs.hpp"
#include "image/xen.hpp"
#include "image/xz.hpp"

using namespace drtm;

namespace {
// Small output caps keep decompression bombs from turning into timeouts.
constexpr std::size_t kCap = 1u << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto b = fuzz::view(data + 1, size - 1);
    fuzz::rejecting_is_fine([&] {
        switch (data[0] % 11) {
            case 0: {
                auto img = image::parse_bzimage(b);
                (void)image::bzimage_payload(b, img);
                break;
            }
            case 1:
                (void)image::extract_vmlinux(b);
                break;
            case 2:
                (void)image::load_xen(b, kCap);
                break;
            case 3:
                (void)image::parse_multiboot2_header(b);
                break;
            case 4:
                (void)image::parse_mbi(b);
                break;
            case 5:
                (void)image::scan_for_mle_header(b);
                break;
            case 6:
                (void)image::parse_slb(b, image::SlbLayout::compact);
                (void)image::parse_slb(b, image::SlbLayout::amd_header);
                break;
            case 7: {
                auto acm = image::parse_acm(b, false);
                (void)image::sinit_hashed_bytes(b, acm);
                break;
            }
            case 8: {
                auto elf = image::ElfImage::parse(b);
                (void)elf.build_id();
                fuzz::rejecting_is_fine([&] { (void)image::decode_kallsyms(elf); });
                break;
            }
            case 9:
                (void)image::parse_x86_relocations(b);
                break;
            default:
                fuzz::rejecting_is_fine([&] { (void)image::gunzip(b, kCap); });
                (void)image::unxz(b, kCap);
                break;
        }
    });
    return 0;
}
