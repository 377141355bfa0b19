// Safe resolution of URL paths to files under the www directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace chat::net {

/// The file under `root` that `target` (the request target, query included)
/// names, or nothing. `/` is `index.html`. Refused: malformed escapes, `..`
/// segments (also encoded as %2e%2e), backslashes, NUL, directories, and any
/// path whose real location (symlinks resolved) is outside `root`.
std::optional<std::filesystem::path>
resolve_static(const std::filesystem::path& root, std::string_view target);

/// The Content-Type for a file, by extension.
std::string_view mime_type(const std::filesystem::path& file);

} // namespace chat::net
