// A fresh directory under TMPDIR for one test, removed with its contents.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <catch2/catch.hpp>
#include <stdlib.h>

namespace test {

struct temp_dir {
  std::filesystem::path path;

  temp_dir() {
    auto tmpl =
        (std::filesystem::temp_directory_path() / "actorchat-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// The lines of a text file, without their newlines.
inline std::vector<std::string> read_lines(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace test
