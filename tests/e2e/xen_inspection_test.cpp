// Inspection of a running Xen (Debian's xen-hypervisor-4.17-amd64 with the
// Debian kernel as dom0) against the golden xen-syms of its -dbg package:
// located by its bytes and its own xen_phys_start, every alternative site
// in a form Xen writes, intact; a hooked hypercall handler found and named;
// the guest running on; and `drtm inspect --xen` measuring what
// `--predict` and an independent computation expect.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "binary/file_io.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/guest_page_tables.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/xen_frame_table.hpp"
#include "inspect/xen_inspector.hpp"
#include "inspect/xen_release.hpp"
#include "inspect/xen_vcpus.hpp"
#include "inspect/xen_virtual_memory.hpp"
#include "support/background_command.hpp"
#include "support/debian_guest.hpp"
#include "support/guest_console.hpp"
#include "support/openssl_ref.hpp"
#include "support/run_command.hpp"

namespace fs = std::filesystem;
using namespace drtm;
using testsupport::drtm_cmd;
using testsupport::quote;
using testsupport::run_command;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;

std::unique_ptr<inspect::XenGolden> xen_golden() {
    static const binary::Bytes bytes = binary::read_file(kArtifacts / "xen-syms");
    return inspect::XenGolden::from_xen_syms(bytes);
}

// The Debian kernel as golden for dom0 (Xen's PV guest), or for a native
// boot of it.
const inspect::LinuxGolden& dom0_golden(inspect::LinuxPlatform platform) {
    static const binary::Bytes bytes = binary::read_file(kArtifacts / "vmlinuz");
    static const auto pv =
        inspect::LinuxGolden::from_bzimage(bytes, inspect::LinuxPlatform::xen_pv);
    static const auto native = inspect::LinuxGolden::from_bzimage(bytes);
    return platform == inspect::LinuxPlatform::xen_pv ? *pv : *native;
}

std::size_t console_size(const inspect::VirtualMachine& vm) {
    return vm.console().size();
}

}  // namespace

// The table read by drtm and by an independent parser agree.
TEST(XenSyms, TheAlternativesTableGivesTheSitesInText) {
    auto independent = run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/xen_alt_sites.py") +
                                   " " + quote((kArtifacts / "xen-syms").string()));
    ASSERT_EQ(independent.status, 0) << independent.err;
    const auto expected = nlohmann::json::parse(independent.out);
    auto golden = xen_golden();
    std::vector<inspect::PatchSite> sites, seals;
    std::size_t seal_sites = 0;
    for (const auto& s : golden->sites()) {
        if (s.kind != inspect::PatchKind::xen_endbr_seal)
            sites.push_back(s);
        else if (++seal_sites; s.target)
            seals.push_back(s);  // named by the cf_clobber tables
    }
    ASSERT_EQ(sites.size(), expected["count"].get<std::size_t>());
    // Debian's Xen is built for CET-IBT: it has endbr64 seal sites.
    ASSERT_EQ(seals.size(), expected["sealable"].get<std::size_t>());
    EXPECT_GT(seal_sites, seals.size());
    ASSERT_GT(seals.size(), 0u);
    EXPECT_EQ(binary::hex_number(seals.front().address), expected["first_sealable"]);
    EXPECT_EQ(binary::hex_number(seals.back().address), expected["last_sealable"]);
    EXPECT_EQ(binary::hex_number(sites.front().address), expected["first"]);
    EXPECT_EQ(binary::hex_number(sites.back().address), expected["last"]);
    std::size_t bytes = 0;
    for (const auto& s : sites) bytes += s.length;
    EXPECT_EQ(bytes, expected["bytes"].get<std::size_t>());
    EXPECT_EQ(golden->virtual_start() + inspect::kXenImageOffset, golden->text().addr);
}

// Where Xen's virtual address `va` is in guest RAM: its idle_pg_table
// walked by hand (4-level, 1 GiB and 2 MiB pages), not by the inspector.
std::uint64_t xen_physical(const inspect::VirtualMachine& vm, const inspect::XenGolden& golden,
                           std::uint64_t text_physical, std::uint64_t va) {
    std::uint64_t table =
        text_physical + (golden.symbols().require("idle_pg_table") - golden.text().addr);
    for (int level = 3; level >= 0; --level) {
        const auto entry =
            testsupport::guest_word(vm.ram_file(), table + 8 * ((va >> (12 + 9 * level)) & 511));
        EXPECT_TRUE(entry & 1) << "level " << level;
        const auto frame = entry & 0x000ffffffffff000ull;
        if (level > 0 && level < 3 && (entry & 0x80)) {
            const auto size = 1ull << (12 + 9 * level);
            return (frame & ~(size - 1)) + (va & (size - 1));
        }
        if (level == 0) return frame + (va & 0xFFF);
        table = frame;
    }
    return 0;
}

// A variable of Xen's image, at its link address, in guest RAM.
std::uint64_t xen_word(const inspect::VirtualMachine& vm, const inspect::XenGolden& golden,
                       std::uint64_t text_physical, const char* name, std::size_t index = 0) {
    return testsupport::guest_word(
        vm.ram_file(),
        text_physical + (golden.symbols().require(name) - golden.text().addr) + 8 * index);
}

class XenInspection : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new fs::path(fs::temp_directory_path() /
                            ("drtm-xen-inspect-" + std::to_string(::getpid())));
        // Two CPUs: Xen's second one runs on an IDT of its heap (idt_tables[1]).
        vm_ = testsupport::boot_xen_guest(*dir_, /*cpus=*/2).release();
    }
    static void TearDownTestSuite() {
        delete vm_;
        fs::remove_all(*dir_);
        delete dir_;
    }
    static inline fs::path* dir_ = nullptr;
    static inline inspect::VirtualMachine* vm_ = nullptr;
};

