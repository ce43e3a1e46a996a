// The running Debian kernel of a real QEMU guest against its golden image:
// after the patch sites its own tables name, not one byte of .text is
// unexplained; one byte changed in the guest's kernel while it is paused is
// found and named by symbol; the guest keeps running. The golden tables
// come from the bzImage itself (ELF sections + kallsyms).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "binary/file_io.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "image/vmlinux.hpp"
#include "inspect/code_compare.hpp"
#include "inspect/gdb_remote.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_inspector.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/virtual_machine.hpp"
#include "support/debian_guest.hpp"
#include "support/gdb_session.hpp"
#include "support/hmp_registers.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;
constexpr std::uint64_t kKernelMap = 0xffffffff80000000ull;

class LinuxInspection : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        golden_ =
            inspect::LinuxGolden::from_bzimage(binary::read_file(kArtifacts / "vmlinuz")).release();
    }
    static void TearDownTestSuite() { delete golden_; }
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("drtm-inspect-" + std::to_string(::getpid()));
        vm_ = testsupport::boot_debian_guest(dir_);
        ram_ = std::make_unique<inspect::GuestMemory>(vm_->ram_file(), vm_->ram_size());
    }
    void TearDown() override {
        ram_.reset();
        vm_.reset();
        fs::remove_all(dir_);
    }
    // As inspect_linux does: only sites in an allowed form explain bytes.
    inspect::CodeComparison compare(const binary::Bytes& copy, std::size_t* rejected = nullptr,
                                    const inspect::PointerValues* pointers = nullptr) {
        const auto* text = golden_->elf().section(".text");
        const auto golden = golden_->elf().contents(*text);
        auto sites = inspect::validate_sites(golden, copy, text->addr, golden_->sites(),
                                             golden_->site_forms(), pointers);
        if (rejected) *rejected = sites.rejected.size();
        auto c = inspect::compare_code(
            golden, copy, text->addr, sites.allowed,
            [](std::uint64_t va) { return golden_->symbols().symbolize(va); });
        inspect::note_rejected_sites(c, sites.rejected, sites.reasons);
        return c;
    }
    // The first site of `kind` in `function`'s first `span` bytes.
    static inspect::PatchSite site_in(const char* function, inspect::PatchKind kind,
                                      std::uint64_t span = 0x400) {
        const auto start = golden_->symbols().require(function);
        for (const auto& s : golden_->sites())
            if (s.kind == kind && s.address >= start && s.address < start + span) return s;
        throw std::runtime_error(std::string("no such site in ") + function);
    }
    binary::Bytes copy_text() {
        const auto* text = golden_->elf().section(".text");
        binary::Bytes copy;
        ram_->copy(text->addr - kKernelMap, text->size, copy);
        return copy;
    }

    static inline inspect::LinuxGolden* golden_;
    fs::path dir_;
    std::unique_ptr<inspect::VirtualMachine> vm_;
    std::unique_ptr<inspect::GuestMemory> ram_;
};

}  // namespace

TEST_F(LinuxInspection, ACleanKernelHasNoUnexplainedByte) {
    vm_->qmp().stop();
    auto copy = copy_text();
    vm_->qmp().cont();
    std::size_t rejected = 0;
    auto c = compare(copy, &rejected);
    EXPECT_EQ(rejected, 0u) << "sites in a form the kernel does not write";
    // Per kind, for the record (reference/runtime-inspection.md §4.3).
    std::map<std::string, int> kinds;
    for (const auto& s : golden_->sites()) ++kinds[inspect::patch_kind_name(s.kind)];
    for (const auto& [k, n] : kinds) std::cout << "  " << k << ": " << n << " sites\n";
    std::cout << "  raw: " << c.pages_identical_raw << "/" << c.pages << " pages identical, "
              << c.bytes_differing << " bytes differ; unexplained: " << c.bytes_unexplained << "\n";
    EXPECT_GT(c.bytes_differing, 0u);  // the kernel did patch itself
    EXPECT_LT(c.pages_identical_raw, c.pages);
    EXPECT_EQ(c.bytes_unexplained, 0u);
    for (const auto& r : c.unexplained)
        ADD_FAILURE() << "unexplained at " << r.symbol << " (" << r.found.size() << " bytes)";
}

