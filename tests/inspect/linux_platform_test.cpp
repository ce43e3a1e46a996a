// Which boot a kernel must have had to be held to a platform's rules, by
// Linux's enum xen_domain_type (include/xen/xen.h: XEN_NATIVE 0,
// XEN_PV_DOMAIN 1, XEN_HVM_DOMAIN 2, the last for PVH too).
#include <gtest/gtest.h>

#include "inspect/linux_inspector.hpp"

using drtm::inspect::LinuxPlatform;
using drtm::inspect::platform_mismatch;

TEST(LinuxPlatform, APvGoldenNeedsAPvBoot) {
    EXPECT_EQ(platform_mismatch(LinuxPlatform::xen_pv, 1), "");
    EXPECT_NE(platform_mismatch(LinuxPlatform::xen_pv, 2).find("HVM or PVH"), std::string::npos);
    EXPECT_NE(platform_mismatch(LinuxPlatform::xen_pv, 0).find("runs natively"), std::string::npos);
    EXPECT_NE(platform_mismatch(LinuxPlatform::xen_pv, 7).find("holds 7"), std::string::npos);
}

// A native golden judges the bytes: a PV boot shows as its xen_iret jump.
TEST(LinuxPlatform, ANativeGoldenTakesAnyBoot) {
    for (std::uint32_t type : {0u, 1u, 2u, 7u})
        EXPECT_EQ(platform_mismatch(LinuxPlatform::native, type), "") << type;
}
