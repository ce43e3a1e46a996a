#include "tpm/swtpm_wire.hpp"

namespace drtm::tpm::swtpm_wire {

const char* command_name(std::uint32_t code) {
    switch (code) {
        case kGetCapability:
            return "GET_CAPABILITY";
        case kInit:
            return "INIT";
        case kShutdown:
            return "SHUTDOWN";
        case kGetTpmEstablished:
            return "GET_TPMESTABLISHED";
        case kSetLocality:
            return "SET_LOCALITY";
        case kHashStart:
            return "HASH_START";
        case kHashData:
            return "HASH_DATA";
        case kHashEnd:
            return "HASH_END";
        case kCancelTpmCmd:
            return "CANCEL_TPM_CMD";
        case kStoreVolatile:
            return "STORE_VOLATILE";
        case kResetTpmEstablished:
            return "RESET_TPMESTABLISHED";
        case kGetStateBlob:
            return "GET_STATEBLOB";
        case kSetStateBlob:
            return "SET_STATEBLOB";
        case kStop:
            return "STOP";
        case kGetConfig:
            return "GET_CONFIG";
        case kSetDataFd:
            return "SET_DATAFD";
        case kSetBufferSize:
            return "SET_BUFFERSIZE";
        case kGetInfo:
            return "GET_INFO";
        case kLockStorage:
            return "LOCK_STORAGE";
    }
    return "unknown control command";
}

std::optional<PayloadSize> request_payload(std::uint32_t code) {
    switch (code) {
        case kGetCapability:
        case kShutdown:
        case kGetTpmEstablished:
        case kHashStart:
        case kHashEnd:
        case kCancelTpmCmd:
        case kStoreVolatile:
        case kStop:
        case kGetConfig:
        case kSetDataFd:
            return PayloadSize{0, 0};
        case kInit:
        case kSetBufferSize:
        case kLockStorage:
            return PayloadSize{4, 4};
        case kSetLocality:
        case kResetTpmEstablished:
            return PayloadSize{1, 4};
        case kGetStateBlob:
            return PayloadSize{12, 12};
        case kGetInfo:
            return PayloadSize{16, 16};
        default:
            return std::nullopt;  // HASH_DATA, SET_STATEBLOB: length-prefixed; unknown codes
    }
}

std::optional<std::size_t> reply_size(std::uint32_t code, std::uint32_t result) {
    switch (code) {
        case kGetCapability:
            return 8;
        case kGetTpmEstablished:
            return result == kResultBadOrdinal ? 4 : 8;
        case kSetBufferSize:
            return result == kResultSuccess ? 16 : 4;
        case kGetConfig:
            return result == kResultSuccess ? 8 : 4;
        case kGetStateBlob:
        case kGetInfo:
            if (result != kResultSuccess) return 4;
            return std::nullopt;
        default:
            return 4;
    }
}

}  // namespace drtm::tpm::swtpm_wire
