// A small DRTM launch for service tests: an SKL TPM 2.0 log with the DLME
// measured into PCR 17 and its configuration into PCR 18, and the PCR 17-22
// values a TPM would hold after it (computed by replaying the log, whose
// replay is itself tested against real logs and OpenSSL elsewhere).
#pragma once

#include <string>

#include "eventlog/drtm_logs.hpp"
#include "eventlog/event.hpp"
#include "eventlog/log_appender.hpp"
#include "eventlog/parse.hpp"
#include "eventlog/replay.hpp"

namespace testsupport {

struct SyntheticLaunch {
    drtm::binary::Bytes log;
    drtm::eventlog::PcrValues pcrs;
};

inline SyntheticLaunch synthetic_launch(const std::string& kernel = "kernel image") {
    using namespace drtm;
    const std::vector<crypto::HashAlg> banks = {crypto::HashAlg::sha1, crypto::HashAlg::sha256};
    SyntheticLaunch s;
    s.log = eventlog::make_skl_tpm20_log(0x1000000, 4096);
    eventlog::LogAppender appender(s.log);
    auto bytes = [](const std::string& t) {
        return binary::ByteView(reinterpret_cast<const std::uint8_t*>(t.data()), t.size());
    };
    appender.append(eventlog::measure_event(17, 0x00000404, banks, bytes(kernel), "DLME"));
    appender.append(
        eventlog::measure_event(18, 0x0000040a, banks, bytes("console=ttyS0"), "cmdline"));
    auto replayed = eventlog::replay(eventlog::parse_event_log(s.log));
    for (const auto& bank : replayed.banks)
        for (std::uint32_t pcr = 17; pcr <= 22; ++pcr) s.pcrs[bank.alg][pcr] = bank.pcrs[pcr].value;
    return s;
}

}  // namespace testsupport
