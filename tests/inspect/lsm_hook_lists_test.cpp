// LSM hook lists on a hand-built window: security_hook_heads with three
// heads, two LSMs' hook arrays (one registered, laid out as
// security_add_hooks() links it, one never registered) at a KASLR offset.
// As booted it passes; a re-pointed hook, a node spliced in from outside,
// a hook unlinked, a wrong back link and a loop are each reported.
#include "inspect/lsm_hook_lists.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace drtm;

namespace {

constexpr std::uint64_t kWindow = 0xffffffff82a00000ull;
constexpr std::uint64_t kHeads = kWindow;         // 3 heads
constexpr std::uint64_t kAlpha = kWindow + 0x40;  // 3 hooks, registered
constexpr std::uint64_t kBeta = kAlpha + 3 * 40;  // 2 hooks, not registered
constexpr std::uint64_t kEnd = kBeta + 2 * 40 + 8;
constexpr std::uint64_t kText = 0xffffffff81000000ull, kTextEnd = 0xffffffff82000000ull;
constexpr std::uint64_t kFn = kText + 0x100;  // hook i calls kFn + 0x10 * i
constexpr std::uint64_t kName = 0xffffffff82200000ull;
constexpr std::int64_t kDelta = 0x2c000000;

const image::KernelSymbols& symbols() {
    static const image::KernelSymbols s({{kText, 'T', "_text"},
                                         {kHeads, 'D', "security_hook_heads"},
                                         {kAlpha, 'd', "alpha_hooks"},
                                         {kBeta, 'd', "beta_hooks"},
                                         {kEnd, 'd', "after"}});
    return s;
}

// The same window with beta's array under another name.
image::KernelSymbols symbols_with_beta_named(const char* name) {
    return image::KernelSymbols({{kText, 'T', "_text"},
                                 {kHeads, 'D', "security_hook_heads"},
                                 {kAlpha, 'd', "alpha_hooks"},
                                 {kBeta, 'd', name},
                                 {kEnd, 'd', "after"}});
}

std::string symbolize(std::uint64_t va) {
    return symbols().symbolize(va);
}

struct Window {
    binary::Bytes golden = binary::Bytes(kEnd - kWindow), found;
    std::uint64_t get(std::uint64_t va) const {
        std::uint64_t v;
        std::memcpy(&v, found.data() + (va - kWindow), 8);
        return v;
    }
    static void put(binary::Bytes& b, std::uint64_t va, std::uint64_t v) {
        std::memcpy(b.data() + (va - kWindow), &v, 8);
    }
    void set(std::uint64_t va, std::uint64_t v) { put(found, va, v); }
    static std::uint64_t runtime(std::uint64_t link) { return link + kDelta; }

    // Hooks: alpha 0 → head 0, alpha 1 → head 1, alpha 2 → head 1;
    // beta 0 → head 1, beta 1 → head 2.
    Window() {
        const std::pair<std::uint64_t, int> nodes[] = {
            {kAlpha, 0}, {kAlpha + 40, 1}, {kAlpha + 80, 1}, {kBeta, 1}, {kBeta + 40, 2}};
        int i = 0;
        for (const auto& [node, head] : nodes) {
            put(golden, node + 16, kHeads + 8 * head);
            put(golden, node + 24, kFn + 0x10 * i++);
        }
        found = golden;
        // security_add_hooks(alpha_hooks, 3, "alpha"): lsm set, each appended.
        for (std::uint64_t node : {kAlpha, kAlpha + 40, kAlpha + 80})
            set(node + 32, kName + kDelta);
        set(kHeads, runtime(kAlpha));
        set(kAlpha + 8, runtime(kHeads));
        set(kHeads + 8, runtime(kAlpha + 40));
        set(kAlpha + 40 + 8, runtime(kHeads + 8));
        set(kAlpha + 40, runtime(kAlpha + 80));
        set(kAlpha + 80 + 8, runtime(kAlpha + 40));
    }
    inspect::LsmHookCheck check(const image::KernelSymbols& names = symbols()) const {
        const auto hooks = inspect::find_lsm_hooks(golden, kWindow, names, kText, kTextEnd);
        EXPECT_TRUE(hooks.has_value());
        return inspect::check_lsm_hooks(*hooks, found, kWindow, kDelta, symbolize);
    }
};

TEST(LsmHookLists, TheImageNamesItsHooks) {
    const Window w;
    const auto hooks = inspect::find_lsm_hooks(w.golden, kWindow, symbols(), kText, kTextEnd);
    ASSERT_TRUE(hooks.has_value());
    EXPECT_EQ(hooks->heads_start, kHeads);
    EXPECT_EQ(hooks->heads_end, kAlpha);
    ASSERT_EQ(hooks->nodes.size(), 5u);
    EXPECT_EQ(hooks->nodes[3].address, kBeta);
    EXPECT_EQ(hooks->nodes[3].head, kHeads + 8);
    EXPECT_EQ(hooks->nodes[3].hook, kFn + 0x30);
    EXPECT_EQ(hooks->nodes[3].array, kBeta);
    EXPECT_EQ(hooks->nodes[2].array, kAlpha);
    // No security_hook_heads in the window: nothing to check.
    EXPECT_FALSE(
        inspect::find_lsm_hooks(w.golden, kWindow + 8, image::KernelSymbols({}), kText, kTextEnd));
}

TEST(LsmHookLists, ListsAsTheBootLinkedThemPass) {
    const auto c = Window().check();
    EXPECT_EQ(c.hooks, 5u);
    EXPECT_EQ(c.registered, 3u);
    EXPECT_EQ(c.lists, 2u);
    EXPECT_EQ(c.registered_arrays, std::vector<std::string>{"alpha_hooks"});
    EXPECT_TRUE(c.problems.empty()) << c.problems.front().what;
}

// Capabilities are always registered: their array off every list is
// reported (an LSM switched off whole otherwise looks never enabled).
TEST(LsmHookLists, CapabilitiesOffTheirListsAreReported) {
    const auto c = Window().check(symbols_with_beta_named("capability_hooks"));
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].address, kBeta);
    EXPECT_EQ(c.problems[0].what,
              "capabilities' LSM hooks are on no list, but Linux always registers them");
}

