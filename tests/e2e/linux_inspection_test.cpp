// The running Debian kernel of a real QEMU guest against its golden image:
// after the patch sites its own tables name, not one byte of .text is
// unexplained; one byte changed in the guest's kernel while it is paused is
// found and named by symbol; the guest keeps running. The golden tables
// come from the bzImage itself (ELF sections + kallsyms).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "binary/file_io.hpp"
#include "image/elf.hpp"
#include "image/kallsyms.hpp"
#include "image/vmlinux.hpp"
#include "inspect/code_compare.hpp"
#include "inspect/guest_memory.hpp"
#include "inspect/linux_patch_sites.hpp"
#include "inspect/virtual_machine.hpp"

using namespace drtm;
namespace fs = std::filesystem;

namespace {

const fs::path kArtifacts = DRTM_ARTIFACTS_DIR;
constexpr std::uint64_t kKernelMap = 0xffffffff80000000ull;

class LinuxInspection : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto v = image::extract_vmlinux(binary::read_file(kArtifacts / "vmlinuz"));
        elf_bytes_ = new binary::Bytes(std::move(v.elf));
        elf_ = new image::ElfImage(image::ElfImage::parse(*elf_bytes_));
        symbols_ = new image::KernelSymbols(image::decode_kallsyms(*elf_));
        sites_ = new std::vector<inspect::PatchSite>(inspect::linux_patch_sites(*elf_, *symbols_));
        vmlinux_ =
            fs::temp_directory_path() / ("drtm-inspect-vmlinux-" + std::to_string(::getpid()));
        binary::write_file_atomic(vmlinux_, binary::ByteView(*elf_bytes_));
    }
    static void TearDownTestSuite() {
        fs::remove(vmlinux_);
        delete sites_;
        delete symbols_;
        delete elf_;
        delete elf_bytes_;
    }
    void SetUp() override {
        inspect::VmConfig c;
        c.dir = fs::temp_directory_path() / ("drtm-inspect-" + std::to_string(::getpid()));
        fs::remove_all(c.dir);
        c.kernel = vmlinux_;
        c.initrd = kArtifacts / "guest-initrd.img";
        c.append = inspect::kDefaultLinuxAppend;
        dir_ = c.dir;
        vm_ = std::make_unique<inspect::VirtualMachine>(c);
        ASSERT_TRUE(vm_->wait_for_console("GUEST-READY", 90000)) << vm_->console();
        ram_ = std::make_unique<inspect::GuestMemory>(vm_->ram_file(), vm_->ram_size());
    }
    void TearDown() override {
        ram_.reset();
        vm_.reset();
        fs::remove_all(dir_);
    }
    inspect::CodeComparison compare(const binary::Bytes& copy) {
        const auto* text = elf_->section(".text");
        return inspect::compare_code(elf_->contents(*text), copy, text->addr, *sites_,
                                     [](std::uint64_t va) { return symbols_->symbolize(va); });
    }
    binary::Bytes copy_text() {
        const auto* text = elf_->section(".text");
        binary::Bytes copy;
        ram_->copy(text->addr - kKernelMap, text->size, copy);
        return copy;
    }

    static inline binary::Bytes* elf_bytes_;
    static inline image::ElfImage* elf_;
    static inline image::KernelSymbols* symbols_;
    static inline std::vector<inspect::PatchSite>* sites_;
    static inline fs::path vmlinux_;
    fs::path dir_;
    std::unique_ptr<inspect::VirtualMachine> vm_;
    std::unique_ptr<inspect::GuestMemory> ram_;
};

}  // namespace

TEST_F(LinuxInspection, ACleanKernelHasNoUnexplainedByte) {
    vm_->qmp().stop();
    auto copy = copy_text();
    vm_->qmp().cont();
    auto c = compare(copy);
    // Per kind, for the record (reference/runtime-inspection.md §4.3).
    std::map<std::string, int> kinds;
    for (const auto& s : *sites_) ++kinds[inspect::patch_kind_name(s.kind)];
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
    const auto function = symbols_->require("cmdline_find_option_bool");
    std::uint64_t target = function + 4;
    auto covered = [&](std::uint64_t va) {
        for (const auto& s : *sites_)
            if (va >= s.address && va < s.address + s.length) return true;
        return false;
    };
    while (covered(target)) ++target;
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
