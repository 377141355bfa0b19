// The I/O thread loop that batches socket writes (net/write_batch.hpp):
// sockets of one thread whose frames leave together, over real loopback TCP
// connections, and a handler that throws.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <catch2/catch.hpp>

#include "net/batching_socket.hpp"
#include "net/write_batch.hpp"
#include "net/ws_frame.hpp"
#include "run_on.hpp"
#include "temp_dir.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using chat::net::batching_socket;
using tcp = asio::ip::tcp;
using test::run_on;
namespace ws_frame = chat::net::ws_frame;

namespace {

/// Sends this process's stderr (where chat::log writes) to a file while it
/// lives.
class stderr_to_file {
public:
  explicit stderr_to_file(const std::filesystem::path& file) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~stderr_to_file() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  stderr_to_file(const stderr_to_file&) = delete;
  stderr_to_file& operator=(const stderr_to_file&) = delete;

private:
  int saved_ = -1;
};

} // namespace

TEST_CASE("write batch: an I/O thread logs a handler that throws and runs "
          "the next one",
          "[net][batching]") {
  test::temp_dir dir;
  auto log_file = dir.path / "stderr.log";
  asio::io_context ioc{1};
  std::promise<bool> next_ran; // false: the exception left the loop
  std::atomic<bool> escaped{false};
  // One connection's bug must not end every other connection of the thread.
  asio::post(ioc, [] { throw std::runtime_error("a connection's bug"); });
  asio::post(ioc, [] { throw 42; });
  asio::post(ioc, [&] { next_ran.set_value(true); });
  bool ran = false;
  {
    stderr_to_file capture{log_file};
    std::thread io([&] {
      try {
        chat::net::write_batch::run(ioc, nullptr, false);
      } catch (...) {
        escaped = true;
        next_ran.set_value(false);
      }
    });
    auto result = next_ran.get_future();
    ran = result.wait_for(5s) == std::future_status::ready && result.get();
    ioc.stop();
    io.join();
  }
  CHECK_FALSE(escaped);
  CHECK(ran);
  std::ifstream in{log_file};
  std::string log{std::istreambuf_iterator<char>{in}, {}};
  INFO(log);
  CHECK_THAT(log, Catch::Contains("I/O handler threw: a connection's bug"));
  CHECK_THAT(log, Catch::Contains("I/O handler threw a non-exception"));
}

namespace {

/// Server sockets on one I/O thread that batches its writes
/// (net/write_batch.hpp), each joined to a plain client socket.
struct batched_sockets {
  asio::io_context ioc{1};
  std::atomic<uint64_t> syscalls{0};
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::vector<std::unique_ptr<batching_socket>> servers;
  std::vector<tcp::socket> clients;
  std::thread io;

  explicit batched_sockets(int count, bool io_uring = true) {
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    for (int i = 0; i < count; ++i) {
      tcp::socket client(ioc);
      client.connect(acceptor.local_endpoint());
      servers.push_back(std::make_unique<batching_socket>(acceptor.accept()));
      servers.back()->set_owner(owner);
      clients.push_back(std::move(client));
    }
    io = std::thread([this, io_uring] {
      chat::net::write_batch::run(ioc, &syscalls, io_uring);
    });
  }

  ~batched_sockets() {
    ioc.stop();
    io.join();
  }

  template <class F> auto on_server(F f) { return run_on(ioc, std::move(f)); }

  /// Reads exactly `bytes` from client `i` (blocking).
  std::string read_client(std::size_t i, std::size_t bytes) {
    std::string data(bytes, '\0');
    asio::read(clients[i], asio::buffer(data));
    return data;
  }
};

/// The bytes of one server-to-client text frame.
std::string text_frame(const std::string& payload) {
  char header[10];
  auto n = ws_frame::encode_text_header(payload.size(), header);
  return std::string(header, n) + payload;
}

} // namespace

namespace {

/// Frames that one handler sends to 20 sockets leave each socket whole and
/// in order, in one system call with io_uring, else one send() per socket.
void check_one_batch_for_20_sockets(bool io_uring) {
  batched_sockets batch{20, io_uring};
  REQUIRE(batch.on_server([] {
    return chat::net::write_batch::current()->uses_io_uring();
  }) == io_uring);
  batch.on_server([&] {
    // The first frame is held for the batch without a copy (a shared
    // payload); the second makes it join the queue, behind it.
    for (std::size_t i = 0; i < batch.servers.size(); ++i) {
      batch.servers[i]->send_text(
          std::make_shared<const std::string>("one " + std::to_string(i)));
      batch.servers[i]->send_frame(ws_frame::op_text,
                                   "two " + std::to_string(i));
    }
    // A lone shared frame leaves from where it is.
    batch.servers[0]->send_text(std::make_shared<const std::string>("three"));
  });
  for (std::size_t i = 0; i < batch.clients.size(); ++i) {
    auto expected = text_frame("one " + std::to_string(i)) +
                    text_frame("two " + std::to_string(i)) +
                    (i == 0 ? text_frame("three") : "");
    CHECK(batch.read_client(i, expected.size()) == expected);
  }
  // Read on the I/O thread: the batch counts after its sends returned.
  auto syscalls = batch.on_server([&] { return batch.syscalls.load(); });
  CHECK(syscalls == (io_uring ? 1u : batch.servers.size()));
  CHECK(batch.on_server([&] { return batch.servers[0]->writes(); }) == 1);
}

void one_batch_with_io_uring() {
  check_one_batch_for_20_sockets(true);
}

/// The io_uring case exists only where io_uring works (a kernel or a
/// seccomp filter may refuse it): elsewhere it is not registered, and says
/// so, instead of passing without testing io_uring.
[[maybe_unused]] const bool io_uring_case_registered = [] {
  if (!chat::net::write_batch::io_uring_works()) {
    std::fprintf(stderr, "io_uring does not work here: the test \"write "
                         "batch: ... with io_uring\" is not registered\n");
    return false;
  }
  REGISTER_TEST_CASE(one_batch_with_io_uring,
                     "write batch: frames that one handler sends to 20 "
                     "sockets leave in one io_uring submission, each "
                     "socket's frames whole and in order",
                     "[net][batching][io_uring]");
  return true;
}();

} // namespace

TEST_CASE("write batch: without io_uring, frames that one handler sends to "
          "20 sockets leave in one send() per socket, each socket's frames "
          "whole and in order",
          "[net][batching]") {
  check_one_batch_for_20_sockets(false);
}

TEST_CASE("write batch: a frame larger than the kernel takes is finished "
          "after the batch, and when_drained waits for it",
          "[net][batching]") {
  batched_sockets batch{1};
  batch.clients[0].set_option(asio::socket_base::receive_buffer_size(65536));
  batch.servers[0]->socket().set_option(
      asio::socket_base::send_buffer_size(4096));
  const std::string big(2000000, 'b');
  std::atomic<bool> drained{false};
  batch.on_server([&] {
    // Held for the batch without a copy; the kernel takes part of it.
    batch.servers[0]->send_text(std::make_shared<const std::string>(big));
    batch.servers[0]->when_drained([&] { drained = true; });
  });
  batch.on_server(
      [&] { batch.servers[0]->send_frame(ws_frame::op_text, "after"); });
  CHECK_FALSE(drained); // 2 MB cannot have left before the client reads
  auto expected = text_frame(big) + text_frame("after");
  CHECK(batch.read_client(0, expected.size()) == expected);
  for (int i = 0; i < 100 && !drained; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(drained);
  CHECK(batch.on_server([&] { return batch.servers[0]->backlog_bytes(); }) ==
        0);
}
