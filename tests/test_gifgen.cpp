// The sample GIFs are generated deterministically and are valid GIFs.
#include <gtest/gtest.h>

#include "tests/test_support.hpp"

using namespace giflab::test;

TEST(GifGen, TwoRunsGiveTheSameBytesAsTheShippedData) {
  TempDir a;
  ASSERT_EQ(run({(binDir() / "giflab-gifgen").string(), a.path().string()}).exitCode, 0);
  const std::filesystem::path shipped = std::filesystem::path(GIFLAB_SOURCE_DIR) / "data/sample_gifs";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(a.path())) {
    ++files;
    EXPECT_EQ(readFile(e.path()), readFile(shipped / e.path().filename())) << e.path();
    EXPECT_EQ(readFile(e.path()).substr(0, 6), "GIF89a");
  }
  EXPECT_EQ(files, 5);
}

TEST(GifGen, GifsicleReadsEveryFrame) {
  if (run({"/usr/bin/test", "-x", "/usr/bin/gifsicle"}).exitCode != 0) GTEST_SKIP() << "gifsicle is not installed";
  const std::filesystem::path shipped = std::filesystem::path(GIFLAB_SOURCE_DIR) / "data/sample_gifs";
  const auto r = run({"/usr/bin/gifsicle", "--info", (shipped / "medium_1.gif").string()});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("16 images"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}
