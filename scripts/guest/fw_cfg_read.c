/*
 * fw_cfg_read NAME: writes QEMU's fw_cfg file NAME to standard output,
 * read through the x86 I/O ports (selector 0x510, data 0x511), so the
 * inspection guest can read its DRTM log without the qemu_fw_cfg driver
 * (Debian's module finds the device only through ACPI, which the guest
 * runs without; reference: QEMU docs/specs/fw_cfg.txt).
 *
 * The directory is the item at selector 0x0019: a big-endian u32 count,
 * then 64-byte entries {be32 size, be16 select, u16 reserved, char
 * name[56]}. Exit 0 when found, 2 when not, 1 on error.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>

enum { kSelector = 0x510, kData = 0x511, kSignature = 0x0000, kDirectory = 0x0019 };

static void select_item(uint16_t key) { outw(key, kSelector); }

static void read_bytes(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = inb(kData);
}

static uint32_t be32(const uint8_t* p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fw_cfg_read NAME\n");
        return 1;
    }
    if (ioperm(kSelector, 2, 1) != 0) {
        perror("fw_cfg_read: ioperm 0x510");
        return 1;
    }
    uint8_t signature[4];
    select_item(kSignature);
    read_bytes(signature, sizeof signature);
    if (memcmp(signature, "QEMU", 4) != 0) {
        fprintf(stderr, "fw_cfg_read: no QEMU fw_cfg device at 0x510\n");
        return 1;
    }
    uint8_t count_bytes[4];
    select_item(kDirectory);
    read_bytes(count_bytes, sizeof count_bytes);
    const uint32_t count = be32(count_bytes);
    for (uint32_t i = 0; i < count && i < 4096; ++i) {
        uint8_t entry[64];
        read_bytes(entry, sizeof entry);
        char name[57];
        memcpy(name, entry + 8, 56);
        name[56] = '\0';
        if (strcmp(name, argv[1]) != 0) continue;
        const uint32_t size = be32(entry);
        const uint16_t key = (uint16_t)(entry[4] << 8 | entry[5]);
        select_item(key);
        uint8_t chunk[4096];
        for (uint32_t done = 0; done < size;) {
            const size_t n = size - done < sizeof chunk ? size - done : sizeof chunk;
            read_bytes(chunk, n);
            if (fwrite(chunk, 1, n, stdout) != n) {
                perror("fw_cfg_read: write");
                return 1;
            }
            done += (uint32_t)n;
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }
    fprintf(stderr, "fw_cfg_read: no fw_cfg file named %s\n", argv[1]);
    return 2;
}
