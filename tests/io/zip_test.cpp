// io::ZipReader against archives Python's zipfile writes, and against headers that lie;
// io::ZipWriter read back by Python's zipfile.
#include "brainalign/io/zip.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "common/error_message.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

using testing::contains;
using testing::run_python;
using testing::ScratchDir;
using testing::write_bytes;

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text_of(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Writes good.zip (a stored and a deflated entry, a folder entry) and, from it, archives whose
// central directory claims a huge size for the deflated entry, or whose data is cut short.
void write_archives(const std::filesystem::path& dir) {
  ASSERT_TRUE(run_python(dir, R"(
import struct, zipfile
text = b''.join(b'brainalign %d ' % i for i in range(400))
open('deflated.txt', 'wb').write(text)
with zipfile.ZipFile('good.zip', 'w') as z:
    z.writestr(zipfile.ZipInfo('folder/'), b'')
    z.writestr('folder/stored.txt', b'stored bytes', compress_type=zipfile.ZIP_STORED)
    z.writestr('deflated.txt', text, compress_type=zipfile.ZIP_DEFLATED)
data = open('good.zip', 'rb').read()
# The central directory entry of deflated.txt: its name at offset 46, its size at offset 24.
header = data.find(b'deflated.txt', data.find(b'PK\x01\x02')) - 46
assert data[header:header + 4] == b'PK\x01\x02'
lying = bytearray(data)
lying[header + 24:header + 28] = struct.pack('<I', 0xFFFFFFF0)
open('lying.zip', 'wb').write(lying)
# The deflated data of deflated.txt follows its local header's name (no extra field).
start = data.find(b'deflated.txt') + len('deflated.txt')
garbled = bytearray(data)
for i in range(start + 5, start + 45):
    garbled[i] ^= 0x5A
open('garbled.zip', 'wb').write(garbled)
)"));
}

TEST(ZipReader, ReadsNamesSizesAndEntriesFromAFileAndFromMemory) {
  ScratchDir dir;
  write_archives(dir.path());
  std::string reason;
  const auto from_file = ZipReader::open(dir / "good.zip", reason);
  ASSERT_TRUE(from_file) << reason;
  const std::vector<std::uint8_t> bytes = file_bytes(dir / "good.zip");
  const auto from_memory = ZipReader::open(bytes, "memory", reason);
  ASSERT_TRUE(from_memory) << reason;
  const std::string text = text_of(file_bytes(dir / "deflated.txt"));
  for (const ZipReader* archive : {&*from_file, &*from_memory}) {
    ASSERT_EQ(archive->entries(), 3u);
    EXPECT_EQ(archive->name(0), "folder/");
    EXPECT_EQ(archive->name(1), "folder/stored.txt");
    EXPECT_EQ(archive->find("deflated.txt"), 2u);
    EXPECT_FALSE(archive->find("absent.txt"));
    EXPECT_EQ(archive->size(1), 12u);
    EXPECT_EQ(text_of(archive->read(1)), "stored bytes");
    EXPECT_EQ(archive->size(2), text.size());
    EXPECT_EQ(text_of(archive->read(2)), text);
    EXPECT_TRUE(archive->read(0).empty());
  }
  EXPECT_EQ(from_memory->source(), "memory");
  EXPECT_EQ(from_file->source(), (dir / "good.zip").string());
}

TEST(ZipReader, RefusesWhatIsNotAnArchiveAndHeadersThatLie) {
  ScratchDir dir;
  write_archives(dir.path());
  write_bytes(dir / "plain.zip", "not a zip archive at all");
  std::string reason;
  EXPECT_FALSE(ZipReader::open(dir / "plain.zip", reason));
  EXPECT_FALSE(reason.empty());
  EXPECT_THROW(ZipReader::open(dir / "absent.zip", reason), IoError);

  // The lying size is refused before anything is allocated for it.
  const auto lying = ZipReader::open(dir / "lying.zip", reason, false);
  ASSERT_TRUE(lying) << reason;
  const std::string claims =
      brainalign::testing::error_message<InputError>([&] { (void)lying->size(2); });
  EXPECT_TRUE(contains(claims, "entry 'deflated.txt' claims 4294967280 bytes"));
  EXPECT_TRUE(contains(claims, (dir / "lying.zip").string()));

  const auto garbled = ZipReader::open(dir / "garbled.zip", reason);
  ASSERT_TRUE(garbled) << reason;
  const std::string corrupt =
      brainalign::testing::error_message<InputError>([&] { (void)garbled->read(2); });
  EXPECT_TRUE(contains(corrupt, "entry 'deflated.txt' is truncated or corrupt"));
  EXPECT_EQ(text_of(garbled->read(1)), "stored bytes");  // the other entries still read
}

TEST(ZipWriter, WritesWhatPythonReadsAndNothingUnlessFinished) {
  ScratchDir dir;
  const std::string text(5000, 'a');
  const std::vector<std::uint8_t> stored = {0, 1, 2, 255};
  const std::vector<std::uint8_t> deflated(text.begin(), text.end());
  {
    ZipWriter writer(dir / "out.zip", "out.zip");
    writer.add("stored.bin", stored, false);
    writer.add("dir/deflated.txt", deflated, true);
    writer.finish();
  }
  ASSERT_TRUE(run_python(dir.path(), R"(
import zipfile
z = zipfile.ZipFile('out.zip')
assert z.testzip() is None
infos = {i.filename: i for i in z.infolist()}
assert infos['stored.bin'].compress_type == zipfile.ZIP_STORED
assert infos['dir/deflated.txt'].compress_type == zipfile.ZIP_DEFLATED
assert infos['dir/deflated.txt'].compress_size < 5000
assert z.read('stored.bin') == bytes([0, 1, 2, 255])
assert z.read('dir/deflated.txt') == b'a' * 5000
)"));
  // An unfinished writer leaves nothing; an existing file is not overwritten.
  { ZipWriter(dir / "unfinished.zip", "unfinished.zip").add("x", stored, false); }
  EXPECT_FALSE(std::filesystem::exists(dir / "unfinished.zip"));
  EXPECT_THROW(ZipWriter(dir / "out.zip", "out.zip"), IoError);
}

}  // namespace
}  // namespace brainalign::io
