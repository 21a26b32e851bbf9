#include "brainalign/io/tar_index.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "brainalign/base/error.h"
#include "brainalign/io/json.h"
#include "brainalign/io/remote_files.h"
#include "common/command_run.h"
#include "io/python_runner.h"

namespace brainalign::io {
namespace {

namespace fs = std::filesystem;
using testing::contains;
using testing::ScratchDir;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::vector<TarMember> index_file(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  return index_tar(
      [&](std::uint64_t offset, std::size_t length) { return bytes.substr(offset, length); },
      bytes.size(), path.string());
}

// Archives in the three layouts tar writers use, with what Python's tarfile says of each
// regular file (its path, the offset of its data, its size), one "path offset size" a line.
constexpr const char* kArchives = R"(
import io, tarfile
long = 'model_checkpoints/audio_rep_training_cochleagram_1/kell2018_decay_lr/' \
       '2b411fd2-56f2-46c1-ad45-1355d4ffadde/5_checkpoint.pt'
for name, form in [('gnu', tarfile.GNU_FORMAT), ('pax', tarfile.PAX_FORMAT),
                   ('ustar', tarfile.USTAR_FORMAT)]:
    with tarfile.open(name + '.tar', 'w', format=form) as tar:
        folder = tarfile.TarInfo('model_checkpoints'); folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for path, size in [(long, 1500), ('short.txt', 3), ('empty', 0),
                           ('model_checkpoints/other/5_checkpoint.pt', 512)]:
            info = tarfile.TarInfo(path); info.size = size
            tar.addfile(info, io.BytesIO(bytes((i * 7 + len(path)) % 251 for i in range(size))))
        link = tarfile.TarInfo('link'); link.type = tarfile.SYMTYPE; link.linkname = 'short.txt'
        tar.addfile(link)
    with tarfile.open(name + '.tar') as tar, open(name + '.txt', 'w') as out:
        for m in tar.getmembers():
            if m.isreg():
                out.write(f'{m.name} {m.offset_data} {m.size}\n')
)";

TEST(TarIndex, FindsEveryFileWherePythonsTarfileDoes) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), kArchives));
  for (const std::string form : {"gnu", "pax", "ustar"}) {
    std::istringstream expected(read_bytes(dir / (form + ".txt")));
    const auto members = index_file(dir / (form + ".tar"));
    std::size_t i = 0;
    std::string path;
    std::uint64_t offset = 0, size = 0;
    while (expected >> path >> offset >> size) {
      ASSERT_LT(i, members.size()) << form;
      EXPECT_EQ(members[i].path, path) << form;
      EXPECT_EQ(members[i].offset, offset) << form << " " << path;
      EXPECT_EQ(members[i].size, size) << form << " " << path;
      ++i;
    }
    EXPECT_EQ(i, 4u) << form;
    EXPECT_EQ(members.size(), 4u) << form << ": folders and links are not files";
    // Found by the end of its path, whatever the archive's top folders are.
    const TarMember* found = find_tar_member(
        members, "kell2018_decay_lr/2b411fd2-56f2-46c1-ad45-1355d4ffadde/5_checkpoint.pt");
    ASSERT_NE(found, nullptr) << form;
    EXPECT_EQ(found->size, 1500u);
    EXPECT_EQ(find_tar_member(members, "checkpoint.pt"), nullptr) << "whole components only";
    EXPECT_EQ(find_tar_member(members, "short.txt")->size, 3u);
  }
}

TEST(TarIndex, RefusesWhatIsNotATarArchive) {
  ScratchDir dir;
  ASSERT_TRUE(testing::run_python(dir.path(), kArchives));
  std::string bytes = read_bytes(dir / "gnu.tar");
  const auto index = [](const std::string& b) {
    return index_tar(
        [&](std::uint64_t offset, std::size_t length) { return b.substr(offset, length); },
        b.size(), "archive.tar");
  };
  std::string corrupt = bytes;
  corrupt[512 + 10] ^= 0x20;  // a name byte of the second header
  try {
    index(corrupt);
    FAIL() << "a header with a wrong checksum was accepted";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "archive.tar at byte 512"));
    EXPECT_TRUE(contains(e.what(), "checksum"));
  }
  EXPECT_THROW(index(bytes.substr(0, 512 + 512 + 700)), InputError) << "cut inside a member";
  EXPECT_THROW(index(std::string(2048, 'x')), InputError) << "not a tar header at all";
}

