#include "launch/dce_images.hpp"

#include <stdexcept>

#include "binary/error.hpp"
#include "binary/file_io.hpp"

namespace drtm::launch {

SklDce load_skl(const std::filesystem::path& path) {
    SklDce d;
    d.file = binary::read_file(path);
    // AEM GRUB reads the compact four-u16 header; newer SKL releases and the
    // Linux AMD RFC use the 64-byte AMD header. The test DCE uses the latter;
    // accept either, preferring the one whose skl_info UUID checks out.
    d.slb = binary::in_file(path.string(), [&] {
        try {
            return image::parse_slb(d.file, image::SlbLayout::amd_header);
        } catch (const binary::ParseError&) {
            return image::parse_slb(d.file, image::SlbLayout::compact);
        }
    });
    return d;
}

SinitDce load_sinit(const std::filesystem::path& path) {
    SinitDce d;
    d.file = binary::read_file(path);
    d.acm = binary::in_file(path.string(), [&] { return image::parse_acm(d.file); });
    d.digest = image::sinit_hash(crypto::HashAlg::sha256, d.file, d.acm);
    auto key = binary::ByteView(d.file).subspan(d.acm.public_key_offset, d.acm.public_key_size);
    d.signer_key.assign(key.begin(), key.end());
    return d;
}

}  // namespace drtm::launch
