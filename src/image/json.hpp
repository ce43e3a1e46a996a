// JSON descriptions of parsed images for `drtm image show --json`. Addresses,
// offsets and sizes are hex strings; digests are lower-case hex.
#pragma once

#include <nlohmann/json.hpp>

#include "binary/bytes.hpp"
#include "image/acm.hpp"
#include "image/bzimage.hpp"
#include "image/elf.hpp"
#include "image/mbi.hpp"
#include "image/multiboot2_header.hpp"
#include "image/slb.hpp"
#include "image/vmlinux.hpp"
#include "image/xen.hpp"

namespace drtm::image {

nlohmann::json to_json(const MleHeader& header);
nlohmann::json to_json(const BzImage& image);
nlohmann::json to_json(const Multiboot2Header& header);
nlohmann::json to_json(const XenImage& image);
nlohmann::json to_json(const Mbi& mbi);
nlohmann::json to_json(const Slb& slb);
nlohmann::json to_json(const Acm& acm);
// Header, sections, segments and notes; symbols are counted, not listed.
nlohmann::json to_json(const ElfImage& elf);
// The kernel ELF inside a bzImage and its relocation table, summarised.
nlohmann::json describe_vmlinux(const VmlinuxImage& v);

// With the measurement inputs: the SHA-256 of what each DCE hashes.
nlohmann::json describe_slb(binary::ByteView file, const Slb& slb);
nlohmann::json describe_acm(binary::ByteView file, const Acm& acm);

}  // namespace drtm::image
