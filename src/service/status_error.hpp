// An HTTP status with its reason. The service raises it for the front end
// to send (RequestError); the client raises it for a refusal it received,
// or with status 0 when no response came at all (ClientError).
#pragma once

#include <stdexcept>
#include <string>

namespace drtm::service {

class StatusError : public std::runtime_error {
  public:
    StatusError(int status, const std::string& reason)
        : std::runtime_error(reason), status_(status) {}
    int status() const noexcept { return status_; }

  private:
    int status_;
};

using RequestError = StatusError;
using ClientError = StatusError;

}  // namespace drtm::service