TEST_F(XenInspection, ACleanXenIsIntactAndRunsOn) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto before = console_size(*vm_);
    auto r = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    const auto report = inspect::to_json(r, *golden);
    EXPECT_TRUE(r.intact()) << report["text"]["unexplained"].dump() << "\n"
                            << report["rodata"]["unexplained"].dump() << "\n"
                            << r.mapping_problem;
    EXPECT_EQ(r.text.bytes_unexplained, 0u);
    EXPECT_EQ(r.rodata.bytes_unexplained, 0u);
    EXPECT_EQ(r.sites_rejected, 0u);
    // Xen rewrote sites (under TCG: K8 nops, and the features' code) and
    // every rewrite is explained.
    EXPECT_GT(r.sites_changed, 1000u);
    EXPECT_GT(r.text.bytes_differing, 0u);
    EXPECT_EQ(r.placement.xen_phys_start + inspect::kXenImageOffset, r.text_physical);
    EXPECT_EQ(r.placement.text_physical % (2u << 20), 0u);
    EXPECT_NE(r.cr3, 0u);
    EXPECT_EQ(r.mapping_problem, "");
    // Xen runs every vCPU it started with CR0.WP set.
    EXPECT_GE(r.vcpus_paging, 1u);
    EXPECT_TRUE(r.write_protect_problems.empty());
    // .text through the end of its page (the slack after _etext is compared too).
    const auto golden_text = golden->text_bytes();
    EXPECT_EQ(golden_text.size(), golden->rodata().addr - golden->text().addr);
    EXPECT_TRUE(std::equal(golden_text.begin(), golden_text.end(), r.text_normalised.begin(),
                           r.text_normalised.end()));
    // The release read from xen-syms' version functions is the one Xen
    // itself printed at boot.
    const auto release = inspect::xen_release(
        golden->symbols(),
        [&](std::uint64_t va, std::size_t n) { return golden->elf().bytes_at(va, n); });
    EXPECT_EQ(release.major, 4u);
    EXPECT_EQ(release.minor, 17u);
    EXPECT_NE(vm_->console().find("Xen version " + release.text() + " "), std::string::npos)
        << release.text() << "\n"
        << vm_->console().substr(0, 3000);
    // dom0's counter moves on after the pause.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_GT(console_size(*vm_), before)
        << vm_->console().substr(vm_->console().size() > 2000 ? vm_->console().size() - 2000 : 0);
}

// A jmp written over a hypercall handler's entry (dom0 never calls kexec)
// is reported at that function; put back, Xen is intact again.
TEST_F(XenInspection, AHookedFunctionIsFoundAndNamed) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto located = inspect::locate_xen(*golden, ram);
    const std::uint64_t hooked = golden->symbols().require("do_kexec_op");
    const std::uint64_t elsewhere = golden->symbols().require("do_xenpmu_op");
    const auto rel = static_cast<std::uint32_t>(elsewhere - (hooked + 5));
    const std::uint8_t jmp[5] = {
        0xE9, static_cast<std::uint8_t>(rel), static_cast<std::uint8_t>(rel >> 8),
        static_cast<std::uint8_t>(rel >> 16), static_cast<std::uint8_t>(rel >> 24)};
    const std::uint64_t offset = located.text_physical + (hooked - golden->text().addr);
    inspect::XenInspection hooked_result;
    // Written and put back through the guest-byte helpers (each pauses the
    // guest); the guard puts the bytes back however the test ends.
    std::uint8_t saved[5];
    for (int i = 0; i < 5; ++i) saved[i] = testsupport::guest_byte(vm_->ram_file(), offset + i);
    struct Restore {
        inspect::QmpClient& qmp;
        const fs::path& ram;
        std::uint64_t at;
        const std::uint8_t* bytes;
        ~Restore() {
            for (int i = 0; i < 5; ++i) testsupport::set_guest_byte(qmp, ram, at + i, bytes[i]);
        }
    };
    {
        Restore restore{qmp, vm_->ram_file(), offset, saved};
        for (int i = 0; i < 5; ++i)
            testsupport::set_guest_byte(qmp, vm_->ram_file(), offset + i, jmp[i]);
        hooked_result = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    }
    EXPECT_FALSE(hooked_result.intact());
    ASSERT_FALSE(hooked_result.text.unexplained.empty());
    const auto& region = hooked_result.text.unexplained.front();
    EXPECT_EQ(region.address, hooked);
    EXPECT_EQ(region.symbol, "do_kexec_op");
    EXPECT_EQ(region.found.front(), 0xE9);

    auto restored = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    EXPECT_TRUE(restored.intact());
}

// The code pointers of Xen's ro_after_init window: genapic is all zero in
// xen-syms and filled in at boot with the APIC driver's functions. One of
// them aimed into the middle of its function is found and named; put back,
// Xen is intact again. (Xen calls genapic through altcall sites patched at
// boot, so the running code never calls the changed pointer.)
TEST_F(XenInspection, ACodePointerWrittenAfterBootIsFound) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto clean = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    EXPECT_TRUE(clean.intact());
    const auto& p = clean.code_pointers;
    std::cout << "  ro_after_init: " << p.words << " words, " << p.code_pointers
              << " code pointers, " << p.set_at_boot << " re-pointed at boot\n";
    EXPECT_GT(p.set_at_boot, 0u);
    EXPECT_TRUE(p.problems.empty());

    const auto base = golden->symbols().require("genapic");
    ASSERT_GE(base, golden->ro_after_init_start());
    const auto& text = golden->text();
    std::uint64_t word = 0, original = 0;
    for (std::uint64_t at = base; at < base + 0x80 && !word; at += 8) {
        const auto v =
            testsupport::guest_word(vm_->ram_file(), clean.text_physical + (at - text.addr));
        if (text.contains(v)) word = at, original = v;
    }
    ASSERT_NE(word, 0u) << "no code pointer in genapic";
    ASSERT_TRUE(golden->site_forms().is_function(original));
    const std::uint64_t offset = clean.text_physical + (word - text.addr);
    const std::uint64_t changed = original + 1;
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), offset, &changed, 8);
    const auto hooked = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), offset, &original, 8);
    EXPECT_FALSE(hooked.intact());
    ASSERT_EQ(hooked.rodata.unexplained.size(), 1u);
    const auto& region = hooked.rodata.unexplained[0];
    EXPECT_EQ(region.address, word);
    EXPECT_EQ(region.symbol.rfind("genapic+0x", 0), 0u) << region.symbol;
    EXPECT_NE(region.note.find("into the middle of a function"), std::string::npos) << region.note;
    EXPECT_TRUE(inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()}).intact());
}

// Xen on CET-IBT hardware seals the endbr64 of every function its
// cf_clobber tables point to (TCG has no IBT, so the test does it: nopw
// (%rcx) runs as a nop here too). Sealed, Xen is intact; one endbr64 put
// back among the sealed ones makes that function a branch target again
// and is refused; all put back, intact again.
TEST_F(XenInspection, ASealedXenIsIntactAndAnUnsealedEntryIsFound) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto located = inspect::locate_xen(*golden, ram);
    std::vector<std::uint64_t> seals;
    for (const auto& s : golden->sites())
        if (s.kind == inspect::PatchKind::xen_endbr_seal && s.target) seals.push_back(s.address);
    ASSERT_GT(seals.size(), 2u);
    const std::uint8_t endbr[4] = {0xF3, 0x0F, 0x1E, 0xFA}, sealed[4] = {0x66, 0x0F, 0x1F, 0x01};
    // Every site in one pause, as Xen does before it runs anything else.
    auto write_all = [&](const std::uint8_t* bytes, std::size_t skip) {
        const int fd = ::open(vm_->ram_file().c_str(), O_RDWR | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        qmp.stop();
        for (std::size_t i = 0; i < seals.size(); ++i) {
            const auto at = located.text_physical + (seals[i] - golden->text().addr);
            EXPECT_EQ(::pwrite(fd, i == skip ? endbr : bytes, 4, static_cast<off_t>(at)), 4);
        }
        qmp.cont();
        ::close(fd);
    };
    write_all(sealed, seals.size());
    const auto all_sealed = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    write_all(sealed, 1);
    const auto one_open = inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()});
    write_all(endbr, seals.size());
    EXPECT_TRUE(all_sealed.intact());
    EXPECT_EQ(all_sealed.sites_rejected, 0u);
    EXPECT_FALSE(one_open.intact());
    EXPECT_EQ(one_open.sites_rejected, 1u);
    ASSERT_EQ(one_open.text.unexplained.size(), 1u);
    const auto& region = one_open.text.unexplained[0];
    EXPECT_EQ(region.address, seals[1]);
    EXPECT_EQ(region.symbol, golden->symbols().symbolize(seals[1]));
    EXPECT_NE(
        region.note.find("in a sealable endbr64 site, this function entry is still an endbr64"),
        std::string::npos)
        << region.note;
    EXPECT_TRUE(inspect::inspect_xen(*golden, ram, {qmp, vm_->gdb_socket()}).intact());
}

