#include "image/xen.hpp"

namespace drtm::image {

XenImage load_xen(binary::ByteView file, std::size_t max_size) {
    XenImage x;
    x.file_size = file.size();
    x.was_gzip = looks_gzip(file);
    x.image = x.was_gzip ? gunzip(file, max_size) : binary::Bytes(file.begin(), file.end());
    x.is_elf = x.image.size() >= 4 && x.image[0] == 0x7F && x.image[1] == 'E' &&
               x.image[2] == 'L' && x.image[3] == 'F';
    x.multiboot2 = parse_multiboot2_header(x.image);
    // GRUB scans the first 4 KiB of the *loaded* image; in the ELF file the
    // text starts after the headers, so look through the multiboot2 search area.
    x.mle_header = scan_for_mle_header(x.image, kMultiboot2Search);
    return x;
}

}  // namespace drtm::image
