/* giflab-perf-control: the built-in control workload.
 *
 * A fixed amount of work, the same on every run and every machine, measured
 * beside the scenarios and interleaved with their runs: it tells how fast the
 * machine is now against when the baselines were taken. When it slows down
 * as much as a scenario does, the machine moved, not the scenario.
 *
 * Usage: giflab-perf-control   (no arguments; exit 0; prints nothing)
 *
 * Revision 3 does what a GIF pipeline does: it draws 16 frames of 320x240
 * pixels in 64 colours (1.2 MB, the memory part: written, streamed through
 * and read back), LZW-codes each frame the way GIF does (a hash table of
 * codes, variable code widths, clear codes: the CPU part, branches and
 * table lookups in the core's own caches), decodes it again and checks that
 * it got the frame back. Revision 2 ran 20 ms of register-only arithmetic and
 * passed over 4 MB; on this project's VMs the host slowed gifsicle's
 * table-driven code for minutes while that arithmetic ran on unmoved
 * (bench/control-follow.sh, two 8-minute runs: the level of gifsicle's time
 * relative to revision 3 spread 0.019-0.036 in log, relative to revision 2
 * 0.033-0.057, alone 0.083-0.134). Its work changed, so its identity did
 * too (kBuiltinControlRevision in machine.hpp). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  kWidth = 320,
  kHeight = 240,
  kFrames = 16,          /* about 28 ms on a 2020s core */
  kColourBits = 6,       /* 64 colours: GIF's minimum code size 6 */
  kHashSize = 5003,      /* a prime over the 4096 codes, as in compress(1) */
  kMaxCode = 4096,       /* GIF's codes are at most 12 bits */
};

static uint64_t random_state = 88172645463325252ull;

/* xorshift64: the same frames on every run. */
static uint64_t next_random(void) {
  random_state ^= random_state << 13;
  random_state ^= random_state >> 7;
  random_state ^= random_state << 17;
  return random_state;
}

/* Smooth gradients that move from frame to frame, with one pixel in eight
 * dithered: runs for the dictionary to learn and noise that breaks them. */
static void draw_frame(uint8_t* pixels, int frame) {
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      int colour = ((x + 3 * frame) / 6 + (y / 5) * 3 + ((x * y + frame) >> 9)) & 63;
      if ((next_random() & 7) == 0) colour = (colour + (int)(next_random() & 3)) & 63;
      pixels[y * kWidth + x] = (uint8_t)colour;
    }
}

struct bit_writer {
  uint8_t* out;
  size_t length;
  uint64_t bits;
  int count;
};

static void put_code(struct bit_writer* w, int code, int width) {
  w->bits |= (uint64_t)code << w->count;
  w->count += width;
  while (w->count >= 8) {
    w->out[w->length++] = (uint8_t)(w->bits & 0xff);
    w->bits >>= 8;
    w->count -= 8;
  }
}

/* GIF's LZW: a (prefix code, next pixel) pair found in an open-addressed hash
 * table extends the current string; a new one emits the prefix and learns the
 * pair. Returns the coded length. `out` holds at least 2 bytes a pixel. */
static size_t lzw_encode(const uint8_t* pixels, size_t count, uint8_t* out) {
  static int32_t keys[kHashSize];
  static uint16_t codes[kHashSize];
  const int clear = 1 << kColourBits, end = clear + 1;
  int next_code = end + 1, width = kColourBits + 1;
  struct bit_writer w = {out, 0, 0, 0};
  memset(keys, -1, sizeof keys);
  put_code(&w, clear, width);
  int prefix = pixels[0];
  for (size_t i = 1; i < count; ++i) {
    const int pixel = pixels[i];
    const int32_t key = (pixel << 12) | prefix;
    int slot = ((pixel << 4) ^ prefix) % kHashSize;
    const int step = slot == 0 ? 1 : kHashSize - slot;
    while (keys[slot] != -1 && keys[slot] != key)
      if ((slot -= step) < 0) slot += kHashSize;
    if (keys[slot] == key) {
      prefix = codes[slot];
      continue;
    }
    put_code(&w, prefix, width);
    if (next_code < kMaxCode) {
      keys[slot] = key;
      codes[slot] = (uint16_t)next_code++;
      if (next_code > (1 << width) && width < 12) ++width;
    } else {
      put_code(&w, clear, width);
      memset(keys, -1, sizeof keys);
      next_code = end + 1;
      width = kColourBits + 1;
    }
    prefix = pixel;
  }
  put_code(&w, prefix, width);
  put_code(&w, end, width);
  if (w.count > 0) w.out[w.length++] = (uint8_t)(w.bits & 0xff);
  return w.length;
}

