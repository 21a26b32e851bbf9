#include "brainalign/io/archive.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "brainalign/base/error.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(UnpackArchive, UnpacksAndStripsLeadingComponents) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import tarfile, io
with tarfile.open('data.tar.gz', 'w:gz') as tar:
    for name, text in [('data/neural/NH2015/a.txt', 'first'), ('data/neural/B2021/b.txt', 'second')]:
        info = tarfile.TarInfo(name)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text.encode()))
)"));
  fs::create_directories(dir / "root/neural/NH2015");
  std::ofstream(dir / "root/neural/NH2015/stale.txt") << "old";
  unpack_archive(dir / "data.tar.gz", dir / "root", 1);
  EXPECT_EQ(read_text(dir / "root/neural/NH2015/a.txt"), "first");
  EXPECT_EQ(read_text(dir / "root/neural/B2021/b.txt"), "second");
  EXPECT_FALSE(fs::exists(dir / "root/neural/NH2015/stale.txt")) << "replaced, not merged";
  for (const auto& entry : fs::directory_iterator(dir / "root")) {
    EXPECT_EQ(entry.path().filename(), "neural") << "no staging folder left behind";
  }
}

TEST(UnpackArchive, RefusesEntriesThatLeaveTheDestination) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), R"(
import tarfile, io
def archive(path, name, link=None):
    with tarfile.open(path, 'w') as tar:
        ok = tarfile.TarInfo('ok.txt'); ok.size = 2
        tar.addfile(ok, io.BytesIO(b'ok'))
        info = tarfile.TarInfo(name)
        if link is None:
            info.size = 4
            tar.addfile(info, io.BytesIO(b'evil'))
        else:
            info.type = tarfile.SYMTYPE
            info.linkname = link
            tar.addfile(info)
archive('dotdot.tar', '../evil.txt')
archive('nested.tar', 'a/../../evil.txt')
archive('absolute.tar', '/tmp/brainalign-evil.txt')
archive('link.tar', 'escape', link='../../etc')
archive('abslink.tar', 'escape', link='/etc')
)"));
  for (const char* name : {"dotdot.tar", "nested.tar", "absolute.tar", "link.tar", "abslink.tar"}) {
    const fs::path out = dir / (std::string(name) + ".out");
    try {
      unpack_archive(dir / name, out);
      ADD_FAILURE() << name << " was unpacked";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(out / "ok.txt")) << name << ": nothing is left behind";
    EXPECT_FALSE(fs::exists(dir / "evil.txt"));
  }
  EXPECT_FALSE(fs::exists("/tmp/brainalign-evil.txt"));
}

TEST(UnpackArchive, CorruptArchiveIsAnError) {
  ScratchDir dir;
  std::ofstream(dir / "bad.tar.gz") << "not an archive at all";
  EXPECT_THROW(unpack_archive(dir / "bad.tar.gz", dir / "out"), InputError);
}

}  // namespace
}  // namespace brainalign::io
