// A Xen hypervisor image as shipped (Debian's xen-4.17-amd64.gz: a gzipped
// ELF with a Multiboot2 header in its first 32 KiB). AEM's TrenchBoot Xen also
// carries an Intel MLE header, which GRUB finds by scanning the first 4 KiB.
#pragma once

#include <cstddef>
#include <optional>

#include "binary/bytes.hpp"
#include "image/gzip.hpp"
#include "image/mle_header.hpp"
#include "image/multiboot2_header.hpp"

namespace drtm::image {

struct XenImage {
    binary::Bytes image;  // decompressed
    bool was_gzip = false;
    std::size_t file_size = 0;  // as given, compressed or not
    bool is_elf = false;        // starts with 7F 'E' 'L' 'F'
    Multiboot2Header multiboot2;
    std::optional<MleHeader> mle_header;
};

// Decompresses when the file is gzip (up to `max_size` bytes), then requires a
// valid Multiboot2 header. Throws binary::ParseError (offsets are into the
// compressed file for gzip errors, into the decompressed image otherwise).
XenImage load_xen(binary::ByteView file, std::size_t max_size = kDefaultGunzipCap);

}  // namespace drtm::image
