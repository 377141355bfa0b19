// Every Unicode scalar value through fuzz_validate's checks, alone and in
// the places around U+200D where the name rules differ: what the fuzzer
// reaches only by chance (CI's run found U+2139 after 200,000 executions,
// a 10 million run had not), tried in full in about 20 s.
#include <cstdint>
#include <cstdio>
#include <string>

#include <unicode/utf8.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size);

namespace {

std::string utf8(UChar32 cp) {
  char bytes[U8_MAX_LENGTH];
  int32_t n = 0;
  U8_APPEND_UNSAFE(bytes, n, cp);
  return {bytes, static_cast<std::size_t>(n)};
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
  for (UChar32 cp = 0; cp <= 0x10FFFF; ++cp) {
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
