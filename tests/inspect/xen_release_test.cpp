// The release read from hand-assembled version functions: the bytes are
// the x86-64 encodings (Intel SDM vol. 2: B8+rd id is mov r32, imm32;
// REX.W 8D /r with ModRM 05 is lea r64, [rip + disp32]; F3 0F 1E FA is
// endbr64), as Debian's xen-syms 4.17 holds them (objdump -d).
#include "inspect/xen_release.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

using namespace drtm;

namespace {

constexpr std::uint64_t kMajor = 0xffff82d040234b00ull, kMinor = 0xffff82d040234b10ull,
                        kExtra = 0xffff82d040234b20ull, kString = 0xffff82d0403a053full;

struct GoldenBytes {
    std::map<std::uint64_t, binary::Bytes> code;
    std::vector<image::KernelSymbol> symbols = {{kMajor, 'T', "xen_major_version"},
                                                {kMinor, 'T', "xen_minor_version"},
                                                {kExtra, 'T', "xen_extra_version"}};
    GoldenBytes() {
        // mov $4, %eax; jmp __x86_return_thunk
        code[kMajor] = {0xb8, 0x04, 0x00, 0x00, 0x00, 0xe9, 0x16, 0xe6, 0xfc};
        // endbr64; mov $0x11, %eax; ...
        code[kMinor] = {0xf3, 0x0f, 0x1e, 0xfa, 0xb8, 0x11, 0x00, 0x00, 0x00, 0xe9, 0, 0};
        // lea 0x16ba18(%rip), %rax: kExtra + 7 + 0x16ba18 = kString
        code[kExtra] = {0x48, 0x8d, 0x05, 0x18, 0xba, 0x16, 0x00, 0xe9, 0xf4, 0xe5, 0xfc};
        code[kString] = {'.', '7', 0, '<', 'd'};
    }
    inspect::XenRelease read() const {
        return inspect::xen_release(image::KernelSymbols(symbols),
                                    [&](std::uint64_t va, std::size_t n) -> binary::ByteView {
                                        for (const auto& [at, bytes] : code)
                                            if (va >= at && va + n <= at + bytes.size())
                                                return binary::ByteView(bytes).subspan(va - at, n);
                                        throw std::runtime_error("no bytes there");
                                    });
    }
    std::string error() const {
        try {
            read();
        } catch (const std::runtime_error& e) {
            return e.what();
        }
        return "";
    }
};

inspect::XenRelease with_extra(std::string extra) {
    return {4, 17, std::move(extra)};
}

}  // namespace

TEST(XenRelease, ReadFromTheVersionFunctions) {
    const auto r = GoldenBytes().read();
    EXPECT_EQ(r.major, 4u);
    EXPECT_EQ(r.minor, 17u);
    EXPECT_EQ(r.extra, ".7");
    EXPECT_EQ(r.text(), "4.17.7");
    EXPECT_EQ(r.patch(), std::optional<unsigned>(7));
}

TEST(XenRelease, OnlyAStableReleaseHasAPatchNumber) {
    EXPECT_EQ(with_extra(".12").patch(), std::optional<unsigned>(12));
    EXPECT_EQ(with_extra(".0").patch(), std::optional<unsigned>(0));
    EXPECT_EQ(with_extra("-pre").patch(), std::nullopt);
    EXPECT_EQ(with_extra(".3-pre").patch(), std::nullopt);
    EXPECT_EQ(with_extra("-rc").patch(), std::nullopt);
    EXPECT_EQ(with_extra("").patch(), std::nullopt);
    EXPECT_EQ(with_extra(".").patch(), std::nullopt);
}

TEST(XenRelease, FunctionsInAnotherFormAreRefused) {
    {
        GoldenBytes g;
        g.symbols.pop_back();
        EXPECT_EQ(g.error(), "the golden Xen has no xen_extra_version");
    }
    {
        GoldenBytes g;
        g.code[kMajor][0] = 0x31;  // xor
        EXPECT_EQ(g.error(),
                  "the golden Xen's xen_major_version does not start with mov $imm32, "
                  "%eax");
    }
    {
        GoldenBytes g;
        g.code[kExtra][2] = 0x0d;  // rcx
        EXPECT_EQ(g.error(),
                  "the golden Xen's xen_extra_version does not start with lea rel32(%rip), %rax");
    }
    {
        GoldenBytes g;
        g.code[kString] = {'.', 0x07, 0};
        EXPECT_EQ(g.error(), "the golden Xen's extra version string holds byte 0x7");
    }
    {
        GoldenBytes g;
        g.code[kString] = binary::Bytes(100, 'x');
        EXPECT_EQ(g.error(), "the golden Xen's extra version string has no end within 64 bytes");
    }
}