// dom0, the Debian kernel as Xen's PV guest, against its bzImage. Held to a
// PV guest's boot it is intact: its start-up aimed the jmp at
// early_xen_iret_patch at xen_iret, which the golden of a native boot
// refuses; its own page tables (init_top_pgt, machine addresses) and the
// vCPU's map the copy; no KASLR offset (Xen's PV entry does not randomise).
TEST_F(XenInspection, Dom0IsInspectedAsAXenPvGuest) {
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto before = console_size(*vm_);
    const auto r = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()});
    const auto report = inspect::to_json(r, pv);
    EXPECT_TRUE(r.intact()) << report["text"]["unexplained"].dump() << "\n"
                            << report["rodata"]["unexplained"].dump() << "\n"
                            << r.mapping_problem;
    EXPECT_EQ(report["platform"], "xen-pv");
    EXPECT_EQ(r.sites_rejected, 0u);
    EXPECT_GT(r.sites_changed, 1000u);
    EXPECT_EQ(r.placement.virtual_delta, 0);
    EXPECT_EQ(r.mapping_problem, "");
    EXPECT_TRUE(r.not_judged.empty()) << r.not_judged.front();
    EXPECT_NE(r.cr3, 0u);
    EXPECT_EQ(r.text_physical % 4096, 0u);

    // The jmp as the guest holds it: to xen_iret.
    const auto site = pv.symbols().require("early_xen_iret_patch");
    std::uint8_t jmp[5];
    for (int i = 0; i < 5; ++i)
        jmp[i] =
            testsupport::guest_byte(vm_->ram_file(), r.text_physical + (site - pv.text().addr) + i);
    std::uint32_t rel = 0;
    std::memcpy(&rel, jmp + 1, 4);
    EXPECT_EQ(jmp[0], 0xE9);
    EXPECT_EQ(
        site + 5 +
            static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(rel))),
        pv.symbols().require("xen_iret"));

    const auto& native = dom0_golden(inspect::LinuxPlatform::native);
    const auto as_native = inspect::inspect_linux(native, ram, {qmp, vm_->gdb_socket()});
    EXPECT_FALSE(as_native.intact());
    ASSERT_EQ(as_native.text.unexplained.size(), 1u);
    EXPECT_EQ(as_native.text.unexplained[0].symbol, "early_xen_iret_patch+0x1");

    // dom0's counter moves on after the pauses.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_GT(console_size(*vm_), before);
}

// One byte changed in dom0's text (a function only the boot calls) is
// found and named; put back, dom0 is intact again.
TEST_F(XenInspection, AByteChangedInDom0IsFoundAndNamed) {
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto placement = inspect::locate_linux(pv, ram);
    const std::uint64_t target = testsupport::plain_byte_of(pv, "cmdline_find_option_bool");
    const std::uint64_t offset = placement.text_physical + (target - pv.text().addr);
    const std::uint8_t original = testsupport::guest_byte(vm_->ram_file(), offset);
    const std::uint8_t changed = original ^ 0xFF;
    testsupport::set_guest_byte(qmp, vm_->ram_file(), offset, changed);
    const auto hooked = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()});
    testsupport::set_guest_byte(qmp, vm_->ram_file(), offset, original);
    EXPECT_FALSE(hooked.intact());
    EXPECT_EQ(hooked.text.bytes_unexplained, 1u);
    ASSERT_EQ(hooked.text.unexplained.size(), 1u);
    const auto& region = hooked.text.unexplained[0];
    EXPECT_EQ(region.address, target);
    EXPECT_EQ(region.symbol.rfind("cmdline_find_option_bool+0x", 0), 0u) << region.symbol;
    EXPECT_EQ(region.expected, binary::Bytes{original});
    EXPECT_EQ(region.found, binary::Bytes{changed});
    EXPECT_TRUE(inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}).intact());
}

