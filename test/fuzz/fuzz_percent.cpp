// Percent-decoding of URL paths (net/percent), which turns `/ws/<name>` into
// a user name and a static path into a file name. Checked against a decoder
// written apart: the same verdict and bytes; decoding never grows the text;
// escaping every byte and decoding again gives the bytes back.
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/percent.hpp"

namespace {

int hex_digit(unsigned char c) {
  static constexpr std::string_view digits = "0123456789abcdef";
  if (c >= 'A' && c <= 'F')
    c = static_cast<unsigned char>(c - 'A' + 'a');
  auto at = digits.find(static_cast<char>(c));
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

std::optional<std::string> reference_decode(std::string_view s) {
  std::string out;
  while (!s.empty()) {
    auto pct = s.find('%');
    out.append(s.substr(0, pct));
    if (pct == std::string_view::npos)
      break;
    if (s.size() - pct < 3)
      return std::nullopt;
    int hi = hex_digit(static_cast<unsigned char>(s[pct + 1]));
    int lo = hex_digit(static_cast<unsigned char>(s[pct + 2]));
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    s.remove_prefix(pct + 3);
  }
  return out;
}

std::string escape_all(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out.push_back('%');
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = chat::net::percent_decode(text);
  FUZZ_CHECK(decoded == reference_decode(text));
  if (!decoded)
    return 0;
  FUZZ_CHECK(decoded->size() <= text.size());
  if (text.find('%') == std::string_view::npos)
    FUZZ_CHECK(*decoded == text);
  FUZZ_CHECK(chat::net::percent_decode(escape_all(*decoded)) == decoded);
  return 0;
}