/* The decoder that GIF readers run. Returns the number of pixels decoded
 * (at most `capacity`). */
static size_t lzw_decode(const uint8_t* in, size_t length, uint8_t* pixels, size_t capacity) {
  static uint16_t prefixes[kMaxCode];
  static uint8_t suffixes[kMaxCode], stack[kMaxCode];
  const int clear = 1 << kColourBits, end = clear + 1;
  int next_code = end + 1, width = kColourBits + 1, previous = -1;
  uint8_t first = 0;
  uint64_t bits = 0;
  int count = 0;
  size_t read = 0, written = 0;
  for (int c = 0; c < clear; ++c) suffixes[c] = (uint8_t)c;
  for (;;) {
    while (count < width && read < length) {
      bits |= (uint64_t)in[read++] << count;
      count += 8;
    }
    if (count < width) break;
    const int code = (int)(bits & ((1u << width) - 1));
    bits >>= width;
    count -= width;
    if (code == clear) {
      next_code = end + 1;
      width = kColourBits + 1;
      previous = -1;
      continue;
    }
    if (code == end) break;
    if (previous == -1) {
      if (written < capacity) pixels[written++] = first = suffixes[code];
      previous = code;
      continue;
    }
    int depth = 0, walk = code;
    if (code >= next_code) {  /* the string being defined: previous + its own first pixel */
      stack[depth++] = first;
      walk = previous;
    }
    while (walk >= clear && depth < kMaxCode - 1) {
      stack[depth++] = suffixes[walk];
      walk = prefixes[walk];
    }
    stack[depth++] = first = suffixes[walk];
    while (depth > 0 && written < capacity) pixels[written++] = stack[--depth];
    if (next_code < kMaxCode) {
      prefixes[next_code] = (uint16_t)previous;
      suffixes[next_code] = first;
      if (++next_code >= (1 << width) && width < 12) ++width;
    }
    previous = code;
  }
  return written;
}

int main(int argc, char** argv) {
  (void)argv;
  if (argc != 1) {
    fprintf(stderr, "usage: giflab-perf-control (no arguments)\n");
    return 2;
  }
  const size_t frame_pixels = (size_t)kWidth * kHeight;
  uint8_t* frames = malloc(frame_pixels * kFrames);
  uint8_t* coded = malloc(frame_pixels * 2);
  uint8_t* decoded = malloc(frame_pixels);
  if (!frames || !coded || !decoded) return 3;
  for (int f = 0; f < kFrames; ++f) draw_frame(frames + (size_t)f * frame_pixels, f);
  int wrong = 0;
  for (int f = 0; f < kFrames; ++f) {
    const uint8_t* frame = frames + (size_t)f * frame_pixels;
    const size_t length = lzw_encode(frame, frame_pixels, coded);
    /* The check makes the work observable (nothing can be folded away) and
     * catches a miscompiled control, which would measure something else. */
    wrong |= lzw_decode(coded, length, decoded, frame_pixels) != frame_pixels ||
             memcmp(decoded, frame, frame_pixels) != 0;
  }
  free(frames);
  free(coded);
  free(decoded);
  if (wrong) {
    fprintf(stderr, "giflab-perf-control: its LZW round trip failed, so this build measures the wrong work;"
                    " reinstall giflab-perfd (or rebuild it with the project's flags) and re-create the baselines\n");
    return 1;
  }
  return 0;
}