// With Xen located, its frame table lists every top-level page table dom0
// has in use, and each is checked in the pause: a clean dom0 passes. Then one process's user-mode
// table is made to map the kernel's first page elsewhere, as a table a descheduled vCPU holds
// could: slots 511, 510 and 8 point at the table itself (Xen skips self-pointing entries when it
// frees a table; 511 otherwise holds Linux's vsyscall L3 or nothing, 510 and 8 nothing), so
// 0xffffffff81000000 resolves through them to the table's slot 0, a user L3.
TEST_F(XenInspection, EveryPageTableXenListsForDom0IsChecked) {
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    auto xen = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto frame_table = inspect::XenFrameTable::read(*xen, ram);
    // One entry per frame up to the highest RAM (no hole in a small guest).
    EXPECT_LE(frame_table.frames(), vm_->ram_size() / 4096);
    EXPECT_GT(frame_table.frames(), vm_->ram_size() / 4096 / 2);
    const auto clean = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table);
    EXPECT_TRUE(clean.intact()) << clean.mapping_problem;
    EXPECT_TRUE(clean.not_judged.empty()) << clean.not_judged.front();
    ASSERT_TRUE(clean.dom0_root_tables);
    // init_top_pgt, and a kernel and a user-mode table per process.
    EXPECT_GE(*clean.dom0_root_tables, 3u);

    ASSERT_EQ(pv.text().addr, 0xffffffff81000000ull);  // slots 511, 510, 8, 0
    const std::uint64_t kernel_root =
        clean.text_physical + (pv.symbols().require("init_top_pgt") - pv.text().addr);
    constexpr std::uint64_t kAddress = 0x000FFFFFFFFFF000ull;
    auto slot = [&](std::uint64_t root, unsigned i) {
        return testsupport::guest_word(vm_->ram_file(), root + 8 * i);
    };
    constexpr unsigned kSlots[] = {511, 510, 8};
    std::uint64_t user_root = 0, self = 0, elsewhere = 0, original[3] = {};
    bool redirected_slots = false;
    const int fd = ::open(vm_->ram_file().c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto write_slot = [&](std::uint64_t root, unsigned i, std::uint64_t value) {
        return ::pwrite(fd, &value, 8, static_cast<off_t>(root + 8 * i)) == 8;
    };
    {
        // Put back on every way out, and only what is still ours (the MMU
        // may have set the accessed bit; had the process exited, the page
        // may hold something else by now); never throwing while a failure
        // unwinds.
        struct PutBack {
            std::function<void()> run;
            ~PutBack() {
                try {
                    run();
                } catch (...) {
                }
            }
        } put_back{[&] {
            if (redirected_slots) {
                qmp.stop();
                for (int i = 0; i < 3; ++i)
                    if ((slot(user_root, kSlots[i]) & ~0x60ull) == self)
                        write_slot(user_root, kSlots[i], original[i]);
                qmp.cont();
            }
            ::close(fd);
        }};
        // A long-lived process's table (the guest's shell, not a `sleep`
        // of its loop, which may exit before the inspection): one Xen
        // still lists after more than a tick of the loop.
        const auto listed_before = frame_table.dom0_root_tables(ram);
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        // Chosen, read and redirected in one pause of the test's own.
        qmp.stop();
        const auto kernel_half = slot(kernel_root, 511) & kAddress;
        for (const auto root : frame_table.dom0_root_tables(ram))
            if (root != kernel_root &&
                std::find(listed_before.begin(), listed_before.end(), root) !=
                    listed_before.end() &&
                (slot(root, 511) & kAddress) != kernel_half && !(slot(root, 510) & 1) &&
                !(slot(root, 8) & 1) && (slot(root, 0) & 1))
                user_root = root;
        if (user_root) {
            self = user_root | 0x5;  // present, user, read-only
            elsewhere = slot(user_root, 0) & kAddress;
            for (int i = 0; i < 3; ++i) original[i] = slot(user_root, kSlots[i]);
            redirected_slots = true;
            for (unsigned i : kSlots) EXPECT_TRUE(write_slot(user_root, i, self));
        }
        qmp.cont();
        ASSERT_NE(user_root, 0u) << "no user-mode table of dom0 with slot 0 mapped";
        const auto redirected =
            inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table);
        EXPECT_FALSE(redirected.intact());
        // Named as a table Xen lists (or as the vCPU's, had it run that
        // process in the pause).
        EXPECT_NE(redirected.mapping_problem.find("0xffffffff81000000 maps to physical " +
                                                  binary::hex_number(elsewhere)),
                  std::string::npos)
            << redirected.mapping_problem;
        EXPECT_TRUE(redirected.mapping_problem.find("a page table Xen lists for dom0 (at " +
                                                    binary::hex_number(user_root) + ")") !=
                        std::string::npos ||
                    redirected.mapping_problem.starts_with("vCPU"))
            << redirected.mapping_problem;
    }
    // Put back, dom0 is intact again.
    EXPECT_TRUE(inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table).intact());
}

// dom0's vCPUs as Xen holds them: the offsets drtm knows for this Xen
// build give, for dom0's vCPU, the entry points Linux registered with Xen
// at boot, which its own symbols name (independently of drtm); its kernel
// table is one Xen lists. A clean dom0 passes with its vCPU checked; its
// failsafe callback aimed one byte into xen_failsafe_callback is found.
TEST_F(XenInspection, Dom0sVcpusAreCheckedAsXenHoldsThem) {
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    auto xen = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto frame_table = inspect::XenFrameTable::read(*xen, ram);
    const auto vcpus = inspect::XenDom0Vcpus::read_layout(*xen, ram);
    std::vector<inspect::Dom0Vcpu> read;
    std::vector<std::uint64_t> roots;
    qmp.stop();
    try {
        read = vcpus.read(ram);
        roots = frame_table.dom0_root_tables(ram);
    } catch (...) {
        qmp.cont();
        throw;
    }
    qmp.cont();
    ASSERT_EQ(read.size(), 1u);  // dom0 has one vCPU here
    std::map<std::string, std::uint64_t> entries(read[0].entry_points.begin(),
                                                 read[0].entry_points.end());
    EXPECT_EQ(entries["event callback"],
              pv.symbols().require("xen_asm_exc_xen_hypervisor_callback"));
    EXPECT_EQ(entries["failsafe callback"], pv.symbols().require("xen_failsafe_callback"));
    EXPECT_EQ(entries["syscall callback"], pv.symbols().require("xen_entry_SYSCALL_64"));
    EXPECT_EQ(entries["trap 14"], pv.symbols().require("xen_asm_exc_page_fault"));
    // Every trap as predicted from the golden kernel's tables and its
    // trap_array, and no other: what dom0 registered with Xen.
    ASSERT_TRUE(pv.pv_traps().has_value()) << pv.pv_traps_unpredicted();
    for (std::size_t v = 0; v < 256; ++v) {
        const auto key = "trap " + std::to_string(v);
        const auto want = (*pv.pv_traps())[v];
        if (want.address) {
            EXPECT_EQ(entries.count(key) ? entries[key] : 0, want.address)
                << key << ": " << pv.symbols().symbolize(want.address);
            EXPECT_EQ(read[0].trap_flags[v], want.flags) << key;
        } else {
            EXPECT_EQ(entries.count(key), 0u) << key;
        }
    }
    // As Linux's cvt_gate_to_trap sets them (arch/x86/xen/enlighten_pv.c):
    // DPL 3 on the breakpoint, overflow and int 0x80 gates, events masked
    // on every one (each is an interrupt gate).
    EXPECT_EQ(read[0].trap_flags[3], 3 | 4);
    EXPECT_EQ(read[0].trap_flags[4], 3 | 4);
    EXPECT_EQ(read[0].trap_flags[0x80], 3 | 4);
    EXPECT_EQ(read[0].trap_flags[14], 0 | 4);
    EXPECT_NE(std::find(roots.begin(), roots.end(), read[0].kernel_table), roots.end());

    const auto clean =
        inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table, &vcpus);
    EXPECT_TRUE(clean.intact()) << clean.mapping_problem;
    EXPECT_TRUE(clean.not_judged.empty()) << clean.not_judged.front();
    EXPECT_EQ(clean.dom0_vcpus, std::optional<std::size_t>(1));

    // Where Xen keeps vCPU 0's failsafe callback, in guest RAM.
    const auto memory = inspect::XenVirtualMemory::locate(*xen, ram);
    const auto dom0 = memory.variable(*xen, ram, "hardware_domain", 8);
    const auto* layout = inspect::xen_vcpu_layout(xen->build_id());
    ASSERT_NE(layout, nullptr);
    const auto vcpu0 =
        memory.read(ram, memory.read(ram, dom0 + layout->domain_vcpus, 8, "vcpu"), 8, "vcpu[0]");
    const auto at =
        inspect::translate(ram, memory.idle_pg_table(), vcpu0 + layout->failsafe_callback);
    ASSERT_TRUE(at);
    const std::uint64_t failsafe = pv.symbols().require("xen_failsafe_callback");
    // Another function of the image, which a function-start rule passes.
    const std::uint64_t elsewhere = pv.symbols().require("xen_entry_SYSCALL_64");
    // One word of Xen's changed for one inspection, then put back.
    auto inspect_with = [&](std::uint64_t physical, std::uint64_t value, std::uint64_t original) {
        testsupport::set_guest_bytes(qmp, vm_->ram_file(), physical, &value, 8);
        const auto r =
            inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table, &vcpus);
        testsupport::set_guest_bytes(qmp, vm_->ram_file(), physical, &original, 8);
        return r;
    };
    const auto aimed = inspect_with(at->physical, elsewhere, failsafe);
    EXPECT_FALSE(aimed.intact());
    EXPECT_EQ(aimed.mapping_problem,
              "dom0's vCPU 0's failsafe callback points at xen_entry_SYSCALL_64, where the "
              "golden kernel registers xen_failsafe_callback");

    // A trap aimed at another function of the image: vector 9 (which no
    // x86-64 CPU raises) at the divide-error entry.
    const auto traps = memory.read(ram, vcpu0 + layout->trap_ctxt, 8, "trap_ctxt");
    const auto trap9 = inspect::translate(ram, memory.idle_pg_table(), traps + 16 * 9 + 8);
    ASSERT_TRUE(trap9);
    const std::uint64_t coproc = pv.symbols().require("xen_asm_exc_coproc_segment_overrun");
    const std::uint64_t divide = pv.symbols().require("xen_asm_exc_divide_error");
    ASSERT_EQ(testsupport::guest_word(vm_->ram_file(), trap9->physical), coproc);
    const auto other = inspect_with(trap9->physical, divide, coproc);
    EXPECT_FALSE(other.intact());
    EXPECT_EQ(other.mapping_problem,
              "dom0's vCPU 0's trap 9 points at xen_asm_exc_divide_error, where the golden "
              "kernel registers xen_asm_exc_coproc_segment_overrun");
    // Opened to dom0's user mode (DPL 3 in its flags byte, trap_info + 1).
    const auto flags9 = inspect::translate(ram, memory.idle_pg_table(), traps + 16 * 9);
    ASSERT_TRUE(flags9);
    const auto header = testsupport::guest_word(vm_->ram_file(), flags9->physical);
    ASSERT_EQ((header >> 8) & 0xff, 4u);  // DPL 0, events masked
    const auto opened = inspect_with(flags9->physical, header | (3u << 8), header);
    EXPECT_FALSE(opened.intact());
    EXPECT_EQ(opened.mapping_problem,
              "dom0's vCPU 0's trap 9: DPL 3 (dom0's user mode may raise it with int), where the "
              "golden kernel's is 0");
    // And cleared: Xen would crash dom0 on the fault it bounces there.
    const auto cleared = inspect_with(trap9->physical, 0, coproc);
    EXPECT_FALSE(cleared.intact());
    EXPECT_EQ(cleared.mapping_problem,
              "dom0's vCPU 0's trap 9: none, where the golden kernel registers "
              "xen_asm_exc_coproc_segment_overrun");
    EXPECT_TRUE(
        inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()}, &frame_table, &vcpus).intact());
}

