// A small synthetic bzImage, byte for byte the one golden_values.py builds, so
// digests derived there check the C++ parser and boot-params builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "binary/bytes.hpp"

namespace image_test {

struct SyntheticKernel {
    std::uint8_t setup_sects = 1;
    std::uint16_t version = 0x020F;
    bool mle = true;
    std::uint32_t mle_entry = 0x180;
    std::size_t payload_size = 0x1000;
    std::uint32_t cmdline_size = 2047;
    std::uint32_t kernel_alignment = 0x200000;
    std::uint32_t init_size = 0x3000;
};

inline void put_le(drtm::binary::Bytes& b, std::size_t off, std::uint64_t v, int width) {
    for (int i = 0; i < width; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

inline drtm::binary::Bytes make_synthetic_bzimage(const SyntheticKernel& k = {}) {
    std::size_t eff = k.setup_sects ? k.setup_sects : 4;
    std::size_t payload = (eff + 1) * 512;
    drtm::binary::Bytes b(payload + k.payload_size, 0);
    b[0x1F1] = k.setup_sects;
    put_le(b, 0x1F4, (k.payload_size + 15) / 16, 4);
    put_le(b, 0x1FE, 0xAA55, 2);
    b[0x200] = 0xEB;
    b[0x201] = 0x6A;
    std::memcpy(&b[0x202], "HdrS", 4);
    put_le(b, 0x206, k.version, 2);
    put_le(b, 0x20E, 0x100, 2);
    const char version[] = "6.1.0-synthetic (drtm@test) #1";
    std::memcpy(&b[0x300], version, sizeof version);
    b[0x211] = 0x01;
    put_le(b, 0x214, 0x100000, 4);
    put_le(b, 0x22C, 0x7FFFFFFF, 4);
    put_le(b, 0x230, k.kernel_alignment, 4);
    b[0x234] = 1;
    b[0x235] = 0x15;
    put_le(b, 0x236, 0x000F, 2);
    put_le(b, 0x238, k.cmdline_size, 4);
    put_le(b, 0x258, 0x1000000, 8);
    put_le(b, 0x260, k.init_size, 4);
    put_le(b, 0x268, 0x40, 4);
    for (std::size_t i = 0; i < k.payload_size; ++i)
        b[payload + i] = static_cast<std::uint8_t>((i * 7 + 3) & 0xFF);
    std::size_t ki = payload + 0x40;
    std::uint32_t size = k.mle ? 0x14 : 0x10;
    std::memcpy(&b[ki], "LToP", 4);
    put_le(b, ki + 4, size, 4);
    put_le(b, ki + 8, size, 4);
    put_le(b, ki + 12, 0x0B, 4);
    if (k.mle) {
        put_le(b, ki + 16, 0x80, 4);
        std::size_t m = payload + 0x80;
        const std::uint32_t fields[] = {0x9082AC5A,
                                        0x74A7476F,
                                        0xA2555C0F,
                                        0x42B651CB,
                                        0x34,
                                        0x00020002,
                                        k.mle_entry,
                                        0,
                                        0,
                                        static_cast<std::uint32_t>(k.payload_size),
                                        0x227,
                                        0,
                                        0};
        for (std::size_t i = 0; i < 13; ++i) put_le(b, m + 4 * i, fields[i], 4);
    }
    return b;
}

}  // namespace image_test