TEST_F(LinuxInspection, OneChangedByteIsFoundAndNamed) {
    // A byte of cmdline_find_option_bool that no patch site covers.
    const std::uint64_t target = testsupport::plain_byte_of(*golden_, "cmdline_find_option_bool");
    const off_t offset = static_cast<off_t>(target - kKernelMap);

    const int fd = ::open(vm_->ram_file().c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    vm_->qmp().stop();
    std::uint8_t original = 0;
    ASSERT_EQ(::pread(fd, &original, 1, offset), 1);
    const std::uint8_t changed = original ^ 0xFF;
    ASSERT_EQ(::pwrite(fd, &changed, 1, offset), 1);
    auto copy = copy_text();
    // Put it back before the guest runs: it never executes the change.
    ASSERT_EQ(::pwrite(fd, &original, 1, offset), 1);
    vm_->qmp().cont();
    ::close(fd);

    auto c = compare(copy);
    EXPECT_FALSE(c.intact());
    EXPECT_EQ(c.bytes_unexplained, 1u);
    ASSERT_EQ(c.unexplained.size(), 1u);
    EXPECT_EQ(c.unexplained[0].address, target);
    EXPECT_EQ(c.unexplained[0].symbol.rfind("cmdline_find_option_bool+0x", 0), 0u)
        << c.unexplained[0].symbol;
    EXPECT_EQ(c.unexplained[0].expected, binary::Bytes{original});
    EXPECT_EQ(c.unexplained[0].found, binary::Bytes{changed});

    // The guest keeps running after the inspection.
    const auto before = vm_->console().size();
    EXPECT_TRUE(vm_->wait_for_console("TICK", 1000));
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    EXPECT_GT(vm_->console().size(), before);
}

// Hooks where the kernel itself rewrites code: a call into the attacker's
// choice placed in an ftrace site, a return site turned into a jump, and a
// static call aimed into the middle of a function. Each is reported, named
// by symbol and by the kind of site it abuses.
TEST_F(LinuxInspection, HooksInPatchSitesAreReported) {
    const auto commit_creds = golden_->symbols().require("commit_creds");
    struct Hook {
        inspect::PatchSite site;
        binary::Bytes bytes;
        const char* kind;
        std::string reason = "";  // in the note too, when not empty
    };
    auto rel32 = [](std::uint8_t op, std::uint64_t at, std::uint64_t to) {
        const auto rel = static_cast<std::uint32_t>(to - (at + 5));
        return binary::Bytes{
            op, static_cast<std::uint8_t>(rel), static_cast<std::uint8_t>(rel >> 8),
            static_cast<std::uint8_t>(rel >> 16), static_cast<std::uint8_t>(rel >> 24)};
    };
    std::vector<Hook> hooks;
    auto f = site_in("cmdline_find_option_bool", inspect::PatchKind::ftrace);
    hooks.push_back({f, rel32(0xE8, f.address, commit_creds), "ftrace"});
    auto r = site_in("cmdline_find_option_bool", inspect::PatchKind::return_thunk);
    hooks.push_back({r, rel32(0xE9, r.address, commit_creds), "return thunk"});
    // Any static call site: the guest is paused and restored before it runs.
    inspect::PatchSite sc{};
    for (const auto& s : golden_->sites())
        if (s.kind == inspect::PatchKind::static_call) {
            sc = s;
            break;
        }
    hooks.push_back({sc, rel32(0xE8, sc.address, commit_creds + 1), "static call"});
    // Another one aimed at commit_creds itself: a function start, so the form
    // is allowed, but its key's trampoline goes elsewhere.
    for (const auto& s : golden_->sites())
        if (s.kind == inspect::PatchKind::static_call && s.address > sc.address + 16 &&
            s.target != 0 && golden_->elf().bytes_at(s.address, 1)[0] == 0xE8) {
            hooks.push_back({s, rel32(0xE8, s.address, commit_creds), "static call",
                             "this static call goes to commit_creds, but its key's __SCT__"});
            break;
        }
    ASSERT_EQ(hooks.size(), 4u);
    // A paravirt call the kernel made direct, aimed at another function start:
    // a form the kernel writes, but not to what its pv_ops slot holds.
    const int fd = ::open(vm_->ram_file().c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    auto read_guest = [&](std::uint64_t va, std::size_t n) {
        binary::Bytes b(n);
        EXPECT_EQ(::pread(fd, b.data(), n, static_cast<off_t>(va - kKernelMap)),
                  static_cast<ssize_t>(n));
        return b;
    };
    auto overlaps_other_site = [&](const inspect::PatchSite& pv) {
        for (const auto& s : golden_->sites())
            if (s.kind != inspect::PatchKind::paravirt && s.address < pv.address + pv.length &&
                pv.address < s.address + s.length)
                return true;
        return false;
    };
    inspect::PointerValues slots;
    for (auto slot : golden_->paravirt_slots()) {
        const auto b = read_guest(slot, 8);
        std::uint64_t v = 0;
        std::memcpy(&v, b.data(), 8);
        slots[slot] = v;
    }
    for (const auto& s : golden_->sites())
        if (s.kind == inspect::PatchKind::paravirt && s.target && s.length >= 5 &&
            slots.contains(s.target) && slots[s.target] != commit_creds &&
            read_guest(s.address, 1)[0] == 0xE8 && !overlaps_other_site(s)) {
            hooks.push_back(
                {s, rel32(0xE8, s.address, commit_creds), "paravirt",
                 "this paravirt call goes to commit_creds, but its pv_ops slot holds "});
            break;
        }
    if (hooks.size() != 5u) ::close(fd);
    ASSERT_EQ(hooks.size(), 5u) << "no direct paravirt call in the guest";

    vm_->qmp().stop();
    std::vector<binary::Bytes> saved;
    for (const auto& h : hooks) {
        const off_t at = static_cast<off_t>(h.site.address - kKernelMap);
        binary::Bytes old(h.bytes.size());
        ASSERT_EQ(::pread(fd, old.data(), old.size(), at), static_cast<ssize_t>(old.size()));
        saved.push_back(old);
        ASSERT_EQ(::pwrite(fd, h.bytes.data(), h.bytes.size(), at),
                  static_cast<ssize_t>(h.bytes.size()));
    }
    auto copy = copy_text();
    for (std::size_t i = 0; i < hooks.size(); ++i)
        ASSERT_EQ(::pwrite(fd, saved[i].data(), saved[i].size(),
                           static_cast<off_t>(hooks[i].site.address - kKernelMap)),
                  static_cast<ssize_t>(saved[i].size()));
    vm_->qmp().cont();
    ::close(fd);

    std::size_t rejected = 0;
    auto c = compare(copy, &rejected, &slots);
    EXPECT_FALSE(c.intact());
    EXPECT_EQ(rejected, hooks.size());
    for (const auto& h : hooks) {
        bool reported = false;
        for (const auto& region : c.unexplained)
            if (region.address >= h.site.address && region.address < h.site.address + 5) {
                reported = true;
                EXPECT_NE(region.note.find(std::string("in a ") + h.kind + " site"),
                          std::string::npos)
                    << region.note;
                EXPECT_NE(region.note.find(h.reason), std::string::npos) << region.note;
                EXPECT_EQ(region.symbol.rfind(
                              golden_->symbols().symbolize(h.site.address).substr(0, 8), 0),
                          0u)
                    << region.symbol;
            }
        EXPECT_TRUE(reported) << h.kind << " hook at "
                              << golden_->symbols().symbolize(h.site.address) << " not reported";
    }
}

// The jump table in the ro_after_init window, which the kernel sorted at
// boot: one entry's target changed by one is found where it lies, named by
// the table, and .text stays explained.
TEST_F(LinuxInspection, AChangedJumpTableEntryIsFound) {
    const std::uint64_t entry = golden_->symbols().require("__start___jump_table") + 16 * 10;
    const std::uint64_t offset = entry + 4 - kKernelMap;  // the target field's low byte
    const auto original = testsupport::guest_byte(vm_->ram_file(), offset);
    testsupport::set_guest_byte(vm_->qmp(), vm_->ram_file(), offset, original ^ 0x01);
    const auto changed = inspect::inspect_linux(*golden_, *ram_, {vm_->qmp(), vm_->gdb_socket()});
    testsupport::set_guest_byte(vm_->qmp(), vm_->ram_file(), offset, original);
    EXPECT_FALSE(changed.intact());
    EXPECT_EQ(changed.text.bytes_unexplained, 0u);
    ASSERT_EQ(changed.rodata.unexplained.size(), 1u);
    EXPECT_EQ(changed.rodata.unexplained[0].address, entry);
    EXPECT_EQ(changed.rodata.unexplained[0].symbol, "__start___jump_table+0xa0");
    EXPECT_EQ(changed.rodata.bytes_unexplained, 16u);
    const auto restored = inspect::inspect_linux(*golden_, *ram_, {vm_->qmp(), vm_->gdb_socket()});
    EXPECT_TRUE(restored.intact());
}

// The code pointers of the ro_after_init window: the boot re-points some
// (ops tables filled in for this platform), none of the clean guest's
// points anywhere but a function start. One of x86_platform's, aimed into
// the middle of its function and then out of the kernel, is found and
// named each time; put back, the guest is intact again.
TEST_F(LinuxInspection, CodePointersWrittenAfterBootAreFound) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    const auto clean = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(clean.intact());
    const auto& p = clean.code_pointers;
    std::cout << "  ro_after_init: " << p.words << " words, " << p.code_pointers
              << " code pointers, " << p.set_at_boot << " re-pointed at boot\n";
    EXPECT_GT(p.code_pointers, 100u);
    EXPECT_GT(p.set_at_boot, 0u);  // the boot did fill ops tables in
    EXPECT_TRUE(p.problems.empty());

    // x86_platform's first field the golden image initialises with a
    // function (calibrate_cpu, used only at boot).
    const auto base = golden_->symbols().require("x86_platform");
    ASSERT_GE(base, golden_->ro_after_init_start());
    const auto* text = golden_->elf().section(".text");
    std::uint64_t word = 0;
    for (std::uint64_t at = base; at < base + 0x100 && !word; at += 8) {
        std::uint64_t v = 0;
        std::memcpy(&v, golden_->elf().bytes_at(at, 8).data(), 8);
        if (text->contains(v)) word = at;
    }
    ASSERT_NE(word, 0u);
    ASSERT_LT(word + 8, golden_->ro_after_init_end());
    const std::uint64_t offset = word - kKernelMap;
    const std::uint64_t original = testsupport::guest_word(vm_->ram_file(), offset);
    ASSERT_TRUE(golden_->site_forms().is_function(original)) << std::hex << original;

    struct Case {
        std::uint64_t value;
        const char* what;
    };
    for (const auto& c : {Case{original + 1, "into the middle of a function"},
                          Case{0xffff888000100000ull, "outside the image's .text"}}) {
        testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), offset, &c.value, 8);
        const auto hooked = inspect::inspect_linux(*golden_, *ram_, guest);
        testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), offset, &original, 8);
        EXPECT_FALSE(hooked.intact());
        EXPECT_EQ(hooked.text.bytes_unexplained, 0u);
        ASSERT_EQ(hooked.rodata.unexplained.size(), 1u) << c.what;
        const auto& region = hooked.rodata.unexplained[0];
        EXPECT_EQ(region.address, word);
        EXPECT_EQ(region.symbol.rfind("x86_platform", 0), 0u) << region.symbol;
        EXPECT_NE(region.note.find(c.what), std::string::npos) << region.note;
        EXPECT_EQ(hooked.rodata.bytes_unexplained, 8u);
        // The measurement keeps what was found, not the golden bytes.
        std::uint64_t measured = 0;
        std::memcpy(&measured, hooked.rodata_normalised.data() + (word - golden_->rodata().addr),
                    8);
        EXPECT_EQ(measured, c.value);
    }
    EXPECT_TRUE(inspect::inspect_linux(*golden_, *ram_, guest).intact());
}

