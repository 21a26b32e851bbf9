// The .pt reader against files that PyTorch itself wrote, and against broken ones.
#include "brainalign/neural/formats/torch_checkpoint.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/io/npy.h"
#include "common/error_message.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

using brainalign::testing::run_python;
using brainalign::testing::ScratchDir;

// The tensor's values in C order as doubles.
std::vector<double> values_of(const at::Tensor& tensor) {
  const at::Tensor flat = tensor.to(at::kDouble).contiguous().reshape({-1});
  return std::vector<double>(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
}

std::vector<std::int64_t> shape_of(const std::vector<std::size_t>& shape) {
  return std::vector<std::int64_t>(shape.begin(), shape.end());
}

void expect_same(const at::Tensor& tensor, const std::filesystem::path& npy) {
  const io::NpyArray expected = io::read_npy(npy);
  EXPECT_EQ(tensor.sizes().vec(), shape_of(expected.shape())) << npy;
  EXPECT_EQ(values_of(tensor), expected.to_doubles()) << npy;
}

std::string message_of(const std::filesystem::path& path) {
  return brainalign::testing::error_message<InputError>([&] { (void)read_torch_checkpoint(path); });
}

TEST(TorchCheckpoint, ReadsWhatTorchSaveWrote) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import collections, torch
torch.manual_seed(0)
a = torch.randn(3, 4)
obj = {
    'a': a, 'view': a[1:, ::2], 'transposed': a.t(), 'row': a[2],
    'half': torch.randn(2, 5).half(), 'long': torch.arange(-3, 9).reshape(3, 4) * 2**40,
    'flags': torch.tensor([True, False, True]), 'scalar': torch.tensor(7.5),
    'empty': torch.zeros(0, 3), 'param': torch.nn.Parameter(torch.ones(2)),
    'double': torch.randn(4).double(),
    'nested': {'list': [1, 2.5, 'text', None, True, False, (3, 'x')],
               'ordered': collections.OrderedDict([('z', 1), ('y', -2**40)]),
               'big': 2**62, 'negative': -70000, 'unicode': 'gr\u00fc\u00df'},
    'state': torch.nn.Linear(3, 2).state_dict(),
}
torch.save(obj, 'values.pt')
for key in ['a', 'view', 'transposed', 'row', 'long', 'flags', 'scalar', 'double']:
    np.save(key + '.npy', obj[key].numpy())
np.save('half.npy', obj['half'].float().numpy())
np.save('weight.npy', obj['state']['weight'].numpy())
)"));
  const TorchCheckpoint checkpoint = read_torch_checkpoint(dir / "values.pt");
  const PickleValue root = checkpoint.root();
  ASSERT_EQ(root.kind(), PickleValue::Kind::kDict);
  for (const char* key : {"a", "view", "transposed", "row", "long", "flags", "scalar", "double"}) {
    expect_same(root.at(key).as_tensor(), dir / (std::string(key) + ".npy"));
  }
  expect_same(root.at("half").as_tensor(), dir / "half.npy");
  EXPECT_EQ(root.at("half").as_tensor().scalar_type(), at::kHalf);
  EXPECT_EQ(root.at("long").as_tensor().scalar_type(), at::kLong);
  EXPECT_EQ(root.at("flags").as_tensor().scalar_type(), at::kBool);
  EXPECT_EQ(root.at("empty").as_tensor().sizes().vec(), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(values_of(root.at("param").as_tensor()), (std::vector<double>{1.0, 1.0}));

  // Views keep sharing the storage of the tensor they were taken from.
  const at::Tensor& a = root.at("a").as_tensor();
  const at::Tensor& view = root.at("view").as_tensor();
  EXPECT_EQ(view.storage().data(), a.storage().data());
  EXPECT_EQ(view.storage_offset(), 4);
  EXPECT_EQ(view.strides().vec(), (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(root.at("transposed").as_tensor().strides().vec(), (std::vector<std::int64_t>{1, 4}));

  const PickleValue nested = root.at("nested");
  const std::vector<PickleValue> list = nested.at("list").items();
  ASSERT_EQ(list.size(), 7u);
  EXPECT_EQ(list[0].as_int(), 1);
  EXPECT_EQ(list[1].as_double(), 2.5);
  EXPECT_EQ(list[2].as_string(), "text");
  EXPECT_TRUE(list[3].is_none());
  EXPECT_TRUE(list[4].as_bool());
  EXPECT_FALSE(list[5].as_bool());
  EXPECT_EQ(list[6].kind(), PickleValue::Kind::kTuple);
  EXPECT_EQ(list[6].items()[1].as_string(), "x");
  const auto ordered = nested.at("ordered").entries();
  ASSERT_EQ(ordered.size(), 2u);
  EXPECT_EQ(ordered[0].first.as_string(), "z");
  EXPECT_EQ(ordered[1].second.as_int(), -(std::int64_t{1} << 40));
  EXPECT_EQ(nested.at("big").as_int(), std::int64_t{1} << 62);
  EXPECT_EQ(nested.at("negative").as_int(), -70000);
  EXPECT_EQ(nested.at("unicode").as_string(), "gr\xc3\xbc\xc3\x9f");

  const auto state = tensor_dict(root.at("state"));
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].first, "weight");
  expect_same(state[0].second, dir / "weight.npy");
  EXPECT_THROW(tensor_dict(nested), InputError);
  EXPECT_THROW(root.at("missing"), InputError);
  EXPECT_THROW(root.at("a").as_string(), InputError);
}

