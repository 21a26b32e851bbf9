#include "brainalign/io/sha256.h"

#include <gtest/gtest.h>

#include <fstream>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

TEST(Sha256, KnownDigests) {
  EXPECT_EQ(sha256_hex(std::string_view()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 pieces;
  pieces.update("a");
  pieces.update("bc");
  EXPECT_EQ(pieces.hex(), sha256_hex("abc"));
}

TEST(Sha256, FilesMatchThePublishedChecksum) {
  const auto components =
      std::filesystem::path(BRAINALIGN_SHARED_DIR) / "data/natsound165/components.mat";
  EXPECT_EQ(sha256_file(components),
            "a34f9a4c648de56d075f249a0f09f67281cde024d0ca184347436e540ab0a66e");
  EXPECT_THROW(sha256_file("/nonexistent/file"), IoError);
}

}  // namespace
}  // namespace brainalign::io
