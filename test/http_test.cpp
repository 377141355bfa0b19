// PROTOCOL.md "Endpoints": static files, /healthz, /metrics, the upgrade path.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

#include "e2e.hpp"
#include "raw_socket.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;
namespace fs = std::filesystem;

TEST_CASE("GET / serves index.html as HTML", "[e2e][http]") {
  test_server srv;
  auto res = http_get(srv.port(), "/");
  CHECK(res.status == 200);
  CHECK(res.content_type == "text/html; charset=utf-8");
  CHECK(res.body.find("<html") != std::string::npos);
  // The policy comes as a header: the page itself carries none.
  CHECK(res.content_security_policy.find("connect-src 'self' ws: wss:;") !=
        std::string::npos);
  CHECK(res.body.find("Content-Security-Policy") == std::string::npos);
}

TEST_CASE("files under www/ are served with their Content-Type",
          "[e2e][http]") {
  test_server srv;
  auto js = http_get(srv.port(), "/app.js");
  CHECK(js.status == 200);
  CHECK(js.content_type == "text/javascript; charset=utf-8");
  auto css = http_get(srv.port(), "/style.css");
  CHECK(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  auto head = http_get(srv.port(), "/index.html", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
}

TEST_CASE("paths out of www/ get 404: .., encoded %2e%2e, absolute, symlink",
          "[e2e][http]") {
  temp_dir dir; // holds www/ and, beside it, the secret
  auto www = dir.path / "www";
  fs::create_directories(www / "sub");
  std::ofstream(www / "index.html") << "<html>inside</html>";
  std::ofstream(www / "sub" / "ok.txt") << "inside";
  auto secret = dir.path / "actorchat-secret.txt";
  std::ofstream(secret) << "secret";
  fs::create_symlink(secret, www / "leak.txt");
  test_server srv{[&](auto& o) { o.www = www.string(); }};
  auto secret_name = secret.filename().string();
  CHECK(http_get(srv.port(), "/sub/ok.txt").status == 200);
  for (const std::string& target : std::vector<std::string>{
           "/../" + secret_name, "/sub/../../" + secret_name,
           "/%2e%2e/" + secret_name, "/%2E%2E%2F" + secret_name,
           "/sub/%2e%2e/%2e%2e/" + secret_name, "//etc/passwd",
           "/%2Fetc/passwd", "/leak.txt", "/%00index.html",
           "/..%5c" + secret_name, "/sub", "/nope.html"}) {
    INFO(target);
    auto res = http_get(srv.port(), target);
    CHECK(res.status == 404);
    CHECK(res.body.find("secret") == std::string::npos);
  }
}

TEST_CASE("/healthz answers 200 ok", "[e2e][http]") {
  test_server srv;
  auto res = http_get(srv.port(), "/healthz");
  CHECK(res.status == 200);
  CHECK(res.body == "ok\n");
}

TEST_CASE("/metrics exposes every fixed name in Prometheus text format",
          "[e2e][http]") {
  e2e t;
  t.login("alice"); // one session, one room
  auto res = http_get(t.srv.port(), "/metrics");
  CHECK(res.status == 200);
  CHECK(res.content_type.rfind("text/plain", 0) == 0);
  for (const char* name :
       {"# TYPE chat_sessions gauge", "# TYPE chat_rooms gauge",
        "chat_messages_total{kind=\"broadcast\"}",
        "chat_messages_total{kind=\"private\"}", "chat_deliveries_total",
        "chat_errors_total{code=\"bad_json\"}",
        "chat_disconnects_total{reason=\"reset\"}"}) {
    INFO(name);
    CHECK(res.body.find(name) != std::string::npos);
  }
  CHECK(t.srv.metric("chat_sessions") == 1);
  CHECK(t.srv.metric("chat_rooms") == 1);
  // The standard process metrics, so any tool can compute cost per delivery.
  CHECK(t.srv.metric("process_resident_memory_bytes") > 1e6);
  CHECK(t.srv.metric("process_cpu_seconds_total") >= 0);
}

TEST_CASE("/ws/<name> without an upgrade gets 426", "[e2e][http]") {
  test_server srv;
  CHECK(http_get(srv.port(), "/ws/alice").status == 426);
}

TEST_CASE("other methods get 405", "[e2e][http]") {
  test_server srv;
  CHECK(http_get(srv.port(), "/", "DELETE").status == 405);
}

TEST_CASE("keep-alive serves several requests on one connection",
          "[e2e][http]") {
  test_server srv;
  raw_socket sock{srv.port()};
  CHECK(healthz_ok(sock));
  CHECK(healthz_ok(sock));
}
