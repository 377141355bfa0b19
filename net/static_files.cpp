#include "net/static_files.hpp"

#include <algorithm>
#include <string>
#include <system_error>

#include "net/percent.hpp"

namespace chat::net {

namespace fs = std::filesystem;

std::optional<fs::path> resolve_static(const fs::path& root,
                                       std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  if (target.empty() || target.front() != '/')
    return std::nullopt;
  auto decoded = percent_decode(target);
  if (!decoded)
    return std::nullopt;
  std::string rel = decoded->substr(1);
  if (rel.empty())
    rel = "index.html";
  if (rel.find('\0') != std::string::npos ||
      rel.find('\\') != std::string::npos || rel.front() == '/')
    return std::nullopt;
  for (const auto& part : fs::path{rel})
    if (part == "..")
      return std::nullopt;
  std::error_code ec;
  auto real_root = fs::canonical(root, ec);
  if (ec)
    return std::nullopt;
  auto real = fs::canonical(real_root / rel, ec);
  if (ec || !fs::is_regular_file(real, ec))
    return std::nullopt;
  // Symlinks may point anywhere: the resolved path must stay under root.
  auto [root_end, real_it] = std::mismatch(real_root.begin(), real_root.end(),
                                           real.begin(), real.end());
  if (root_end != real_root.end())
    return std::nullopt;
  return real;
}

std::string_view mime_type(const fs::path& file) {
  struct mime {
    std::string_view ext, type;
  };
  static constexpr mime types[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  auto ext = file.extension().string();
  for (const auto& m : types)
    if (ext == m.ext)
      return m.type;
  return "application/octet-stream";
}

std::string content_security_policy(const fs::path& file) {
  auto name = file.filename().string();
  std::string_view connect = "'self'"; // the dashboard polls /metrics
  if (name == "index.html")
    connect = "'self' ws: wss:"; // the chat's WebSocket
  else if (name == "trace.html")
    connect = "'none'"; // it reads a file the user picks
  // The rest holds for every page: scripts and styles from this server only,
  // no plugins, no <base>, no form posts, and no framing.
  return "default-src 'self'; connect-src " + std::string{connect} +
         "; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
         "form-action 'none'; frame-ancestors 'none'";
}

} // namespace chat::net
