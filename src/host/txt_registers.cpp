#include "host/txt_registers.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "binary/bytes.hpp"
#include "binary/error.hpp"
#include "host/cpu_features.hpp"

namespace drtm::host {

namespace {

// The registers slmodule.c exports, with their securityfs file names.
struct RegisterSpec {
    const char* name;
    std::uint64_t offset;
    unsigned width;
    const char* securityfs_file;
};
constexpr RegisterSpec kRegisters[] = {
    {"TXT.STS", txt_register::sts, 64, "sts"},
    {"TXT.ESTS", txt_register::ests, 8, "ests"},
    {"TXT.ERRORCODE", txt_register::errorcode, 32, "errorcode"},
    {"TXT.DIDVID", txt_register::didvid, 64, "didvid"},
    {"TXT.VER.EMIF", txt_register::ver_emif, 32, "ver_emif"},
    {"ACM_POLICY_STATUS", txt_register::acm_policy_status, 64, "scratchpad"},
    {"TXT.E2STS", txt_register::e2sts, 64, "e2sts"},
};

// Every TXT register is read as one 64-bit load, as tboot, sltools and Xen
// do; narrower registers are the low bits.
std::uint64_t read_width(const PhysicalMemoryDevice& mem, std::uint64_t address, unsigned width) {
    const std::uint64_t v = mem.read_register64(address);
    return width >= 64 ? v : v & ((std::uint64_t{1} << width) - 1);
}

// A securityfs register file: "0x…" and a newline (slmodule.c prints %#llx).
std::uint64_t parse_register_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::string text;
    if (!in)
        throw Unavailable(
            path.string() + ": " + std::strerror(errno) +
            (errno == EACCES ? " (the TXT registers are readable by root only)" : ""));
    if (!(in >> text)) throw Unavailable(path.string() + ": empty");
    std::size_t used = 0;
    std::uint64_t v = 0;
    try {
        v = std::stoull(text, &used, 16);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || text.empty())
        throw std::runtime_error(path.string() + ": offset 0x0: \"" + text.substr(0, 40) +
                                 "\" is not a hexadecimal register value");
    return v;
}

void check_txt_present(const std::string& where, std::uint64_t sts, std::uint64_t didvid) {
    const bool all_ones = sts == ~std::uint64_t{0} && didvid == ~std::uint64_t{0};
    const bool all_zero = sts == 0 && didvid == 0;
    if (all_ones || all_zero)
        throw Unavailable(where + ": the TXT public space at " +
                          binary::hex_number(txt_register::public_space) + " reads as all " +
                          (all_ones ? "ones" : "zeros") +
                          ": no TXT device (not an Intel TXT platform, or TXT is disabled in "
                          "the firmware)");
}

}  // namespace

const TxtRegister* TxtRegisters::find(std::uint64_t offset) const {
    for (const auto& r : registers)
        if (r.offset == offset) return &r;
    return nullptr;
}

TxtHeapRegisters read_txt_heap_registers(const PhysicalMemoryDevice& mem) {
    TxtHeapRegisters h;
    h.base = mem.read_register64(txt_register::public_space + txt_register::heap_base);
    h.size = mem.read_register64(txt_register::public_space + txt_register::heap_size);
    const bool ones = h.base == ~std::uint64_t{0} && h.size == ~std::uint64_t{0};
    if (ones || h.size == 0)
        throw Unavailable(mem.path().string() + ": TXT.HEAP.BASE " + binary::hex_number(h.base) +
                          " / TXT.HEAP.SIZE " + binary::hex_number(h.size) +
                          ": no TXT heap (not an Intel TXT platform, or TXT is disabled)");
    return h;
}

TxtRegisters read_txt_registers(const SystemRoot& root) {
    TxtRegisters out;
    const auto dir = root.path("/sys/kernel/security/slaunch/txt");
    std::error_code ec;
    std::string securityfs_problem;
    if (std::filesystem::is_directory(dir, ec)) {
        out.source = dir.string();
        for (const auto& spec : kRegisters) {
            const auto file = dir / spec.securityfs_file;
            if (!std::filesystem::exists(file, ec)) {
                out.notes.push_back(file.string() + " is missing");
                continue;
            }
            out.registers.push_back(
                {spec.name, spec.offset, spec.width, parse_register_file(file)});
        }
    } else {
        securityfs_problem = "no " + dir.string();
    }

    // The heap registers (and, without securityfs, every register) come from
    // the public space in /dev/mem.
    try {
        PhysicalMemoryDevice mem(root.path("/dev/mem"));
        if (out.registers.empty()) {
            TxtRegisters from_mem;
            from_mem.source =
                mem.path().string() + " at " + binary::hex_number(txt_register::public_space);
            for (const auto& spec : kRegisters)
                from_mem.registers.push_back(
                    {spec.name, spec.offset, spec.width,
                     read_width(mem, txt_register::public_space + spec.offset, spec.width)});
            check_txt_present(from_mem.source, from_mem.find(txt_register::sts)->value,
                              from_mem.find(txt_register::didvid)->value);
            from_mem.notes = std::move(out.notes);
            out = std::move(from_mem);
        }
        auto heap = read_txt_heap_registers(mem);
        out.heap_base = heap.base;
        out.heap_size = heap.size;
    } catch (const Unavailable& e) {
        if (out.registers.empty())
            throw Unavailable((securityfs_problem.empty() ? "" : securityfs_problem + "; ") +
                              e.what() + no_smx_hint(root));
        out.notes.push_back(std::string("heap registers not read: ") + e.what());
    }
    return out;
}

}  // namespace drtm::host
