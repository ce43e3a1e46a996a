// Code pointers of the ro_after_init window, on a hand-built window of
// words: golden values, functions the boot re-points them to (at link
// addresses where the relocation table was undone, at runtime addresses
// elsewhere) and cleared ones pass; a pointer into the middle of a function
// or a code pointer aimed out of .text is reported where it lies; data
// pointers and skipped tables are not looked at.
#include "inspect/code_pointers.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

using namespace drtm;
using inspect::CodePointerRules;

namespace {

constexpr std::uint64_t kText = 0xffffffff81000000ull, kTextEnd = 0xffffffff82000000ull;
constexpr std::uint64_t kWindow = 0xffffffff82800000ull;
constexpr std::uint64_t kFnA = kText + 0x1000, kFnB = kText + 0x2000, kFnC = kText + 0x3000;
constexpr std::int64_t kDelta = 0x1e000000;  // a KASLR offset
constexpr std::uint64_t kHeap = 0xffff888003a1c000ull;

struct Window {
    binary::Bytes golden = binary::Bytes(8 * 16), found = binary::Bytes(8 * 16);
    void set(binary::Bytes& b, std::size_t offset, std::uint64_t v) {
        std::memcpy(b.data() + offset, &v, 8);
    }
};

CodePointerRules rules(const std::vector<std::uint64_t>& relocated) {
    static std::vector<std::uint64_t> keep;  // the rules view it; one test at a time
    keep = relocated;
    CodePointerRules r;
    r.text_start = kText;
    r.text_end = kTextEnd;
    r.is_function = [](std::uint64_t va) { return va == kFnA || va == kFnB || va == kFnC; };
    r.symbolize = [](std::uint64_t va) {
        const std::uint64_t fn = va >= kFnC ? kFnC : va >= kFnB ? kFnB : kFnA;
        return std::string(fn == kFnA   ? "fn_a"
                           : fn == kFnB ? "fn_b"
                                        : "fn_c") +
               "+0x" + std::to_string(va - fn);
    };
    r.virtual_delta = kDelta;
    r.relocated = keep;
    return r;
}

TEST(CodePointers, WhatTheBootWritesPasses) {
    Window w;
    // 0: relocated, unchanged (undone to its link value).
    w.set(w.golden, 0, kFnA);
    w.set(w.found, 0, kFnA);
    // 8: relocated, re-pointed at boot to another function (undone).
    w.set(w.golden, 8, kFnA);
    w.set(w.found, 8, kFnB);
    // 16: zero in the image, a function at its runtime address now.
    w.set(w.found, 16, kFnC + kDelta);
    // 24: relocated, cleared at boot (undoing the relocation took the
    // offset off the 0 the guest holds).
    w.set(w.golden, 24, kFnB);
    w.set(w.found, 24, 0 - static_cast<std::uint64_t>(kDelta));
    // 32: a data pointer to the heap, set at boot.
    w.set(w.found, 32, kHeap);
    const auto check = inspect::check_code_pointers(w.golden, w.found, kWindow,
                                                    rules({kWindow, kWindow + 8, kWindow + 24}));
    EXPECT_EQ(check.words, 16u);
    EXPECT_EQ(check.code_pointers, 4u);
    EXPECT_EQ(check.set_at_boot, 3u);
    EXPECT_TRUE(check.problems.empty());
}

TEST(CodePointers, AGadgetOrAPointerOutOfTheImageIsReported) {
    Window w;
    // 8: relocated, now into the middle of fn_b.
    w.set(w.golden, 8, kFnA);
    w.set(w.found, 8, kFnB + 0x10);
    // 24: not relocated, now the runtime address of the middle of fn_c.
    w.set(w.found, 24, kFnC + 0x7 + kDelta);
    // 32: not relocated, now a value in .text's link range that is not in
    // the kernel's runtime range: a runtime address below the image.
    w.set(w.found, 32, kFnA);
    // 40: relocated, a code pointer aimed at the heap (already undone:
    // the copy holds the runtime value minus the offset).
    w.set(w.golden, 40, kFnC);
    w.set(w.found, 40, kHeap - kDelta);
    const auto check = inspect::check_code_pointers(w.golden, w.found, kWindow,
                                                    rules({kWindow + 8, kWindow + 40}));
    ASSERT_EQ(check.problems.size(), 3u);
    EXPECT_EQ(check.set_at_boot, 0u);  // 32 is no pointer into the running .text
    EXPECT_EQ(check.code_pointers, 3u);
    EXPECT_EQ(check.problems[0].address, kWindow + 8);
    EXPECT_NE(check.problems[0].what.find("middle of a function: fn_b+0x16"), std::string::npos)
        << check.problems[0].what;
    EXPECT_EQ(check.problems[1].address, kWindow + 24);
    EXPECT_NE(check.problems[1].what.find("fn_c+0x7"), std::string::npos);
    EXPECT_EQ(check.problems[1].found, kFnC + 0x7 + kDelta);  // as the guest holds it
    EXPECT_EQ(check.problems[2].address, kWindow + 40);
    EXPECT_NE(check.problems[2].what.find("fn_c+0x0"), std::string::npos);
    EXPECT_NE(check.problems[2].what.find("0xffff888003a1c000"), std::string::npos)
        << check.problems[2].what;
}

TEST(CodePointers, UnalignedRelocatedFieldsAreCheckedAndSkippedTablesAreNot) {
    Window w;
    // A packed structure's pointer at offset 12, listed by the relocations.
    w.set(w.golden, 12, kFnA);
    w.set(w.found, 12, kFnA + 3);
    // A table checked elsewhere holds what would be a gadget.
    w.set(w.found, 64, kFnA + 1 + kDelta);
    auto r = rules({kWindow + 12});
    r.skip.emplace_back(kWindow + 64, kWindow + 80);
    const auto check = inspect::check_code_pointers(w.golden, w.found, kWindow, r);
    ASSERT_EQ(check.problems.size(), 1u);
    EXPECT_EQ(check.problems[0].address, kWindow + 12);
}

TEST(CodePointers, AnImageLoadedWhereItWasLinkedNeedsNoRelocations) {
    Window w;  // Xen: no KASLR, no relocation table.
    w.set(w.found, 0, kFnB);
    w.set(w.found, 8, kFnB + 1);
    auto r = rules({});
    r.virtual_delta = 0;
    const auto check = inspect::check_code_pointers(w.golden, w.found, kWindow, r);
    EXPECT_EQ(check.set_at_boot, 1u);
    ASSERT_EQ(check.problems.size(), 1u);
    EXPECT_EQ(check.problems[0].address, kWindow + 8);
}

}  // namespace

namespace {

// Module code (or a BPF program) did not exist when the window was sealed:
// a word aimed there is refused even where the image held no code pointer.
TEST(CodePointers, APointerIntoTheModuleAreaIsReported) {
    Window w;
    w.set(w.found, 32, 0xffffffffc0a01230ull);  // was 0
    w.set(w.golden, 40, kFnA);
    w.set(w.found, 40, 0xffffffffc0a01230ull - kDelta);  // relocated, undone
    auto r = rules({kWindow + 40});
    r.loaded_later = {{0xffffffffc0000000ull, 0xffffffffff000000ull}};
    const auto check = inspect::check_code_pointers(w.golden, w.found, kWindow, r);
    ASSERT_EQ(check.problems.size(), 2u);
    EXPECT_EQ(check.problems[0].address, kWindow + 32);
    EXPECT_EQ(check.problems[0].what,
              "points where code is loaded after boot (modules, BPF): 0xffffffffc0a01230");
    EXPECT_EQ(check.problems[1].address, kWindow + 40);
    EXPECT_EQ(check.problems[1].found, 0xffffffffc0a01230ull);
}

}  // namespace
