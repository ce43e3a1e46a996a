// The DCE images the emulated CPU launches: an SKL Secure Loader Block (AMD)
// or a SINIT ACM (Intel), parsed and validated as GRUB and the CPU would.
#pragma once

#include <filesystem>

#include "binary/bytes.hpp"
#include "image/acm.hpp"
#include "image/slb.hpp"

namespace drtm::launch {

struct SklDce {
    binary::Bytes file;
    image::Slb slb;
    binary::ByteView measured() const { return image::slb_measured_part(file, slb); }
};

struct SinitDce {
    binary::Bytes file;
    image::Acm acm;
    binary::Bytes digest;      // SHA-256 of the signed bytes: what SENTER hands the TPM
    binary::Bytes signer_key;  // RSA modulus (all zero in a test module)
};

// Throws std::runtime_error naming the file and the failing check.
SklDce load_skl(const std::filesystem::path& path);
SinitDce load_sinit(const std::filesystem::path& path);

}  // namespace drtm::launch
