#include "cli/commands.hpp"
namespace drtm::cli {
void register_image(CLI::App& app) { (void)app; }
}  // namespace drtm::cli
