// The I/O thread loop that batches socket writes (net/write_batch.hpp).
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include "net/write_batch.hpp"
#include "temp_dir.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

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
