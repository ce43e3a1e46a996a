// swtpm's control-channel protocol as a table: command codes, capability
// bits, request payload sizes and reply sizes (swtpm 0.7.1
// include/swtpm/tpm_ioctl.h and src/swtpm/ctrlchannel.c; what QEMU 7.2's
// tpm-emulator backend sends, backends/tpm/tpm_emulator.c). Integers are
// big-endian; a request is `u32 code ‖ payload`, a reply starts with a u32
// result. The client (SwtpmControl) and the VM's TPM multiplexer, which has
// to frame every message it relays, share this table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace drtm::tpm::swtpm_wire {

enum Command : std::uint32_t {
    kGetCapability = 0x01,
    kInit = 0x02,
    kShutdown = 0x03,
    kGetTpmEstablished = 0x04,
    kSetLocality = 0x05,
    kHashStart = 0x06,
    kHashData = 0x07,
    kHashEnd = 0x08,
    kCancelTpmCmd = 0x09,
    kStoreVolatile = 0x0A,
    kResetTpmEstablished = 0x0B,
    kGetStateBlob = 0x0C,
    kSetStateBlob = 0x0D,
    kStop = 0x0E,
    kGetConfig = 0x0F,
    kSetDataFd = 0x10,
    kSetBufferSize = 0x11,
    kGetInfo = 0x12,
    kLockStorage = 0x13,
};

// ptm_cap bits of the GET_CAPABILITY reply.
enum Capability : std::uint64_t {
    kCapInit = 1u << 0,
    kCapShutdown = 1u << 1,
    kCapGetTpmEstablished = 1u << 2,
    kCapSetLocality = 1u << 3,
    kCapHashing = 1u << 4,
    kCapCancelTpmCmd = 1u << 5,
    kCapStoreVolatile = 1u << 6,
    kCapResetTpmEstablished = 1u << 7,
    kCapGetStateBlob = 1u << 8,
    kCapSetStateBlob = 1u << 9,
    kCapStop = 1u << 10,
    kCapGetConfig = 1u << 11,
    kCapSetDataFd = 1u << 12,
    kCapSetBufferSize = 1u << 13,
    kCapGetInfo = 1u << 14,
    kCapSendCommandHeader = 1u << 15,
    kCapLockStorage = 1u << 16,
};

// Results (TPM 1.2 style codes swtpm uses on the control channel).
inline constexpr std::uint32_t kResultSuccess = 0x00;
inline constexpr std::uint32_t kResultBadParameter = 0x03;
inline constexpr std::uint32_t kResultBadOrdinal = 0x0A;  // unknown, or not now
inline constexpr std::uint32_t kResultIoError = 0x1F;
inline constexpr std::uint32_t kResultBadLocality = 0x3D;

inline constexpr std::size_t kMaxHashData = 4096;  // ptm_hdata's buffer

const char* command_name(std::uint32_t code);

// Payload bytes after the code: [min, max]. SET_LOCALITY and
// RESET_TPMESTABLISHED carry one locality byte; QEMU pads it to 4. HASH_DATA
// and SET_STATEBLOB are variable (nullopt): a length field and that many
// bytes follow. nullopt too for codes this table does not know.
struct PayloadSize {
    std::size_t min = 0;
    std::size_t max = 0;
};
std::optional<PayloadSize> request_payload(std::uint32_t code);

// Total reply bytes (result included) for `code` once its u32 result is
// known. Most replies are just the result; GET_CAPABILITY is always 8 (the
// u64 capability word, whose high half reads as result 0);
// GET_TPMESTABLISHED is 8 unless the TPM is not running (result 0x0A, 4);
// SET_BUFFERSIZE is 16 on success, 4 otherwise. nullopt: variable length
// (GET_STATEBLOB, GET_INFO), which a relay must not handle.
std::optional<std::size_t> reply_size(std::uint32_t code, std::uint32_t result);

}  // namespace drtm::tpm::swtpm_wire
