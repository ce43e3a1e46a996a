#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace drtm::crypto {

binary::Bytes random_bytes(std::size_t count) {
    binary::Bytes out(count);
    if (count > 0 && RAND_bytes(out.data(), static_cast<int>(count)) != 1)
        throw std::runtime_error("the random number generator failed");
    return out;
}

}  // namespace drtm::crypto
