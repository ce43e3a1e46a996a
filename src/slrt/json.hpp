// JSON description of an SLRT for `drtm slrt show --json`. Addresses and
// 64-bit sizes are hex strings ("0x1000") so no consumer loses precision;
// small counts and PCR indices are numbers; names follow the specification.
#pragma once

#include <nlohmann/json.hpp>

#include "slrt/os_mle.hpp"
#include "slrt/table.hpp"

namespace drtm::slrt {

nlohmann::json to_json(const Entry& entry);
nlohmann::json to_json(const Table& table);
nlohmann::json to_json(const OsMleData& data);

}  // namespace drtm::slrt