// A pause that finds the kernel rewriting its code (text_mutex held: here
// its owner word set to init_task's address while the test runs) pauses
// again until the mutex is free; held through every pause, the report says
// what was not judged. A guest that holds the lock to win time gains
// nothing: a byte changed in the first pause and put back before the last
// is reported from the first. dom0 does not poke its text while idle.
TEST_F(XenInspection, Dom0RewritingItsCodeIsPausedAgain) {
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const auto placement = inspect::locate_linux(pv, ram);
    const std::uint64_t owner_at =
        placement.text_physical + (pv.symbols().require("text_mutex") - pv.text().addr);
    const std::uint64_t target = testsupport::plain_byte_of(pv, "cmdline_find_option_bool");
    const std::uint64_t byte_at = placement.text_physical + (target - pv.text().addr);
    const std::uint8_t original = testsupport::guest_byte(vm_->ram_file(), byte_at);
    const std::uint8_t changed = original ^ 0xFF;
    const std::uint64_t task = pv.symbols().require("init_task"), free_owner = 0;
    ASSERT_EQ(testsupport::guest_word(vm_->ram_file(), owner_at), 0u);
    auto write = [&](std::uint64_t at, const void* bytes, std::size_t n) {
        const int fd = ::open(vm_->ram_file().c_str(), O_RDWR | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        EXPECT_EQ(::pwrite(fd, bytes, n, static_cast<off_t>(at)), static_cast<ssize_t>(n));
        ::close(fd);
    };
    // Held, then (60 ms into the inspection: after its first pause) freed,
    // and with `put_back` the changed byte restored at the same moment.
    auto inspect_while_held = [&](bool change_byte) {
        testsupport::set_guest_bytes(qmp, vm_->ram_file(), owner_at, &task, 8);
        if (change_byte) testsupport::set_guest_byte(qmp, vm_->ram_file(), byte_at, changed);
        std::thread release([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(60));
            write(owner_at, &free_owner, 8);
            if (change_byte) write(byte_at, &original, 1);
        });
        auto r = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()});
        release.join();
        return r;
    };
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), owner_at, &task, 8);
    const auto held = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()});
    const auto released = inspect_while_held(false);
    const auto put_back = inspect_while_held(true);
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), owner_at, &free_owner, 8);
    testsupport::set_guest_byte(qmp, vm_->ram_file(), byte_at, original);

    EXPECT_EQ(held.pauses, 4);
    EXPECT_EQ(held.mutexes_held, std::vector<std::string>{"text_mutex"});
    ASSERT_EQ(held.not_judged.size(), 1u);
    EXPECT_NE(held.not_judged[0].find("the kernel held text_mutex"), std::string::npos);
    EXPECT_NE(inspect::findings_text(held).find("not judged: whether a refused patch site"),
              std::string::npos);
    EXPECT_TRUE(held.intact());  // nothing else changed in between

    EXPECT_GT(released.pauses, 1);
    EXPECT_TRUE(released.mutexes_held.empty());
    EXPECT_TRUE(released.not_judged.empty());
    EXPECT_TRUE(released.intact());

    EXPECT_GT(put_back.pauses, 1);
    EXPECT_FALSE(put_back.intact());
    // Once per earlier pause that saw it (the byte is put back at the same
    // moment the lock is freed), the first from pause 1.
    ASSERT_FALSE(put_back.text.unexplained.empty());
    for (const auto& region : put_back.text.unexplained) {
        EXPECT_EQ(region.address, target);
        EXPECT_EQ(region.found, binary::Bytes{changed});
        // That pause may also have found no vCPU on dom0's tables (both of
        // Xen's CPUs idle), said in the same parentheses.
        EXPECT_NE(region.note.find("(text_mutex held"), std::string::npos) << region.note;
        EXPECT_NE(region.note.find("): changed before the last pause"), std::string::npos)
            << region.note;
    }
    EXPECT_EQ(put_back.text.unexplained[0].note.rfind("in pause 1 of ", 0), 0u)
        << put_back.text.unexplained[0].note;

    const auto clean = inspect::inspect_linux(pv, ram, {qmp, vm_->gdb_socket()});
    EXPECT_EQ(clean.pauses, 1);
    EXPECT_TRUE(clean.intact());
}

