// Mutual TLS between nodes (--cluster-cert, --cluster-key, --cluster-ca)
// with real processes: a CA and node certificates made with the openssl
// command at test time. Nodes of one CA link and chat; a node whose
// certificate another CA signed gets no link, and its attempts leave the
// good nodes' links up (docs/CLUSTER.md, "Security of the links").
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "cluster_fixture.hpp"
#include "server_metrics.hpp"
#include "temp_dir.hpp"

using namespace test;
using namespace client;

namespace {

/// Runs a shell command quietly; true if it succeeded.
bool sh(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

/// A self-signed CA `name`.pem/.key in `dir`.
void make_ca(const std::filesystem::path& dir, const std::string& name) {
  auto base = (dir / name).string();
  REQUIRE(sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" +
             name + " -keyout " + base + ".key -out " + base + ".pem"));
}

/// A key and a certificate for node `name`, signed by CA `ca`.
void make_node_cert(const std::filesystem::path& dir, const std::string& name,
                    const std::string& ca) {
  auto base = (dir / name).string();
  auto ca_base = (dir / ca).string();
  REQUIRE(sh("openssl req -newkey rsa:2048 -nodes -subj /CN=" + name +
             " -keyout " + base + ".key -out " + base + ".csr"));
  REQUIRE(sh("openssl x509 -req -days 2 -in " + base + ".csr -CA " + ca_base +
             ".pem -CAkey " + ca_base + ".key -CAcreateserial -out " + base +
             ".pem"));
}

double metric(uint16_t port, const std::string& sample) {
  try {
    return bench::server_metric("127.0.0.1", port, sample);
  } catch (const std::exception&) {
    return -1;
  }
}

} // namespace

TEST_CASE("cluster over mutual TLS: nodes of one CA link and chat, and a node "
          "with another CA's certificate is refused and breaks nothing",
          "[cluster][tls]") {
  temp_dir dir;
  make_ca(dir.path, "ca");
  make_ca(dir.path, "other_ca");
  make_node_cert(dir.path, "n0", "ca");
  make_node_cert(dir.path, "n1", "ca");
  make_node_cert(dir.path, "intruder", "other_ca");
  auto files = dir.path.string() + "/";
  cluster_fixture c{2,
                    2,
                    {"--cluster-cert", files + "n{i}.pem", "--cluster-key",
                     files + "n{i}.key", "--cluster-ca", files + "ca.pem"}};
  CHECK(c.process(0).output().find("(mutual TLS)") != std::string::npos);

  auto alice = c.login(0, "alice");
  auto bob = c.login(1, "bob");
  bob->send_json({{"msg", "over TLS"}});
  auto m = alice->expect("message", 5s);
  CHECK(m["msg"] == "over TLS");
  CHECK(m["from_user"] == "bob");
  CHECK(bob->expect("message", 5s)["msg"] == "over TLS"); // his echo

  // The intruder trusts our CA, but its own certificate is not ours.
  server_process intruder{
      {"--port", "0", "--cluster-port", "0", "--node-name", "intruder",
       "--node-timeout", "2", "--join",
       "127.0.0.1:" + std::to_string(c.cluster_port(0)), "--cluster-cert",
       files + "intruder.pem", "--cluster-key", files + "intruder.key",
       "--cluster-ca", files + "ca.pem", "--www", TEST_WWW_DIR}};
  auto intruder_http = intruder.port();
  // It tries every retry interval (400 ms at a 2 s timeout): several tries.
  std::this_thread::sleep_for(3s);
  CHECK(metric(intruder_http, "chat_cluster_nodes") == 1);
  CHECK(c.metric(0, "chat_cluster_nodes") == 2);
  CHECK(c.metric(1, "chat_cluster_nodes") == 2);
  // The refused handshakes left the good link alone: it never went down.
  CHECK(c.process(0).output().find("is down") == std::string::npos);
  CHECK(c.process(1).output().find("is down") == std::string::npos);
  alice->send_json({{"msg", "still here"}});
  CHECK(bob->expect("message", 5s)["msg"] == "still here");
}

TEST_CASE("cluster over mutual TLS: a plain node cannot join a TLS node",
          "[cluster][tls]") {
  temp_dir dir;
  make_ca(dir.path, "ca");
  make_node_cert(dir.path, "n0", "ca");
  auto files = dir.path.string() + "/";
  cluster_fixture c{1,
                    2,
                    {"--cluster-cert", files + "n{i}.pem", "--cluster-key",
                     files + "n{i}.key", "--cluster-ca", files + "ca.pem"}};
  server_process plain{{"--port", "0", "--cluster-port", "0", "--node-name",
                        "plain", "--node-timeout", "2", "--join",
                        "127.0.0.1:" + std::to_string(c.cluster_port(0)),
                        "--www", TEST_WWW_DIR}};
  auto plain_http = plain.port();
  std::this_thread::sleep_for(2s);
  CHECK(metric(plain_http, "chat_cluster_nodes") == 1);
  CHECK(c.metric(0, "chat_cluster_nodes") == 1);
}