// The LSM hook lists of the running kernel: on the clean guest every
// registered hook is on its list. Yama's prctl hook re-pointed at
// capabilities' (same signature, so the guest survives the change) is
// found; so is the hook taken off its list (the blinding a rootkit does).
TEST_F(LinuxInspection, TamperedLsmHooksAreFound) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    ASSERT_TRUE(golden_->lsm_hooks().has_value());
    const auto& lsm = *golden_->lsm_hooks();
    const auto clean = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(clean.intact());
    ASSERT_TRUE(clean.lsm_hooks.has_value());
    std::cout << "  LSM: " << clean.lsm_hooks->hooks << " hooks, " << clean.lsm_hooks->registered
              << " registered on " << clean.lsm_hooks->lists << " lists\n";
    EXPECT_GT(clean.lsm_hooks->registered, 0u);
    EXPECT_TRUE(clean.lsm_hooks->problems.empty());

    auto node_calling = [&](const char* function) {
        const auto fn = golden_->symbols().require(function);
        for (const auto& n : lsm.nodes)
            if (n.hook == fn) return n;
        throw std::runtime_error(std::string("no LSM hook calls ") + function);
    };
    const auto yama = node_calling("yama_task_prctl");
    const auto cap = node_calling("cap_task_prctl");
    ASSERT_EQ(yama.head, cap.head);
    auto read_word = [&](std::uint64_t va) {
        return testsupport::guest_word(vm_->ram_file(), va - kKernelMap);
    };
    auto write_word = [&](std::uint64_t va, std::uint64_t v) {
        testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), va - kKernelMap, &v, 8);
    };
    ASSERT_NE(read_word(yama.address + 32), 0u) << "Yama is not registered in the guest";

    write_word(yama.address + 24, cap.hook);
    const auto repointed = inspect::inspect_linux(*golden_, *ram_, guest);
    write_word(yama.address + 24, yama.hook);
    EXPECT_FALSE(repointed.intact());
    ASSERT_EQ(repointed.rodata.unexplained.size(), 1u);
    EXPECT_EQ(repointed.rodata.unexplained[0].address, yama.address + 24);
    EXPECT_NE(repointed.rodata.unexplained[0].note.find("now calls cap_task_prctl"),
              std::string::npos)
        << repointed.rodata.unexplained[0].note;

    // Unlinked as hlist_del does it (the guest runs without the kernel
    // at its link address, so runtime and link addresses agree).
    const auto next = read_word(yama.address), pprev = read_word(yama.address + 8);
    write_word(pprev, next);
    if (next) write_word(next + 8, pprev);
    const auto unhooked = inspect::inspect_linux(*golden_, *ram_, guest);
    if (next) write_word(next + 8, yama.address);
    write_word(pprev, yama.address);
    EXPECT_FALSE(unhooked.intact());
    ASSERT_FALSE(unhooked.rodata.unexplained.empty());
    bool found = false;
    for (const auto& region : unhooked.rodata.unexplained)
        if (region.address == yama.address) {
            found = true;
            EXPECT_NE(region.note.find("registered but not on its list: unhooked"),
                      std::string::npos)
                << region.note;
            EXPECT_EQ(region.symbol.rfind("yama_hooks", 0), 0u) << region.symbol;
        }
    EXPECT_TRUE(found);
    EXPECT_TRUE(inspect::inspect_linux(*golden_, *ram_, guest).intact());
}

