// giflab-gifgen: writes the sample GIFs of the shipped default config.
// Deterministic (integer arithmetic only), so the committed files can be
// checked against a fresh run. Usage: giflab-gifgen OUTPUT_DIR
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

struct BitWriter {
  std::vector<uint8_t> bytes;
  uint32_t acc = 0;
  int bits = 0;
  void put(uint32_t code, int size) {
    acc |= code << bits;
    bits += size;
    while (bits >= 8) {
      bytes.push_back(static_cast<uint8_t>(acc & 0xFF));
      acc >>= 8;
      bits -= 8;
    }
  }
  void flush() {
    if (bits > 0) bytes.push_back(static_cast<uint8_t>(acc & 0xFF));
    acc = 0;
    bits = 0;
  }
};

// GIF's variable-width LZW with 8-bit symbols.
std::vector<uint8_t> lzw(const std::vector<uint8_t>& pixels) {
  constexpr int kMin = 8;
  constexpr uint32_t kClear = 1u << kMin;
  std::vector<uint16_t> tree(4096 * 256, 0);  // child code per (code, symbol); 0 = none
  BitWriter w;
  int codeSize = kMin + 1;
  uint32_t maxCode = kClear + 1;
  w.put(kClear, codeSize);
  int32_t cur = -1;
  for (uint8_t px : pixels) {
    if (cur < 0) {
      cur = px;
    } else if (tree[static_cast<size_t>(cur) * 256 + px]) {
      cur = tree[static_cast<size_t>(cur) * 256 + px];
    } else {
      w.put(static_cast<uint32_t>(cur), codeSize);
      tree[static_cast<size_t>(cur) * 256 + px] = static_cast<uint16_t>(++maxCode);
      if (maxCode >= (1u << codeSize)) ++codeSize;
      if (maxCode == 4095) {
        w.put(kClear, codeSize);
        std::fill(tree.begin(), tree.end(), 0);
        codeSize = kMin + 1;
        maxCode = kClear + 1;
      }
      cur = px;
    }
  }
  w.put(static_cast<uint32_t>(cur), codeSize);
  w.put(kClear, codeSize);
  w.put(kClear + 1, kMin + 1);
  w.flush();
  return w.bytes;
}

void le16(std::vector<uint8_t>& out, int v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>((v >> 8) & 0xFF));
}

int tri(int t) { return std::abs((t & 511) - 256); }

struct Spec {
  const char* name;
  int width, height, frames, seed;
};

std::vector<uint8_t> makeGif(const Spec& s) {
  std::vector<uint8_t> out{'G', 'I', 'F', '8', '9', 'a'};
  le16(out, s.width);
  le16(out, s.height);
  out.insert(out.end(), {0xF7, 0, 0});
  for (int i = 0; i < 256; ++i) {  // a smooth palette, shifted per file
    const int j = (i + s.seed * 37) & 255;
    out.push_back(static_cast<uint8_t>(tri(j * 2) & 255));
    out.push_back(static_cast<uint8_t>(tri(j * 2 + 170) & 255));
    out.push_back(static_cast<uint8_t>(tri(j * 2 + 340) & 255));
  }
  const uint8_t loop[] = {0x21, 0xFF, 0x0B, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 0x03, 0x01, 0, 0, 0};
  out.insert(out.end(), std::begin(loop), std::end(loop));
  uint32_t rng = 2463534242u + static_cast<uint32_t>(s.seed);
  std::vector<uint8_t> pixels(static_cast<size_t>(s.width) * s.height);
  for (int f = 0; f < s.frames; ++f) {
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        const int noise = static_cast<int>(rng % 9) - 4;  // film grain: makes lossy compression matter
        const int v = (tri(x * 5 + f * 23 + s.seed * 11) + tri(y * 4 + f * 13) + tri((x + y) * 3 + f * 7) +
                       tri((x * y) / 16 + f * 5)) / 4;
        pixels[static_cast<size_t>(y) * s.width + x] = static_cast<uint8_t>((v + noise) & 255);
      }
    out.insert(out.end(), {0x21, 0xF9, 0x04, 0x04});
    le16(out, 6);  // 60 ms per frame
    out.insert(out.end(), {0, 0});
    out.push_back(0x2C);
    le16(out, 0);
    le16(out, 0);
    le16(out, s.width);
    le16(out, s.height);
    out.push_back(0);
    out.push_back(8);
    const auto data = lzw(pixels);
    for (size_t i = 0; i < data.size(); i += 255) {
      const size_t n = std::min<size_t>(255, data.size() - i);
      out.push_back(static_cast<uint8_t>(n));
      out.insert(out.end(), data.begin() + static_cast<long>(i), data.begin() + static_cast<long>(i + n));
    }
    out.push_back(0);
  }
  out.push_back(0x3B);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: giflab-gifgen OUTPUT_DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const Spec specs[] = {{"small_1", 64, 64, 8, 1},     {"small_2", 72, 56, 10, 2},
                        {"medium_1", 192, 160, 16, 3}, {"medium_2", 160, 192, 16, 4},
                        {"large_1", 320, 240, 24, 5}};
  for (const auto& s : specs) {
    const auto bytes = makeGif(s);
    std::ofstream out(dir / (std::string(s.name) + ".gif"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "giflab-gifgen: cannot write %s\n", (dir / s.name).c_str());
      return 1;
    }
    std::printf("%s.gif %zu bytes\n", s.name, bytes.size());
  }
  return 0;
}