TEST(LsmHookLists, ARepointedHookIsReported) {
    Window w;
    w.set(kAlpha + 40 + 24, kFn + 0x20);  // another hook's function of the image
    const auto c = w.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].address, kAlpha + 40 + 24);
    EXPECT_NE(c.problems[0].what.find("alpha_hooks+0x28"), std::string::npos) << c.problems[0].what;
    EXPECT_NE(c.problems[0].what.find("now calls _text+0x120"), std::string::npos);
}

TEST(LsmHookLists, ANodeSplicedInFromOutsideIsReported) {
    Window w;
    w.set(kAlpha + 80, 0xffff888004a10000ull);  // alpha 2's next: a heap node
    const auto c = w.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].address, kAlpha + 80);
    EXPECT_NE(c.problems[0].what.find("0xffff888004a10000, which is no LSM hook"),
              std::string::npos)
        << c.problems[0].what;
}

TEST(LsmHookLists, AnUnlinkedHookIsReported) {
    Window w;
    w.set(kAlpha + 40, 0);  // hlist_del of alpha 2, the tail
    auto c = w.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].address, kAlpha + 80);
    EXPECT_EQ(c.problems[0].size, inspect::kLsmHookSize);
    EXPECT_NE(c.problems[0].what.find("is registered but not on its list: unhooked"),
              std::string::npos);
    // ... and with its lsm cleared too, still: its LSM's other hooks are on.
    w.set(kAlpha + 80 + 32, 0);
    c = w.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_NE(c.problems[0].what.find("an LSM whose other hooks are"), std::string::npos);
}

TEST(LsmHookLists, WrongBackLinksLoopsAndForeignListsAreReported) {
    Window w;
    w.set(kAlpha + 80 + 8, Window::runtime(kHeads + 8));  // should point at alpha 1's next
    auto c = w.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_EQ(c.problems[0].address, kAlpha + 80 + 8);
    EXPECT_NE(c.problems[0].what.find("back link"), std::string::npos);

    Window loop;
    loop.set(kAlpha + 80, Window::runtime(kAlpha + 40));
    c = loop.check();
    ASSERT_FALSE(c.problems.empty());
    EXPECT_NE(c.problems[0].what.find("comes back to alpha_hooks+0x28"), std::string::npos)
        << c.problems[0].what;

    Window moved;  // alpha 0, a head-0 hook, spliced onto head 2's list
    moved.set(kHeads + 16, Window::runtime(kAlpha));
    moved.set(kHeads, 0);
    moved.set(kAlpha + 8, Window::runtime(kHeads + 16));
    c = moved.check();
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_NE(c.problems[0].what.find("a hook of security_hook_heads"), std::string::npos)
        << c.problems[0].what;
}

}  // namespace

// The measured set: array names without "_hooks", once each, sorted (the
// three Landlock arrays are one LSM); names given bare mean the same.
TEST(LsmHookLists, TheSetMeasuredIsTheLsmNamesSorted) {
    EXPECT_EQ(inspect::lsm_set({"capability_hooks", "landlock_hooks", "apparmor_hooks",
                                "landlock_hooks", "landlock_hooks", "bpf_lsm_hooks"}),
              "apparmor bpf_lsm capability landlock");
    EXPECT_EQ(inspect::lsm_set({"landlock", "apparmor_hooks", "capability", "bpf_lsm"}),
              "apparmor bpf_lsm capability landlock");
    EXPECT_EQ(inspect::lsm_set({}), "");
}

// Landlock registers three arrays under one name: one of them taken off
// its lists whole while the others stay on theirs is reported (here beta
// is alpha's second array).
TEST(LsmHookLists, AnArrayOffItsListsBesideOneOfTheSameLsmIsReported) {
    const auto c = Window().check(symbols_with_beta_named("alpha_hooks"));
    ASSERT_EQ(c.problems.size(), 2u);
    EXPECT_EQ(c.problems[0].address, kBeta);
    EXPECT_EQ(c.problems[1].address, kBeta + 40);
    EXPECT_NE(c.problems[0].what.find("one of an LSM whose other hooks are but not on its list"),
              std::string::npos)
        << c.problems[0].what;
}