// Jump labels follow their keys' counts, read in the pause: one site of a
// key with several, in TCP code the guest does not run, turned to its
// other form (a jmp to its target where the key says nop, or the nop) is
// refused with what its key says; put back, the guest is intact again.
TEST_F(LinuxInspection, AJumpLabelAgainstItsKeyIsReported) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    std::map<std::uint64_t, int> sites_per_key;
    for (const auto& s : golden_->sites())
        if (s.kind == inspect::PatchKind::jump_label) ++sites_per_key[s.key];
    std::optional<inspect::PatchSite> site;
    for (const auto& s : golden_->sites())
        if (s.kind == inspect::PatchKind::jump_label && s.length == 5 &&
            sites_per_key[s.key] >= 3 &&
            golden_->symbols().symbolize(s.address).rfind("tcp_", 0) == 0) {
            site = s;
            break;
        }
    ASSERT_TRUE(site.has_value()) << "no jump label in TCP code";
    const std::uint64_t offset = site->address - kKernelMap;
    std::uint8_t original[5];
    for (int i = 0; i < 5; ++i) original[i] = testsupport::guest_byte(vm_->ram_file(), offset + i);
    std::uint8_t other[5] = {0x0F, 0x1F, 0x44, 0x00, 0x00};  // the 5-byte nop
    if (original[0] != 0xE9) {
        const auto rel = static_cast<std::uint32_t>(site->target - (site->address + 5));
        other[0] = 0xE9;
        std::memcpy(other + 1, &rel, 4);
    }
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), offset, other, 5);
    const auto flipped = inspect::inspect_linux(*golden_, *ram_, guest);
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), offset, original, 5);
    EXPECT_FALSE(flipped.intact());
    EXPECT_EQ(flipped.sites_rejected, 1u);
    ASSERT_EQ(flipped.text.unexplained.size(), 1u);
    const auto& region = flipped.text.unexplained[0];
    EXPECT_GE(region.address, site->address);
    EXPECT_LT(region.address, site->address + 5);
    const auto key = golden_->symbols().symbolize(site->key);
    EXPECT_NE(region.note.find("in a jump label site"), std::string::npos) << region.note;
    EXPECT_NE(region.note.find("but its key " + key + " is"), std::string::npos) << region.note;
    EXPECT_NE(region.note.find("(count "), std::string::npos) << region.note;
    std::cout << "  " << region.symbol << ": " << region.note << "\n";
    EXPECT_TRUE(inspect::inspect_linux(*golden_, *ram_, guest).intact());
}

