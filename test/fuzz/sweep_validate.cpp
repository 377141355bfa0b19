// Every Unicode scalar value through fuzz_validate's checks, alone and in
// the places around U+200D where the name rules differ: what the fuzzer
// reaches only by chance (CI's run found U+2139 after 200,000 executions,
// a 10 million run had not), tried in full in about 20 s.
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

std::string utf8(char32_t cp) {
  std::string out;
  auto byte = [&](unsigned v) { out.push_back(static_cast<char>(v)); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | cp >> 6);
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | cp >> 12);
    byte(0x80 | (cp >> 6 & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | cp >> 18);
    byte(0x80 | (cp >> 12 & 0x3F));
    byte(0x80 | (cp >> 6 & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
  return out;
}

void check(const std::string& text) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(text.data()),
                         text.size());
}

} // namespace

int main() {
  const std::string woman = utf8(0x1F469), joiner = utf8(0x200D),
                    presentation = utf8(0xFE0F), skin_tone = utf8(0x1F3FD);
  std::size_t tried = 0;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF)
      continue; // surrogates have no UTF-8 form
    auto c = utf8(cp);
    for (auto& name :
         {c, "a" + c, woman + joiner + c, c + joiner + woman,
          c + presentation + joiner + woman, c + skin_tone + joiner + woman,
          woman + joiner + c + joiner + woman}) {
      check(name);
      ++tried;
    }
  }
  std::printf("sweep_validate: %zu names, every check held\n", tried);
}