// torch.save([OrderedDict((f'k{j}', j) for j in range(i)) for i in range(24)]): building an
// OrderedDict (and a device, and a tensor) adds a node while the call's arguments, held by
// reference, lived in the node list, so that a growing list freed them under the reader
// (found by fuzz_torch_checkpoint on the golden Dasheng checkpoint: heap-use-after-free under
// ASan; without ASan the freed memory usually still held the right values).
TEST(TorchCheckpoint, ReadsCallsWhileTheNodeListGrows) {
  const std::filesystem::path file =
      std::filesystem::path(BRAINALIGN_TEST_DIR) /
      "neural/regressions/torch_checkpoint/ordered_dicts_across_node_growth.pt";
  const TorchCheckpoint checkpoint = read_torch_checkpoint(file);
  const std::vector<PickleValue> dicts = checkpoint.root().items();
  ASSERT_EQ(dicts.size(), 24u);
  for (std::size_t i = 0; i < dicts.size(); ++i) {
    const auto entries = dicts[i].entries();
    ASSERT_EQ(entries.size(), i);
    for (std::size_t j = 0; j < i; ++j) {
      const std::string& key = entries[j].first.as_string();
      EXPECT_EQ(key.substr(0, 1), "k");
      EXPECT_EQ(key.substr(1), std::to_string(j));
      EXPECT_EQ(entries[j].second.as_int(), static_cast<std::int64_t>(j));
    }
  }
}