// A guest booted from the bzImage, so the decompressor randomised where the
// kernel lives (KASLR): found by its stable bytes, its virtual offset voted
// by relocation fields, the relocations undone; intact, and one changed
// byte still named by its link-time symbol.
TEST(KaslrLinuxInspection, ARandomisedKernelIsLocatedAndInspected) {
    auto golden = inspect::LinuxGolden::from_bzimage(binary::read_file(kArtifacts / "vmlinuz"));
    const fs::path dir = fs::temp_directory_path() / ("drtm-kaslr-" + std::to_string(::getpid()));
    // The decompressor picks one of ~475 2 MiB virtual slots, slot 0 (no
    // offset) included, so about one boot in 475 legitimately keeps the link
    // address. Such a boot is inspected too, then the guest is booted again
    // until the offset path (vote, undo relocations) is exercised.
    std::unique_ptr<inspect::VirtualMachine> vm;
    std::optional<inspect::GuestMemory> ram;
    std::optional<inspect::QmpClient> qmp;
    inspect::LinuxInspection clean;
    for (int boot = 0; boot < 3; ++boot) {
        qmp.reset();
        ram.reset();
        vm.reset();
        vm = testsupport::boot_debian_guest(dir, /*kaslr=*/true);
        ram.emplace(vm->ram_file(), vm->ram_size());
        qmp.emplace(vm->inspector_qmp_socket());
        clean = inspect::inspect_linux(*golden, *ram, {*qmp, vm->gdb_socket()});
        EXPECT_TRUE(clean.intact());
        EXPECT_EQ(clean.mapping_problem, "");
        if (clean.placement.virtual_delta != 0) break;
    }
    EXPECT_TRUE(clean.intact());
    EXPECT_EQ(clean.sites_rejected, 0u);
    ASSERT_NE(clean.placement.virtual_delta, 0) << "three boots without a virtual offset";
    EXPECT_NE(clean.text_physical, 0x1000000u);
    EXPECT_EQ(clean.placement.text_physical % (2u << 20), 0u);
    EXPECT_EQ(clean.placement.delta_votes, clean.placement.delta_voters);
    // The vCPU's page tables map the randomised addresses onto that copy.
    EXPECT_NE(clean.cr3, 0u);
    EXPECT_EQ(clean.mapping_problem, "");
    // Normalised, it is the golden .text: the PCR 19 an intact guest predicts.
    const auto* text = golden->elf().section(".text");
    const auto golden_text = golden->elf().contents(*text);
    EXPECT_TRUE(std::equal(golden_text.begin(), golden_text.end(), clean.text_normalised.begin()));

    // One byte of cmdline_find_option_bool, at its randomised place; put
    // back once inspected.
    const std::uint64_t target = testsupport::plain_byte_of(*golden, "cmdline_find_option_bool");
    const std::uint64_t offset = clean.text_physical + (target - text->addr);
    const std::uint8_t original = testsupport::guest_byte(vm->ram_file(), offset);
    testsupport::set_guest_byte(*qmp, vm->ram_file(), offset, original ^ 0xFF);
    auto modified = inspect::inspect_linux(*golden, *ram, {*qmp, vm->gdb_socket()});
    testsupport::set_guest_byte(*qmp, vm->ram_file(), offset, original);
    EXPECT_FALSE(modified.intact());
    ASSERT_EQ(modified.text.unexplained.size(), 1u);
    EXPECT_EQ(modified.text.unexplained[0].address, target);
    EXPECT_EQ(modified.text.unexplained[0].symbol.rfind("cmdline_find_option_bool+0x", 0), 0u);
    qmp.reset();
    ram.reset();
    vm.reset();
    fs::remove_all(dir);
}

