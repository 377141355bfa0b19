// Static path resolution (net/static_files) fed any request target, over a
// www tree made at start with the traps a server's disk may hold: a symlink
// out of the root, a symlink to the root's parent, a sibling directory whose
// name starts with the root's, and a file beside the root. Checked: a
// resolved path is a regular file whose canonical path lies under the
// root's (compared as text, apart from the code's own path comparison);
// decoded `..` segments never resolve; the query does not change the file.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/percent.hpp"
#include "net/static_files.hpp"

namespace {

namespace fs = std::filesystem;

fs::path base;           // the temporary directory holding the tree
fs::path root;           // base/www
std::string root_prefix; // canonical root and '/'

void remove_tree() {
  std::error_code ec;
  fs::remove_all(base, ec);
}

void make_tree() {
  char dir[] = "/tmp/actorchat-fuzz-XXXXXX";
  FUZZ_CHECK(::mkdtemp(dir) != nullptr);
  base = dir;
  root = base / "www";
  fs::create_directories(root / "css");
  fs::create_directories(root / "empty");
  fs::create_directories(base / "www2");
  std::ofstream(root / "index.html") << "index";
  std::ofstream(root / "css" / "a.css") << "a";
  std::ofstream(root / "...") << "dots"; // a file name, not a segment
  std::ofstream(base / "secret.txt") << "secret";
  std::ofstream(base / "www2" / "x.html") << "sibling";
  fs::create_symlink(base / "secret.txt", root / "out");
  fs::create_symlink("..", root / "up");
  fs::create_symlink(base / "www2" / "x.html", root / "sib.html");
  fs::create_symlink(root / "index.html", root / "in.html");
  root_prefix = fs::canonical(root).string() + "/";
  std::atexit(remove_tree);
}

/// Whether the decoded path has a `..` segment.
bool climbs(std::string_view target) {
  auto decoded = chat::net::percent_decode(target);
  if (!decoded)
    return false;
  std::string_view p = *decoded;
  while (!p.empty()) {
    auto slash = p.find('/');
    if (p.substr(0, slash) == "..")
      return true;
    p.remove_prefix(slash == std::string_view::npos ? p.size() : slash + 1);
  }
  return false;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  make_tree();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  auto file = chat::net::resolve_static(root, target);
  auto path = target.substr(0, target.find_first_of("?#"));
  if (path.size() == target.size()) // no query yet: adding one changes nothing
    FUZZ_CHECK(chat::net::resolve_static(root, std::string(target) + "?v=1") ==
               file);
  if (!file)
    return 0;
  FUZZ_CHECK(!climbs(path));
  auto text = file->string();
  FUZZ_CHECK(text.compare(0, root_prefix.size(), root_prefix) == 0);
  std::error_code ec;
  FUZZ_CHECK(fs::is_regular_file(*file, ec));
  FUZZ_CHECK(fs::canonical(*file, ec) == *file);
  return 0;
}