// `drtm vm run --xen --launch-dce` and `drtm inspect --xen` as a user runs
// them: dom0 sees the boot-time launch of Xen (PCRs as `drtm predict`
// states them, the log from fw_cfg); the inspection's measured PCRs are
// what `--predict` gives and what hashlib and objcopy
// compute from xen-syms, the log replays to the guest's TPM, and dom0
// reads the inspector's PCR 17 from it.
TEST(XenCli, TheInspectionIsMeasuredAsPredicted) {
    const fs::path dir = fs::temp_directory_path() / ("drtm-xen-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string xen_syms = (kArtifacts / "xen-syms").string();
    const std::string xen_gz = (kArtifacts / "xen.gz").string();
    const std::string vmlinuz = (kArtifacts / "vmlinuz").string();
    const std::string initrd = (kArtifacts / "guest-initrd.img").string();
    const std::string skl = (dir / "skl.bin").string();
    ASSERT_EQ(run_command(drtm_cmd("image make-test-dce --flavour amd --out " + quote(skl))).status,
              0);
    testsupport::BackgroundCommand vm({DRTM_BINARY, "vm", "run", "--dir", (dir / "vm").string(),
                                       "--xen", xen_gz, "--kernel", vmlinuz, "--initrd", initrd,
                                       "--launch-dce", skl, "--wait-for", "GUEST-READY", "--json"});
    const auto line = vm.first_line(150000);
    ASSERT_FALSE(line.empty()) << "drtm vm run --xen printed no ready line";
    const auto ready = nlohmann::json::parse(line);

    // Booted with a launch of Xen and its modules: dom0 reads the launch's
    // PCRs from its TPM and its log from fw_cfg.
    auto launch_prediction = run_command(drtm_cmd(
        "predict --json --flavour amd --dce " + quote(skl) + " --xen " + quote(xen_gz) +
        " --xen-cmdline " + quote(inspect::default_xen_append(512)) + " --module " +
        quote(vmlinuz + ":" + inspect::kDefaultDom0Append) + " --module " + quote(initrd)));
    ASSERT_EQ(launch_prediction.status, 0) << launch_prediction.err;
    const auto launch_pcrs = nlohmann::json::parse(launch_prediction.out)["pcrs"]["sha256"];
    const auto boot_console = binary::read_text_file(dir / "vm/console.log");
    for (int pcr = 17; pcr <= 18; ++pcr)
        EXPECT_EQ(testsupport::guest_pcr_sha256(boot_console, pcr),
                  launch_pcrs[std::to_string(pcr)].get<std::string>())
            << "PCR " << pcr;
    const auto boot_log = binary::read_file(dir / "vm/drtm-eventlog.bin");
    EXPECT_EQ(testsupport::guest_log_sha256(boot_console),
              ref::hex(ref::digest("SHA256", ref::Bytes(boot_log.begin(), boot_log.end()))));

    auto independent = run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/inspection_pcrs.py") +
                                   " --xen " + quote(DRTM_BINARY) + " " + quote(xen_syms));
    ASSERT_EQ(independent.status, 0) << independent.err;
    const auto expected = nlohmann::json::parse(independent.out);
    auto predicted = run_command(drtm_cmd("inspect --predict --json --xen " + quote(xen_syms)));
    ASSERT_EQ(predicted.status, 0) << predicted.err;
    const auto prediction = nlohmann::json::parse(predicted.out);

    auto r = run_command(drtm_cmd("inspect --json --vm " + quote((dir / "vm").string()) +
                                  " --xen " + quote(xen_syms)));
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    const auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["verdict"], "intact");
    EXPECT_EQ(report["image"], "xen");
    EXPECT_TRUE(report["measurement"]["verified"].get<bool>());
    for (const char* pcr : {"17", "18", "19"}) {
        EXPECT_EQ(prediction["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
        EXPECT_EQ(report["measurement"]["pcrs"]["sha256"][pcr], expected[pcr]) << "PCR " << pcr;
    }
    auto log_verify =
        run_command(drtm_cmd("log verify " + quote((dir / "vm/inspection-eventlog.bin").string()) +
                             " --tcti " + quote(ready["tcti"].get<std::string>())));
    EXPECT_EQ(log_verify.status, 0) << log_verify.out << log_verify.err;
    EXPECT_EQ(ready["hypervisor"], "xen");

    // dom0 with --kernel: a Xen PV guest (vm.json says Xen runs it),
    // measured as `--predict --dom0` and hashlib say (its rules differ from
    // a native kernel's, and so does PCR 18).
    // The LSMs Debian's kernel runs as dom0 too (hand-written), for PCR 20.
    const std::string lsms = " --lsms " + quote(
                                              "capability apparmor yama lockdown bpf_lsm "
                                              "tomoyo landlock");
    auto dom0_expected =
        run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/inspection_pcrs.py") + " --dom0 " +
                    lsms + " " + quote(DRTM_BINARY) + " " + quote(vmlinuz));
    auto dom0_predicted =
        run_command(drtm_cmd("inspect --predict --json --dom0 --kernel " + quote(vmlinuz) + lsms));
    ASSERT_EQ(dom0_predicted.status, 0) << dom0_predicted.err;
    auto native_predicted =
        run_command(drtm_cmd("inspect --predict --json --kernel " + quote(vmlinuz)));
    ASSERT_EQ(native_predicted.status, 0) << native_predicted.err;
    EXPECT_NE(nlohmann::json::parse(dom0_predicted.out)["pcrs"]["sha256"]["18"],
              nlohmann::json::parse(native_predicted.out)["pcrs"]["sha256"]["18"]);
    ASSERT_EQ(dom0_expected.status, 0) << dom0_expected.err;
    const auto dom0_pcrs = nlohmann::json::parse(dom0_expected.out);
    auto dom0 = run_command(drtm_cmd("inspect --json --vm " + quote((dir / "vm").string()) +
                                     " --kernel " + quote(vmlinuz) + " --log " +
                                     quote((dir / "dom0-eventlog.bin").string())));
    ASSERT_EQ(dom0.status, 0) << dom0.out << dom0.err;
    const auto dom0_report = nlohmann::json::parse(dom0.out);
    EXPECT_EQ(dom0_report["verdict"], "intact");
    EXPECT_EQ(dom0_report["image"], "linux");
    EXPECT_EQ(dom0_report["platform"], "xen-pv");
    EXPECT_TRUE(dom0_report["measurement"]["verified"].get<bool>());
    for (const char* pcr : {"17", "18", "19", "20"}) {
        EXPECT_EQ(dom0_report["measurement"]["pcrs"]["sha256"][pcr], dom0_pcrs[pcr])
            << "PCR " << pcr;
        EXPECT_EQ(nlohmann::json::parse(dom0_predicted.out)["pcrs"]["sha256"][pcr], dom0_pcrs[pcr])
            << "PCR " << pcr;
    }

    // Xen and dom0 in one launch: Xen's records, then dom0's, as --predict
    // and hashlib say; the report has each under its role.
    auto both_expected =
        run_command("python3 " + quote(DRTM_TEST_SUPPORT_DIR "/inspection_pcrs.py") + " --xen " +
                    lsms + " " + quote(DRTM_BINARY) + " " + quote(xen_syms) + " " + quote(vmlinuz));
    ASSERT_EQ(both_expected.status, 0) << both_expected.err;
    const auto both_pcrs = nlohmann::json::parse(both_expected.out);
    auto both_predicted = run_command(drtm_cmd("inspect --predict --json --xen " + quote(xen_syms) +
                                               " --kernel " + quote(vmlinuz) + lsms));
    ASSERT_EQ(both_predicted.status, 0) << both_predicted.err;
    auto both = run_command(drtm_cmd("inspect --json --vm " + quote((dir / "vm").string()) +
                                     " --xen " + quote(xen_syms) + " --kernel " + quote(vmlinuz) +
                                     " --log " + quote((dir / "both-eventlog.bin").string())));
    ASSERT_EQ(both.status, 0) << both.out << both.err;
    const auto both_report = nlohmann::json::parse(both.out);
    EXPECT_EQ(both_report["verdict"], "intact");
    EXPECT_EQ(both_report["xen"]["image"], "xen");
    EXPECT_EQ(both_report["xen"]["verdict"], "intact");
    EXPECT_EQ(both_report["dom0"]["platform"], "xen-pv");
    EXPECT_EQ(both_report["dom0"]["verdict"], "intact");
    // Beside its Xen, dom0's every page table is checked (Xen's frame
    // table); alone, only the vCPUs' and init_top_pgt.
    EXPECT_GE(both_report["dom0"]["dom0_root_tables_checked"].get<int>(), 3);
    EXPECT_EQ(both_report["dom0"]["dom0_vcpus_checked"], 1);
    EXPECT_EQ(both_report["dom0"]["dom0_traps_predicted"], true);
    EXPECT_TRUE(dom0_report["dom0_root_tables_checked"].is_null());
    EXPECT_TRUE(both_report["measurement"]["verified"].get<bool>());
    for (const char* pcr : {"17", "18", "19", "20"}) {
        EXPECT_EQ(both_report["measurement"]["pcrs"]["sha256"][pcr], both_pcrs[pcr]) << pcr;
        EXPECT_EQ(nlohmann::json::parse(both_predicted.out)["pcrs"]["sha256"][pcr], both_pcrs[pcr])
            << pcr;
    }
    std::string pcr17 = expected["17"];
    for (auto& c : pcr17) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        seen = binary::read_text_file(dir / "vm/console.log").find("PCR17 " + pcr17) !=
               std::string::npos;
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(seen) << "dom0 never read PCR 17 = " << pcr17;

    // dom0 not found (one byte of startup_64 changed: a PV kernel never
    // runs it after boot): Xen's result stands, dom0 is measured as not
    // inspected (PCR 18 the pair's, PCR 19 neither the pair's nor Xen's
    // alone), the run says why and exits 1.
    const auto& pv = dom0_golden(inspect::LinuxPlatform::xen_pv);
    const fs::path ram_file = ready["ram_file"].get<std::string>();
    std::uint64_t at = 0;
    std::uint8_t original = 0;
    {
        inspect::GuestMemory ram(ram_file, ready["ram_size"].get<std::uint64_t>());
        at = inspect::locate_linux(pv, ram).text_physical +
             (testsupport::plain_byte_of(pv, "startup_64") - pv.text().addr);
        original = testsupport::guest_byte(ram_file, at);
        inspect::QmpClient qmp(ready["qmp"].get<std::string>());
        testsupport::set_guest_byte(qmp, ram_file, at, original ^ 0xFF);
    }
    auto lost = run_command(drtm_cmd("inspect --json --vm " + quote((dir / "vm").string()) +
                                     " --xen " + quote(xen_syms) + " --kernel " + quote(vmlinuz) +
                                     " --log " + quote((dir / "lost-eventlog.bin").string())));
    {
        inspect::QmpClient qmp(ready["qmp"].get<std::string>());
        testsupport::set_guest_byte(qmp, ram_file, at, original);
    }
    EXPECT_EQ(lost.status, 1) << lost.out << lost.err;
    EXPECT_NE(lost.err.find("the dom0 inspection failed"), std::string::npos) << lost.err;
    const auto lost_report = nlohmann::json::parse(lost.out);
    EXPECT_EQ(lost_report["verdict"], "error");
    EXPECT_EQ(lost_report["xen"]["verdict"], "intact");
    EXPECT_EQ(lost_report["dom0"]["verdict"], "error");
    EXPECT_NE(lost_report["dom0"]["error"].get<std::string>().find("runs another kernel"),
              std::string::npos)
        << lost_report["dom0"];
    const auto& lost_pcrs = lost_report["measurement"]["pcrs"]["sha256"];
    EXPECT_EQ(lost_pcrs["18"], both_pcrs["18"]);
    EXPECT_NE(lost_pcrs["19"], both_pcrs["19"]);
    EXPECT_NE(lost_pcrs["19"], prediction["pcrs"]["sha256"]["19"]);
    EXPECT_EQ(lost_pcrs["20"], std::string(64, '0'));  // no LSMs of a kernel not inspected
    EXPECT_TRUE(lost_report["measurement"]["verified"].get<bool>());
    const auto lost_log = binary::read_text_file(dir / "lost-eventlog.bin");
    EXPECT_NE(lost_log.find("drtm-inspect findings\nnot inspected: "), std::string::npos);
    EXPECT_EQ(vm.terminate(), 0);
    fs::remove_all(dir);
}

