#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "net/static_files.hpp"
#include "temp_dir.hpp"

using namespace chat::net;
namespace fs = std::filesystem;

TEST_CASE("static paths resolve inside www only", "[static]") {
  test::temp_dir dir;
  auto root = dir.path / "www";
  fs::create_directories(root / "css");
  std::ofstream(root / "index.html") << "x";
  std::ofstream(root / "css" / "a.css") << "x";
  fs::create_symlink("/etc/hostname", root / "out");
  fs::create_symlink(root / "index.html", root / "in.html");
  auto real_root = fs::canonical(root);
  CHECK(resolve_static(root, "/") == real_root / "index.html");
  CHECK(resolve_static(root, "/index.html?v=1") == real_root / "index.html");
  CHECK(resolve_static(root, "/css/a.css") == real_root / "css" / "a.css");
  CHECK(resolve_static(root, "/css/%61.css") == real_root / "css" / "a.css");
  CHECK(resolve_static(root, "/in.html") == real_root / "index.html");
  for (auto bad : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/css/../../x",
                   "//etc/passwd", "/%2fetc/passwd", "/out", "/css", "/%zz",
                   "relative", "/a\\..\\b", "/missing"})
    CHECK_FALSE(resolve_static(root, bad));
}

TEST_CASE("content types follow the extension", "[static]") {
  CHECK(mime_type("a.html") == "text/html; charset=utf-8");
  CHECK(mime_type("a.js") == "text/javascript; charset=utf-8");
  CHECK(mime_type("a.css") == "text/css; charset=utf-8");
  CHECK(mime_type("a.bin") == "application/octet-stream");
}

TEST_CASE("each page may connect only where it needs to, and not be framed",
          "[static]") {
  auto chat = content_security_policy("www/index.html");
  CHECK(chat.find("connect-src 'self' ws: wss:;") != std::string::npos);
  CHECK(content_security_policy("www/trace.html").find("connect-src 'none';") !=
        std::string::npos);
  auto dashboard = content_security_policy("www/dashboard.html");
  CHECK(dashboard.find("connect-src 'self';") != std::string::npos);
  for (const auto& policy : {chat, dashboard}) {
    CHECK(policy.rfind("default-src 'self';", 0) == 0);
    CHECK(policy.find("frame-ancestors 'none'") != std::string::npos);
    CHECK(policy.find("unsafe") == std::string::npos);
  }
}
