// Safe resolution of URL paths to files under the www directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
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

/// The Content-Security-Policy header for a file. Each page may connect only
/// where it needs to; a header rather than a <meta> tag, so that one place
/// holds the policy and it can forbid framing.
std::string content_security_policy(const std::filesystem::path& file);

} // namespace chat::net
