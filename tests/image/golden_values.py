#!/usr/bin/env python3
"""Independent derivation of the golden digests used by tests/image.

Each image is rebuilt here from the byte layouts in reference/formats.md,
the Linux boot protocol and the TXT SDG, without any drtm code. Run it to
reproduce the constants quoted in the C++ tests.
"""
import gzip
import hashlib
import struct


def put(b, off, fmt, *v):
    struct.pack_into("<" + fmt, b, off, *v)


# --- Synthetic bzImage (tests/image/synthetic_bzimage.hpp defaults) --------
def synthetic_bzimage(setup_sects=1, version=0x020F, mle=True, mle_entry=0x180,
                      payload_size=0x1000, cmdline_size=2047, kernel_alignment=0x200000,
                      init_size=0x3000):
    eff = setup_sects or 4
    payload_off = (eff + 1) * 512
    b = bytearray(payload_off + payload_size)
    b[0x1F1] = setup_sects
    put(b, 0x1F4, "I", (payload_size + 15) // 16)
    put(b, 0x1FE, "H", 0xAA55)
    b[0x200] = 0xEB
    b[0x201] = 0x6A  # header ends at 0x26C
    b[0x202:0x206] = b"HdrS"
    put(b, 0x206, "H", version)
    put(b, 0x20E, "H", 0x100)
    s = b"6.1.0-synthetic (drtm@test) #1\0"
    b[0x300:0x300 + len(s)] = s
    b[0x211] = 0x01
    put(b, 0x214, "I", 0x100000)
    put(b, 0x22C, "I", 0x7FFFFFFF)
    put(b, 0x230, "I", kernel_alignment)
    b[0x234] = 1
    b[0x235] = 0x15
    put(b, 0x236, "H", 0x000F)
    put(b, 0x238, "I", cmdline_size)
    put(b, 0x258, "Q", 0x1000000)
    put(b, 0x260, "I", init_size)
    put(b, 0x268, "I", 0x40)
    for i in range(payload_size):
        b[payload_off + i] = (i * 7 + 3) & 0xFF
    ki = payload_off + 0x40
    size = 0x14 if mle else 0x10
    b[ki:ki + 4] = b"LToP"
    put(b, ki + 4, "III", size, size, 0x0B)
    if mle:
        put(b, ki + 16, "I", 0x80)
        m = payload_off + 0x80
        put(b, m, "IIII", 0x9082AC5A, 0x74A7476F, 0xA2555C0F, 0x42B651CB)
        put(b, m + 16, "IIIIIIIII", 0x34, 0x00020002, mle_entry, 0, 0, payload_size,
            0x227, 0, 0)
    return bytes(b)


def grub_boot_params(k):
    p = bytearray(4096)
    end = 0x202 + k[0x201]
    p[0x1F1:end] = k[0x1F1:end]
    p[0x1FE] = p[0x1FF] = 0
    code32 = struct.unpack_from("<I", k, 0x214)[0]
    put(p, 0x214, "I", 0x1000000 + code32 - 0x100000)
    put(p, 0x230, "I", 0x200000)          # 1 << max(21, ctz(0x200000))
    p[0x210] = 0x72
    put(p, 0x20, "HH", 0xA33F, 0x1000)
    put(p, 0x224, "H", 0x8E00)
    p[0x211] |= 0x80 | 0x20               # CAN_USE_HEAP | QUIET
    put(p, 0x02, "H", 0x8000)
    put(p, 0x1E0, "I", 0x8000)
    put(p, 0x10, "H", 16)
    put(p, 0x218, "II", 0x30000000, 0x2000000)
    put(p, 0xC0, "II", 0, 0)
    put(p, 0x1FC, "H", 0x0100)
    put(p, 0x228, "I", 0x8B000)
    put(p, 0x250, "Q", 0x7F01008)
    e820 = [(0, 0x9FC00, 1), (0x100000, 0x7FF00000, 1), (0xFEC00000, 0x1400000, 2)]
    p[0x1E8] = len(e820)
    for i, (a, s, t) in enumerate(e820):
        put(p, 0x2D0 + 20 * i, "QQI", a, s, t)
    p[0x0F] = 1
    p[0x06] = 3
    p[0x07] = 80
    p[0x0E] = 25
    put(p, 0x70, "Q", 0xF5A20)
    return bytes(p)


# --- Test SKL (image/test_dce.hpp defaults, layout 2) -----------------------
def test_skl():
    b = bytearray(0x2000)
    put(b, 0, "HH", 0x100, 0x1000)
    put(b, 0x42, "HH", 0x50, 0x1000)
    b[0x50:0x60] = bytes.fromhex("78f1268e049211e9832ac85b76c4cc02")
    put(b, 0x60, "IH", 0, 0x14)
    m = b"drtm test SKL: halt loop only, not a Secure Kernel Loader"
    b[0xB0:0xB0 + len(m)] = m
    b[0x100:0x103] = b"\xF4\xEB\xFD"
    return bytes(b)


# --- Test SINIT (image/test_dce.hpp defaults, header 3.0) -------------------
def test_sinit():
    size = 0x2000
    b = bytearray(size)
    put(b, 0x00, "HHII", 2, 0, 224, 0x00030000)
    put(b, 0x0C, "HH", 0, 0xC000)
    put(b, 0x10, "III", 0x8086, 0x20250101, size // 4)
    put(b, 0x1C, "HH", 0, 0)
    put(b, 0x20, "IIIIII", 0, 0x1000, 0x17, 0xF00, 0x08, 0x1000)
    put(b, 0x78, "II", 96, 208)
    ua = (224 + 208) * 4
    b[ua:ua + 16] = bytes.fromhex("aa3ac07fa746db182eac698f8d417f5a")
    b[ua + 16] = 1
    b[ua + 17] = 5
    put(b, ua + 18, "H", 48)
    put(b, ua + 20, "IIII", ua + 0x40, 7, 0x00020001, 0x237)
    b[ua + 36] = 1
    put(b, ua + 0x40, "IIHHH", 1, 0, 0x8086, 0xB002, 1)
    m = b"drtm test SINIT: NOT an Intel module, no key, no signature, emulation only"
    b[ua + 0x80:ua + 0x80 + len(m)] = m
    put(b, 0xF08, "Q", 0x00CF9B000000FFFF)
    put(b, 0xF10, "Q", 0x00CF93000000FFFF)
    b[0x1000:0x1003] = b"\xF4\xEB\xFD"
    return bytes(b), ua


def sha256(x):
    return hashlib.sha256(x).hexdigest()


if __name__ == "__main__":
    k = synthetic_bzimage()
    print("bzimage_file_sha256      ", sha256(k))
    print("bzimage_payload_sha256   ", sha256(k[1024:]))
    print("boot_params_sha256       ", sha256(grub_boot_params(k)))
    skl = test_skl()
    print("test_skl_file_sha256     ", sha256(skl))
    print("test_skl_measured_sha256 ", sha256(skl[:0x1000]))
    print("test_skl_measured_sha1   ", hashlib.sha1(skl[:0x1000]).hexdigest())
    sinit, ua = test_sinit()
    print("test_sinit_file_sha256   ", sha256(sinit))
    signed = sinit[:0x80] + sinit[ua:]
    print("test_sinit_hash_sha256   ", sha256(signed))
    print("test_sinit_hash_sha1     ", hashlib.sha1(signed).hexdigest())
    data = b"drtm gzip test\n" * 100
    print("gzip_member_hex          ", gzip.compress(data, compresslevel=9, mtime=0).hex())
    print("gzip_two_members_hex     ", (gzip.compress(b"first,", mtime=0) +
                                        gzip.compress(b"second", mtime=0)).hex())
