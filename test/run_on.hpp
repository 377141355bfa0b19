// Runs code on an I/O thread from a test's thread (for the socket fixtures
// of batching_socket_test.cpp and write_batch_test.cpp).
#pragma once

#include <future>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace test {

/// Runs `f` on the thread that runs `ioc` and waits for its result.
template <class F>
auto run_on(boost::asio::io_context& ioc, F f) -> decltype(f()) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto result = task.get_future();
  boost::asio::post(ioc, [&task] { task(); });
  return result.get();
}

} // namespace test
