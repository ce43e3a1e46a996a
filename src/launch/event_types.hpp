// DRTM event types the emulated stages log (reference/formats.md §5).
#pragma once

#include <cstdint>

namespace drtm::launch::evtype {

inline constexpr std::uint32_t kPcrMapping = 0x401;
inline constexpr std::uint32_t kHashStart = 0x402;
inline constexpr std::uint32_t kMleHash = 0x404;
inline constexpr std::uint32_t kBiosAcRegData = 0x40A;
inline constexpr std::uint32_t kCpuScrtmStat = 0x40B;
inline constexpr std::uint32_t kLcpControlHash = 0x40C;
inline constexpr std::uint32_t kStmHash = 0x40E;
inline constexpr std::uint32_t kOsSinitDataCapHash = 0x40F;
inline constexpr std::uint32_t kSinitPubkeyHash = 0x410;
inline constexpr std::uint32_t kLcpDetailsHash = 0x412;
inline constexpr std::uint32_t kLcpAuthoritiesHash = 0x413;
inline constexpr std::uint32_t kNvInfoHash = 0x414;
inline constexpr std::uint32_t kSecureLaunch = 0x502;
inline constexpr std::uint32_t kSlaunchStart = 0x503;
inline constexpr std::uint32_t kSlaunchEnd = 0x504;

}  // namespace drtm::launch::evtype