// Xen's own IDTs, where each vCPU's IDTR points (CPU 0's idt_table in
// Xen's image, CPU 1's a page of Xen's heap), read in the pause: on the
// clean guest each of their 256 gates is what the golden xen-syms leaves
// there. Vector 9 (coprocessor segment overrun, which no x86-64 CPU raises)
// aimed at divide_error, then opened to guests (DPL 3), in CPU 0's table
// and then in CPU 1's, is found and named; put back, Xen is intact again.
TEST_F(XenInspection, AGateTurnedInXensIdtIsFound) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const inspect::GuestControl guest{qmp, vm_->gdb_socket()};
    const auto clean = inspect::inspect_xen(*golden, ram, guest);
    EXPECT_TRUE(clean.intact()) << clean.idt_problems.size();
    EXPECT_TRUE(clean.idt_problems.empty()) << clean.idt_problems.front();
    EXPECT_EQ(clean.idtrs_checked, std::optional<std::size_t>(2));
    EXPECT_EQ(clean.idt_gates, std::optional<std::size_t>(512));

    // Gate 9 as Xen booted it: an interrupt gate of __HYPERVISOR_CS
    // (0xe008) to the stub autogen_entrypoints[9] names in xen-syms.
    const auto& symbols = golden->symbols();
    const std::uint64_t autogen9 = [&] {
        const auto b = golden->elf().bytes_at(symbols.require("autogen_entrypoints") + 9 * 8, 8);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(b[i]) << (8 * i);
        return v;
    }();
    ASSERT_NE(autogen9, 0u);
    const auto gate9 =
        clean.text_physical + (symbols.require("idt_table") - golden->text().addr) + 9 * 16;
    std::uint8_t original[16];
    for (int i = 0; i < 16; ++i) original[i] = testsupport::guest_byte(vm_->ram_file(), gate9 + i);
    const std::uint64_t target =
        std::uint64_t(original[0]) | std::uint64_t(original[1]) << 8 |
        std::uint64_t(original[6]) << 16 | std::uint64_t(original[7]) << 24 |
        std::uint64_t(original[8]) << 32 | std::uint64_t(original[9]) << 40 |
        std::uint64_t(original[10]) << 48 | std::uint64_t(original[11]) << 56;
    ASSERT_EQ(target, autogen9);
    ASSERT_EQ(original[2] | original[3] << 8, 0xe008);
    ASSERT_EQ(original[5], 0x8E);  // present, DPL 0, interrupt gate

    std::uint8_t turned[16];
    std::memcpy(turned, original, 16);
    const std::uint64_t divide = symbols.require("divide_error");
    turned[0] = divide & 0xFF, turned[1] = (divide >> 8) & 0xFF;
    turned[6] = (divide >> 16) & 0xFF, turned[7] = (divide >> 24) & 0xFF;
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), gate9, turned, 16);
    const auto aimed = inspect::inspect_xen(*golden, ram, guest);
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), gate9, original, 16);
    EXPECT_FALSE(aimed.intact());
    ASSERT_EQ(aimed.idt_problems.size(), 1u);
    const std::string prefix =
        "vCPU 0's IDT vector 9: points at divide_error, where the golden Xen "
        "sets ";
    EXPECT_EQ(aimed.idt_problems[0].rfind(prefix, 0), 0u) << aimed.idt_problems[0];
    EXPECT_NE(aimed.idt_problems[0].find("(autogen_entrypoints)"), std::string::npos)
        << aimed.idt_problems[0];

    std::memcpy(turned, original, 16);
    turned[5] |= 3 << 5;  // DPL 3
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), gate9, turned, 16);
    const auto opened = inspect::inspect_xen(*golden, ram, guest);
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), gate9, original, 16);
    EXPECT_FALSE(opened.intact());
    EXPECT_EQ(opened.idt_problems,
              std::vector<std::string>{"vCPU 0's IDT vector 9: DPL 3 (a guest may raise it with "
                                       "int), where the golden Xen's is 0"});

    // CPU 1's table: idt_tables[1], a directmap address of Xen's heap.
    const auto xen_virtual = [&](std::uint64_t va) {
        return xen_physical(*vm_, *golden, clean.text_physical, va);
    };
    const auto idt_tables =
        clean.text_physical + (symbols.require("idt_tables") - golden->text().addr);
    const auto cpu1_idt = testsupport::guest_word(vm_->ram_file(), idt_tables + 8);
    EXPECT_EQ(cpu1_idt >> 40, 0xffff83u) << std::hex << cpu1_idt;  // the directmap
    const auto cpu1_gate9 = xen_virtual(cpu1_idt) + 9 * 16;
    std::uint8_t cpu1_original[16];
    for (int i = 0; i < 16; ++i)
        cpu1_original[i] = testsupport::guest_byte(vm_->ram_file(), cpu1_gate9 + i);
    ASSERT_EQ(0, std::memcmp(cpu1_original, original, 16));
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), cpu1_gate9, turned, 16);
    const auto cpu1_opened = inspect::inspect_xen(*golden, ram, guest);
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), cpu1_gate9, cpu1_original, 16);
    EXPECT_EQ(cpu1_opened.idt_problems,
              std::vector<std::string>{"vCPU 1's IDT vector 9: DPL 3 (a guest may raise it with "
                                       "int), where the golden Xen's is 0"});

    EXPECT_TRUE(inspect::inspect_xen(*golden, ram, guest).intact());
}