// A folder served over HTTP on the loopback interface (tests/io/serve_folder.py), and the
// requests it answered.
class ServedFolder {
 public:
  ServedFolder(const fs::path& root, const fs::path& scratch, bool honour_range = true)
      : log_(scratch / "requests.log") {
    const fs::path url_file = scratch / "url.txt";
    const auto started = brainalign::testing::run_command(
        {"sh", "-c",
         std::string(BRAINALIGN_PYTHON) + " " + BRAINALIGN_TEST_DIR + "/io/serve_folder.py " +
             root.string() + " " + url_file.string() + " " + log_.string() +
             (honour_range ? "" : " --ignore-range") + " >/dev/null 2>&1 & echo $!"});
    pid_ = std::stoi(started.output);
    for (int i = 0; i < 200 && !fs::exists(url_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    url_ = read_bytes(url_file);
  }
  ~ServedFolder() { ::kill(pid_, SIGTERM); }
  const std::string& url() const { return url_; }
  std::vector<std::string> requests() const {
    std::vector<std::string> lines;
    std::istringstream in(fs::exists(log_) ? read_bytes(log_) : "");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  void forget() const { fs::remove(log_); }

 private:
  fs::path log_;
  int pid_ = 0;
  std::string url_;
};

// The archives of kArchives in dir/www, to be served; archive indexes kept under dir/cache.
void write_served_archives(const fs::path& dir) {
  fs::create_directories(dir / "www");
  ASSERT_TRUE(testing::run_python(dir / "www", kArchives));
  ::setenv("XDG_CACHE_HOME", (dir / "cache").c_str(), 1);
}

TEST(RemoteArchiveMember, DownloadsOneFileOfATarArchiveByItsBytesAlone) {
  ScratchDir dir;
  ASSERT_NO_FATAL_FAILURE(write_served_archives(dir.path()));
  const auto members = index_file(dir / "www/gnu.tar");
  const std::string archive = read_bytes(dir / "www/gnu.tar");
  ServedFolder server(dir / "www", dir.path());
  ASSERT_FALSE(server.url().empty());

  RemoteFile file;
  file.path = "cnn9/word/5_checkpoint.pt";
  file.url = server.url() + "/gnu.tar";
  file.member = "kell2018_decay_lr/2b411fd2-56f2-46c1-ad45-1355d4ffadde/5_checkpoint.pt";
  std::vector<std::string> notes;
  FetchOptions options;
  options.note = [&](const std::string& line) { notes.push_back(line); };
  std::vector<std::pair<int, int>> headers_read;  // progress of reading the archive's headers
  options.progress = [&](const std::string& stage, int done, int total) {
    if (stage == "read the headers of " + file.url) headers_read.emplace_back(done, total);
  };
  fetch_remote_files({file}, dir / "root", "models", "models", options);
  ASSERT_FALSE(headers_read.empty());
  EXPECT_EQ(headers_read.front(), std::make_pair(0, 1000));
  EXPECT_EQ(headers_read.back(), std::make_pair(1000, 1000));
  EXPECT_EQ(read_bytes(dir / "root" / file.path), archive.substr(members[0].offset, 1500));
  // Headers, then the member's bytes: never the archive as a whole.
  const auto asked = server.requests();
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.front(), "HEAD /gnu.tar");
  EXPECT_EQ(asked.back(), "GET /gnu.tar bytes=" + std::to_string(members[0].offset) + "-" +
                              std::to_string(members[0].offset + 1499));
  for (const auto& line : asked) EXPECT_NE(line, "GET /gnu.tar None") << "the whole archive";
  EXPECT_TRUE(fs::exists(dir / "cache/brainalign/archives")) << "the index is kept";
  ASSERT_FALSE(notes.empty());
  EXPECT_TRUE(contains(notes.back(), "no pinned checksum"));

  // Another member, into another root: the kept index says where, so only its bytes are asked
  // for; a .part of it is resumed.
  server.forget();
  RemoteFile other = file;
  other.path = "other/5_checkpoint.pt";
  other.member = "other/5_checkpoint.pt";
  const TarMember& second = members[3];
  fs::create_directories(dir / "root2/other");
  std::ofstream(dir / "root2/other/5_checkpoint.pt.part", std::ios::binary)
      << archive.substr(second.offset, 200);
  fetch_remote_files({other}, dir / "root2", "models", "models", {});
  EXPECT_EQ(read_bytes(dir / "root2/other/5_checkpoint.pt"), archive.substr(second.offset, 512));
  EXPECT_EQ(server.requests(),
            std::vector<std::string>{"GET /gnu.tar bytes=" + std::to_string(second.offset + 200) +
                                     "-" + std::to_string(second.offset + 511)});

  RemoteFile missing = file;
  missing.path = "missing.pt";
  missing.member = "no/such/5_checkpoint.pt";
  try {
    fetch_remote_files({missing}, dir / "root", "models", "models", {});
    FAIL() << "a member the archive lacks was fetched";
  } catch (const IoError& e) {
    EXPECT_TRUE(contains(e.what(), "holds no file no/such/5_checkpoint.pt"));
  }
  EXPECT_FALSE(fs::exists(dir / "root/missing.pt"));
}

TEST(RemoteArchiveMember, ASeverThatIgnoresRangesIsRefusedAndLeavesNothing) {
  ScratchDir dir;
  ASSERT_NO_FATAL_FAILURE(write_served_archives(dir.path()));
  ServedFolder server(dir / "www", dir.path(), false);
  RemoteFile file;
  file.path = "x/5_checkpoint.pt";
  file.url = server.url() + "/pax.tar";
  file.member = "other/5_checkpoint.pt";
  try {
    fetch_remote_files({file}, dir / "root", "models", "models", {});
    FAIL() << "a server without Range requests gave a member";
  } catch (const IoError& e) {
    EXPECT_TRUE(contains(e.what(), "does not honour Range requests"));
  }
  EXPECT_FALSE(fs::exists(dir / "root" / file.path));
  EXPECT_FALSE(fs::exists(dir / "root/x/5_checkpoint.pt.part"));
}

}  // namespace
}  // namespace brainalign::io
