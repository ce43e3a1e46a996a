#include "cli/commands.hpp"
namespace drtm::cli {
void register_launch(CLI::App& app) { (void)app; }
}  // namespace drtm::cli