// Two vCPUs: the registers the inspector reads in its pause through QEMU's
// gdbstub are the ones QEMU's monitor shows (`info registers -a`, read in
// the same pause), whether a vCPU runs with paging on or still waits to be
// started; an inspection reads both and walks the page tables of the one
// that runs the kernel.
TEST(MultiVcpuLinuxInspection, TheGdbstubReadsWhatTheMonitorShows) {
    const auto dir = fs::temp_directory_path() / ("drtm-inspect-smp-" + std::to_string(::getpid()));
    auto vm = testsupport::boot_debian_guest(dir, /*kaslr=*/false, /*cpus=*/2);
    inspect::QmpClient qmp(vm->inspector_qmp_socket());
    const auto vcpus = qmp.execute("query-cpus-fast");
    ASSERT_EQ(vcpus.size(), 2u);
    qmp.stop();
    const auto monitor = testsupport::hmp_paging(
        qmp.execute("human-monitor-command", {{"command-line", "info registers -a"}})
            .get<std::string>());
    std::vector<inspect::VcpuPaging> gdb;
    {
        inspect::GdbRemote remote(vm->gdb_socket());
        const int cpus[] = {0, 1};
        remote.request_paging(cpus);
        gdb = remote.receive_paging();
    }
    EXPECT_EQ(qmp.status(), "paused");  // a debugger that leaves does not resume the guest
    qmp.cont();
    ASSERT_EQ(monitor.size(), 2u);
    ASSERT_EQ(gdb.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(gdb[i].cr3, monitor[i].cr3) << "vCPU " << i;
        EXPECT_EQ(gdb[i].paging, (monitor[i].cr0 & 0x80000000u) != 0) << "vCPU " << i;
    }
    EXPECT_TRUE(gdb[0].paging);
    EXPECT_NE(gdb[0].cr3, 0u);
    // With acpi=off and no firmware MP table (PVH boot) the kernel finds no
    // second CPU: vCPU 1 still waits for its start-up IPI, paging off.
    EXPECT_FALSE(gdb[1].paging);

    auto golden = inspect::LinuxGolden::from_bzimage(binary::read_file(kArtifacts / "vmlinuz"));
    inspect::GuestMemory ram(vm->ram_file(), vm->ram_size());
    const auto r = inspect::inspect_linux(*golden, ram, {qmp, vm->gdb_socket()});
    EXPECT_TRUE(r.intact()) << r.mapping_problem;
    EXPECT_EQ(r.vcpus, 2u);
    EXPECT_EQ(r.mapping_problem, "");
    EXPECT_EQ(qmp.status(), "running");

    vm.reset();
    fs::remove_all(dir);
}

// The IDT of the running kernel, read in the pause: on the clean guest
// every one of its 256 gates is what the golden kernel's tables leave
// there. A gate turned to another exception handler of the image (vector
// 9, coprocessor segment overrun, which no x86-64 CPU raises), then opened
// to user mode, is found and named; put back, the guest is intact again.
TEST_F(LinuxInspection, ATurnedIdtGateIsFound) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    const auto clean = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(clean.intact()) << clean.mapping_problem;
    EXPECT_EQ(clean.idt_gates, 256u);
    EXPECT_TRUE(clean.idt_problems.empty());

    const auto& symbols = golden_->symbols();
    const auto gate9 = symbols.require("idt_table") + 9 * 16 - kKernelMap;
    std::uint8_t original[16];
    for (int i = 0; i < 16; ++i) original[i] = testsupport::guest_byte(vm_->ram_file(), gate9 + i);
    // Offset bits 15:0 at bytes 0-1, 31:16 at 6-7, 63:32 at 8-11.
    auto target_of = [](const std::uint8_t* g) {
        return std::uint64_t(g[0]) | std::uint64_t(g[1]) << 8 | std::uint64_t(g[6]) << 16 |
               std::uint64_t(g[7]) << 24 | std::uint64_t(g[8]) << 32 | std::uint64_t(g[9]) << 40 |
               std::uint64_t(g[10]) << 48 | std::uint64_t(g[11]) << 56;
    };
    const auto coproc = symbols.require("asm_exc_coproc_segment_overrun");
    ASSERT_EQ(target_of(original) - clean.placement.virtual_delta, coproc);

    std::uint8_t turned[16];
    std::memcpy(turned, original, 16);
    const auto divide = symbols.require("asm_exc_divide_error") +
                        static_cast<std::uint64_t>(clean.placement.virtual_delta);
    turned[0] = divide & 0xFF, turned[1] = (divide >> 8) & 0xFF;
    turned[6] = (divide >> 16) & 0xFF, turned[7] = (divide >> 24) & 0xFF;
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), gate9, turned, 16);
    const auto hooked = inspect::inspect_linux(*golden_, *ram_, guest);
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), gate9, original, 16);
    EXPECT_FALSE(hooked.intact());
    EXPECT_TRUE(hooked.mapping_problem.empty()) << hooked.mapping_problem;
    EXPECT_EQ(hooked.idt_problems,
              std::vector<std::string>{
                  "IDT vector 9: points at asm_exc_divide_error, where the golden kernel sets "
                  "asm_exc_coproc_segment_overrun (def_idts)"});

    std::memcpy(turned, original, 16);
    turned[5] |= 3 << 5;  // DPL 3
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), gate9, turned, 16);
    const auto opened = inspect::inspect_linux(*golden_, *ram_, guest);
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), gate9, original, 16);
    EXPECT_FALSE(opened.intact());
    ASSERT_EQ(opened.idt_problems.size(), 1u);
    EXPECT_EQ(opened.idt_problems[0].rfind("IDT vector 9: DPL 3", 0), 0u) << opened.idt_problems[0];

    EXPECT_TRUE(inspect::inspect_linux(*golden_, *ram_, guest).intact());
}

