#include <catch2/catch.hpp>

#include <string>

#include "net/chunk_queue.hpp"

using chat::net::chunk_queue;

TEST_CASE("a chunk queue gives back every frame in order, in chunks of at "
          "most 64 KiB of whole frames",
          "[net][chunk_queue]") {
  chunk_queue q;
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    auto head = std::string(2, static_cast<char>('a' + i % 26));
    auto body = std::string(100, static_cast<char>('A' + i % 26));
    q.append(head, body);
    expected += head + body;
  }
  CHECK(q.bytes() == expected.size());
  std::string got;
  while (!q.empty()) {
    auto chunk = q.take_front();
    CHECK(chunk.size() <= chunk_queue::chunk_bytes);
    CHECK(chunk.size() % 102 == 0); // whole frames only
    got += chunk;
  }
  CHECK(got == expected);
  CHECK(q.bytes() == 0);
}

TEST_CASE("a frame larger than a chunk is a chunk of its own, and prepended "
          "frames come first",
          "[net][chunk_queue]") {
  chunk_queue q;
  q.append("h", "small");
  q.append("H", std::string(100 * 1024, 'x'));
  q.prepend("first");
  CHECK(q.chunks() == 3);
  CHECK(q.take_front() == "first");
  CHECK(q.take_front() == "hsmall");
  CHECK(q.take_front().size() == 100 * 1024 + 1);
  CHECK(q.take_front().empty());
}
