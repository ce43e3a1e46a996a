// The CLI tests' common first step: a synthetic bzImage and the test SKL
// written to DIR, launched with `drtm launch` (AMD flavour) into DIR/launch.
#pragma once

#include <filesystem>
#include <string>

#include "binary/file_io.hpp"
#include "image/synthetic_bzimage.hpp"
#include "image/test_dce.hpp"
#include "support/run_command.hpp"

namespace testsupport {

// Returns the launch-input flags (for `drtm predict`, `drtm launch`), or
// throws when the launch fails.
inline std::string launch_synthetic_amd(const std::filesystem::path& dir, const std::string& tcti) {
    using namespace drtm;
    binary::write_file_atomic(dir / "vmlinuz",
                              binary::ByteView(image_test::make_synthetic_bzimage()));
    binary::write_file_atomic(dir / "skl.bin", binary::ByteView(image::make_test_skl()));
    const std::string artifacts = " --flavour amd --dce " + quote((dir / "skl.bin").string()) +
                                  " --kernel " + quote((dir / "vmlinuz").string());
    auto r = run_command(drtm_cmd("launch --tcti " + quote(tcti) + artifacts + " --out " +
                                  quote((dir / "launch").string())));
    if (r.status != 0) throw std::runtime_error("drtm launch failed: " + r.err);
    return artifacts;
}

}  // namespace testsupport