// Each vCPU's TSS, where its TR points: Xen's CPU 1's (tss_page in its
// per-CPU area) holds the NMI stack at the top of page 2 of stack_base[1],
// both read from guest RAM here. The NMI stack pointer moved down 256
// bytes (still on that stack, so an NMI would still run) is found and
// named; put back, Xen is intact again.
TEST_F(XenInspection, AStackTurnedInXensTssIsFound) {
    auto golden = xen_golden();
    inspect::GuestMemory ram(vm_->ram_file(), vm_->ram_size());
    inspect::QmpClient qmp(vm_->inspector_qmp_socket());
    const inspect::GuestControl guest{qmp, vm_->gdb_socket()};
    const auto clean = inspect::inspect_xen(*golden, ram, guest);
    EXPECT_TRUE(clean.intact());
    EXPECT_EQ(clean.tss_checked, std::optional<std::size_t>(2));

    const auto tss = golden->symbols().require("per_cpu__tss_page") +
                     xen_word(*vm_, *golden, clean.text_physical, "__per_cpu_offset", 1) +
                     64;  // after the shadow-stack IST table
    const auto stack = xen_word(*vm_, *golden, clean.text_physical, "stack_base", 1);
    const auto nmi_ist = xen_physical(*vm_, *golden, clean.text_physical, tss + 36 + 8);
    const auto original = testsupport::guest_word(vm_->ram_file(), nmi_ist);
    ASSERT_EQ(original, stack + 3 * 4096);
    const std::uint64_t moved = original - 0x100;
    std::uint8_t bytes[8], back[8];
    for (int i = 0; i < 8; ++i) bytes[i] = (moved >> (8 * i)) & 0xFF;
    for (int i = 0; i < 8; ++i) back[i] = (original >> (8 * i)) & 0xFF;
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), nmi_ist, bytes, 8);
    const auto turned = inspect::inspect_xen(*golden, ram, guest);
    testsupport::set_guest_bytes(qmp, vm_->ram_file(), nmi_ist, back, 8);
    EXPECT_FALSE(turned.intact());
    EXPECT_EQ(turned.idt_problems,
              std::vector<std::string>{"vCPU 1's TSS (Xen's CPU 1): IST 2 (NMI) is " +
                                       binary::hex_number(moved) + ", where Xen's is " +
                                       binary::hex_number(original) + " (stack_base + 0x3000)"});
    EXPECT_TRUE(inspect::inspect_xen(*golden, ram, guest).intact());
}
