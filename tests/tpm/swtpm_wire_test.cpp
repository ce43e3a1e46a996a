// The control-protocol table against swtpm 0.7.1's ctrlchannel.c and QEMU
// 7.2's tpm_emulator.c (the reply sizes QEMU reads; swtpm's short error
// replies), as tabulated in the research notes for the multiplexer.
#include "tpm/swtpm_wire.hpp"

#include <gtest/gtest.h>

using namespace drtm::tpm::swtpm_wire;

TEST(SwtpmWire, ReplySizesFollowTheResult) {
    EXPECT_EQ(reply_size(kGetCapability, 0), 8u);  // the u64 capability word
    EXPECT_EQ(reply_size(kGetTpmEstablished, 0), 8u);
    EXPECT_EQ(reply_size(kGetTpmEstablished, kResultBadOrdinal), 4u);  // TPM not running
    EXPECT_EQ(reply_size(kSetBufferSize, 0), 16u);                     // result, size, min, max
    EXPECT_EQ(reply_size(kSetBufferSize, kResultBadOrdinal), 4u);
    EXPECT_EQ(reply_size(kInit, 0), 4u);
    EXPECT_EQ(reply_size(kSetDataFd, kResultIoError), 4u);
    EXPECT_FALSE(reply_size(kGetStateBlob, 0));  // variable: never relayed
    EXPECT_EQ(reply_size(kGetStateBlob, kResultBadOrdinal), 4u);
}

TEST(SwtpmWire, RequestPayloads) {
    EXPECT_EQ(request_payload(kInit)->min, 4u);
    EXPECT_EQ(request_payload(kSetLocality)->min, 1u);  // drtm and tpm2-tss
    EXPECT_EQ(request_payload(kSetLocality)->max, 4u);  // QEMU pads to sizeof(ptm_loc)
    EXPECT_EQ(request_payload(kSetDataFd)->max, 0u);    // the descriptor rides as SCM_RIGHTS
    EXPECT_FALSE(request_payload(kHashData));           // length-prefixed
    EXPECT_FALSE(request_payload(0x99));
    EXPECT_STREQ(command_name(kHashStart), "HASH_START");
    EXPECT_EQ(kCapGetStateBlob | kCapSetStateBlob, 0x300u);
}