TEST(TorchCheckpoint, RejectsMalformedFiles) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import io, pickle, zipfile, torch
torch.save({'w': torch.ones(4)}, 'good.pt')
torch.save({'w': torch.ones(4)}, 'legacy.pt', _use_new_zipfile_serialization=False)
good = open('good.pt', 'rb').read()
open('truncated.pt', 'wb').write(good[:len(good) // 2])
src = zipfile.ZipFile('good.pt')
def rewrite(name, change):
    with zipfile.ZipFile(name, 'w') as out:
        for item in src.namelist():
            data = change(item, src.read(item))
            if data is not None:
                out.writestr(item, data)
rewrite('missing_record.pt', lambda n, d: None if n.endswith('data/0') else d)
rewrite('short_record.pt', lambda n, d: d[:8] if n.endswith('data/0') else d)
rewrite('bad_global.pt', lambda n, d: pickle.dumps(complex(1, 2), protocol=2)
        if n.endswith('data.pkl') else d)
rewrite('bad_opcode.pt', lambda n, d: pickle.dumps(b'abc', protocol=4)
        if n.endswith('data.pkl') else d)
pkl = src.read('good/data.pkl')
# The storage size 4 (BININT1 4) becomes 40, and the tensor's size 4 becomes 9.
rewrite('big_storage.pt', lambda n, d: d.replace(b'K\x04', b'K\x28', 1)
        if n.endswith('data.pkl') else d)
rewrite('outside.pt', lambda n, d: d.replace(b'K\x04\x85', b'K\x09\x85')
        if n.endswith('data.pkl') else d)
)"));
  EXPECT_NO_THROW(read_torch_checkpoint(dir / "good.pt"));
  EXPECT_NE(message_of(dir / "legacy.pt").find("not a torch.save zip archive"), std::string::npos);
  EXPECT_NE(message_of(dir / "truncated.pt").find("truncated.pt"), std::string::npos);
  EXPECT_NE(message_of(dir / "missing_record.pt").find("missing record 'good/data/0'"),
            std::string::npos);
  EXPECT_NE(message_of(dir / "short_record.pt").find("from a record of 8 bytes"),
            std::string::npos);
  EXPECT_NE(message_of(dir / "bad_global.pt").find("refuses global '__builtin__ complex'"),
            std::string::npos);
  EXPECT_NE(message_of(dir / "bad_opcode.pt").find("unsupported pickle opcode 0x43 ('C')"),
            std::string::npos);
  EXPECT_NE(message_of(dir / "big_storage.pt").find("storage '0' of 40"), std::string::npos);
  EXPECT_NE(message_of(dir / "outside.pt").find("reaching element 8"), std::string::npos);
  EXPECT_THROW(read_torch_checkpoint(dir / "absent.pt"), IoError);

  // The same checks hold for bytes in memory.
  std::ifstream file(dir / "bad_global.pt", std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                        std::istreambuf_iterator<char>());
  EXPECT_THROW(parse_torch_checkpoint(bytes, "memory"), InputError);
  std::ifstream good(dir / "good.pt", std::ios::binary);
  const std::vector<std::uint8_t> good_bytes((std::istreambuf_iterator<char>(good)),
                                             std::istreambuf_iterator<char>());
  const TorchCheckpoint checkpoint = parse_torch_checkpoint(good_bytes, "memory");
  EXPECT_EQ(values_of(checkpoint.root().at("w").as_tensor()), std::vector<double>(4, 1.0));
  EXPECT_THROW(parse_torch_checkpoint(std::span(good_bytes).first(100), "memory"), InputError);
}

// Random damage to data.pkl (re-zipped, so the damage reaches the interpreter) never crashes:
// each file either loads or is refused with an InputError.
TEST(TorchCheckpoint, SurvivesDamagedPickles) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import random, zipfile, torch, collections
torch.save({'w': torch.ones(3, 2), 'v': torch.zeros(2).half(), 'cfg': {'a': [1, 2.0, 'x']},
            'od': collections.OrderedDict(b=None)}, 'base.pt')
src = zipfile.ZipFile('base.pt')
pkl = bytearray(src.read('base/data.pkl'))
rng = random.Random(0)
for i in range(300):
    data = bytearray(pkl)
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        at = rng.randrange(len(data))
        if kind < 0.6:
            data[at] = rng.randrange(256)
        elif kind < 0.8:
            del data[at:at + rng.randint(1, 8)]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    with zipfile.ZipFile('damaged_%03d.pt' % i, 'w') as out:
        for item in src.namelist():
            out.writestr(item, bytes(data) if item.endswith('data.pkl') else src.read(item))
)"));
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "damaged_%03d.pt", i);
    try {
      const TorchCheckpoint checkpoint = read_torch_checkpoint(dir / name);
      (void)checkpoint.root().repr();
    } catch (const InputError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace brainalign::neural