namespace {

// What `info registers` shows as vCPU 0's IDT base (QEMU's monitor, read
// independently of the inspector's parser).
std::uint64_t monitor_idt_base(inspect::QmpClient& qmp) {
    const auto dump = qmp.execute("human-monitor-command", {{"command-line", "info registers"}})
                          .get<std::string>();
    const auto bases = testsupport::hmp_register_values(dump, "IDT=     ");
    if (bases.size() != 1) throw std::runtime_error("no IDT= line in the monitor's dump");
    return bases[0];
}

// Makes vCPU 0 load an IDTR of `base` and limit 0xfff the way ring-0 code
// would: LIDT in a few bytes written over a handler no x86-64 CPU raises
// (vector 9's), entered by aiming the vCPU's RIP at them from kernel mode;
// they jump back to where it was. A halted vCPU runs them once an
// interrupt wakes it (the interrupt returns to the new RIP). The bytes are
// put back through the gdbstub, which drops QEMU's translation of them.
void load_idtr(inspect::VirtualMachine& vm, const inspect::LinuxGolden& golden,
               std::int64_t virtual_delta, std::uint64_t base) {
    const auto stub = golden.symbols().require("asm_exc_coproc_segment_overrun") +
                      static_cast<std::uint64_t>(virtual_delta);
    // lidt [rip+5]; jmp rel32 back; <limit, base>. A direct jump: an
    // indirect one needs an endbr64 at its target where IBT is enforced.
    constexpr std::size_t kSize = 7 + 5 + 10;
    ASSERT_EQ(golden.symbols()
                  .symbolize(stub + kSize - 1 - static_cast<std::uint64_t>(virtual_delta))
                  .rfind("asm_exc_coproc_segment_overrun+", 0),
              0u)
        << "the stub is shorter than the bytes written over it";
    std::string original;
    for (int attempt = 0;; ++attempt) {
        ASSERT_LT(attempt, 200) << "vCPU 0 was never found in kernel mode";
        testsupport::GdbSession gdb(vm.gdb_socket());
        if ((gdb.register_value(testsupport::GdbSession::kCs) & 3) != 0) {
            gdb.detach();  // a user process ran: try again
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        const auto rip = gdb.register_value(testsupport::GdbSession::kRip);
        original = gdb.read_memory(stub, kSize);
        std::string code = "\x0f\x01\x1d";
        code += std::string("\x05\x00\x00\x00", 4);  // disp32 = 5: the descriptor
        // Kernel text is within 2 GiB of itself.
        const auto back = static_cast<std::uint32_t>(rip - (stub + 12));
        code += "\xe9";
        for (int i = 0; i < 4; ++i) code += static_cast<char>((back >> (8 * i)) & 0xff);
        code += "\xff\x0f";  // limit 0xfff
        for (int i = 0; i < 8; ++i) code += static_cast<char>((base >> (8 * i)) & 0xff);
        ASSERT_EQ(code.size(), kSize);
        gdb.write_memory(stub, code);
        gdb.write_register(testsupport::GdbSession::kRip, stub);
        gdb.detach();
        break;
    }
    auto& qmp = vm.qmp();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (monitor_idt_base(qmp) != base) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "vCPU 0 never ran the LIDT";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // Paused between the lidt and the jmp, it is let run on a little.
    for (int attempt = 0;; ++attempt) {
        ASSERT_LT(attempt, 100) << "vCPU 0 stays in the written bytes";
        testsupport::GdbSession gdb(vm.gdb_socket());
        const auto rip = gdb.register_value(testsupport::GdbSession::kRip);
        if (rip >= stub && rip < stub + kSize) {
            gdb.detach();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        gdb.write_memory(stub, original);
        gdb.detach();
        break;
    }
}

}  // namespace

// What only the CPU holds: a vCPU running with CR0.WP clear (ring 0 then
// writes through every read-only mapping, the kernel's code included) and
// a vCPU whose IDTR was loaded with another table (here idt_table through
// the kernel image's own mapping, so the guest keeps working: every gate
// there still checks, but it is not the read-only alias) are each found
// and named; put back, the guest is intact again.
TEST_F(LinuxInspection, AVcpuWithoutWriteProtectOrOffTheReadOnlyIdtIsFound) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    const auto clean = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(clean.intact()) << clean.mapping_problem;
    EXPECT_EQ(clean.vcpus_paging, 1u);
    EXPECT_EQ(clean.idtrs_checked, std::optional<std::size_t>(1));
    EXPECT_EQ(monitor_idt_base(vm_->qmp()), 0xfffffe0000000000ull);

    constexpr std::uint64_t kWriteProtect = 1u << 16;
    std::uint64_t cr0 = 0;
    {
        testsupport::GdbSession gdb(vm_->gdb_socket());
        cr0 = gdb.register_value(testsupport::GdbSession::kCr0);
        ASSERT_NE(cr0 & kWriteProtect, 0u);
        gdb.write_register(testsupport::GdbSession::kCr0, cr0 & ~kWriteProtect);
        gdb.detach();
    }
    const auto unprotected = inspect::inspect_linux(*golden_, *ram_, guest);
    {
        testsupport::GdbSession gdb(vm_->gdb_socket());
        gdb.write_register(testsupport::GdbSession::kCr0, cr0);
        gdb.detach();
    }
    EXPECT_FALSE(unprotected.intact());
    EXPECT_EQ(unprotected.write_protect_problems,
              std::vector<std::string>{"vCPU 0: CR0.WP is clear: ring 0 writes through read-only "
                                       "mappings, the code compared included"});
    EXPECT_TRUE(unprotected.idt_problems.empty());

    const auto delta = clean.placement.virtual_delta;
    const auto own_mapping =
        golden_->symbols().require("idt_table") + static_cast<std::uint64_t>(delta);
    load_idtr(*vm_, *golden_, delta, own_mapping);
    const auto moved = inspect::inspect_linux(*golden_, *ram_, guest);
    load_idtr(*vm_, *golden_, delta, 0xfffffe0000000000ull);
    EXPECT_FALSE(moved.intact());
    EXPECT_TRUE(moved.text.intact()) << "the written bytes were not put back";
    char expected[200];
    std::snprintf(expected, sizeof expected,
                  "vCPU 0: IDTR holds base 0x%llx limit 0xfff, where the golden kernel loads its "
                  "IDT's read-only alias 0xfffffe0000000000 limit 0xfff",
                  static_cast<unsigned long long>(own_mapping));
    EXPECT_EQ(moved.idt_problems, std::vector<std::string>{expected});

    const auto restored = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(restored.intact()) << inspect::findings_text(restored);
}

// vCPU 0's TSS, where its TR points (the read-only alias in its
// cpu_entry_area; QEMU's monitor gives TR and, through gva2gpa, the page
// behind it): the NMI's stack pointer moved 256 bytes down (still on that
// stack, so an NMI would still run) is found and named; put back, the
// guest is intact again.
TEST_F(LinuxInspection, AStackTurnedInTheTssIsFound) {
    const auto guest = inspect::GuestControl{vm_->qmp(), vm_->gdb_socket()};
    const auto clean = inspect::inspect_linux(*golden_, *ram_, guest);
    EXPECT_TRUE(clean.intact()) << clean.mapping_problem;
    EXPECT_EQ(clean.tss_checked, std::optional<std::size_t>(1));

    auto monitor = [&](const std::string& command) {
        return vm_->qmp()
            .execute("human-monitor-command", {{"command-line", command}})
            .get<std::string>();
    };
    // "TR =0040 fffffe0000003000 00004087 ...": selector, base, limit.
    const auto registers = monitor("info registers");
    const auto tr_line = registers.find("TR =");
    ASSERT_NE(tr_line, std::string::npos) << registers;
    const auto tr = std::stoull(registers.substr(tr_line + 9, 16), nullptr, 16);
    ASSERT_EQ(tr >> 40, 0xfffffeu) << std::hex << tr;  // in the cpu_entry_area
    const auto nmi_ist_va = tr + 36 + 8;               // IST 2
    const auto gpa_text = monitor("gva2gpa " + binary::hex_number(nmi_ist_va));
    ASSERT_NE(gpa_text.find("gpa: 0x"), std::string::npos) << gpa_text;
    const auto nmi_ist = std::stoull(gpa_text.substr(gpa_text.find("gpa: 0x") + 7), nullptr, 16);
    const auto original = testsupport::guest_word(vm_->ram_file(), nmi_ist);
    ASSERT_EQ(original % 4096, 0u) << std::hex << original;
    ASSERT_GT(original, tr);

    const std::uint64_t moved = original - 0x100;
    std::uint8_t bytes[8], back[8];
    for (int i = 0; i < 8; ++i) bytes[i] = (moved >> (8 * i)) & 0xFF;
    for (int i = 0; i < 8; ++i) back[i] = (original >> (8 * i)) & 0xFF;
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), nmi_ist, bytes, 8);
    const auto turned = inspect::inspect_linux(*golden_, *ram_, guest);
    testsupport::set_guest_bytes(vm_->qmp(), vm_->ram_file(), nmi_ist, back, 8);
    EXPECT_FALSE(turned.intact());
    EXPECT_EQ(turned.idt_problems,
              std::vector<std::string>{
                  "vCPU 0's TSS: IST 2 (vector 2's stack) is " + binary::hex_number(moved) +
                  ", not the top of an exception stack in the CPU's cpu_entry_area (page-aligned, "
                  "within 0x40000 bytes above its TSS at " +
                  binary::hex_number(tr) + ", above the IST before it)"});
    EXPECT_TRUE(inspect::inspect_linux(*golden_, *ram_, guest).intact());
}
