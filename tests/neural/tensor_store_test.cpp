// One tensor store for both checkpoint formats, and one network interface for every port.
#include "brainalign/neural/formats/tensor_store.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "brainalign/base/error.h"
#include "brainalign/models/registry.h"
#include "brainalign/neural/audio_model.h"
#include "brainalign/neural/families/beats/beats.h"
#include "brainalign/neural/families/dasheng/dasheng.h"
#include "brainalign/neural/families/encodecmae/encodecmae.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "brainalign/neural/model_families.h"
#include "common/error_message.h"
#include "common/golden.h"
#include "common/python_run.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

using brainalign::testing::error_message;
using brainalign::testing::run_python;
using brainalign::testing::ScratchDir;

// The same tensors saved by safetensors and by torch.save give the same store.
TEST(TensorStore, ReadsSafetensorsAndStateDictsAlike) {
  ScratchDir dir;
  ASSERT_TRUE(run_python(dir.path(), R"(
import collections, json, struct, torch
def save_file(tensors, path):  # the safetensors layout: header length, JSON header, data
    codes = {torch.float64: 'F64', torch.float16: 'F16', torch.float32: 'F32', torch.int64: 'I64'}
    header, data = {}, b''
    for name, tensor in tensors.items():
        raw = tensor.numpy().tobytes()
        header[name] = {'dtype': codes[tensor.dtype], 'shape': list(tensor.shape),
                        'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    open(path, 'wb').write(struct.pack('<Q', len(text)) + text + data)
tensors = collections.OrderedDict([
    ('model.layers.0.weight', torch.arange(6, dtype=torch.float64).reshape(2, 3)),
    ('model.layers.1.weight', torch.ones(2, 3, dtype=torch.float16)),
    ('model.head.weight', torch.zeros(4)),
    ('model.steps', torch.tensor([3], dtype=torch.int64))])
save_file({k: v.contiguous() for k, v in tensors.items()}, 'model.safetensors')
torch.save({'state': tensors}, 'model.pt')
)"));
  const TensorStore from_file(dir / "model.safetensors", "config.json");
  const TorchCheckpoint checkpoint = read_torch_checkpoint(dir / "model.pt");
  const TensorStore from_pickle(checkpoint.root().at("state"), (dir / "model.pt").string(),
                                "config.json");
  for (const TensorStore* store : {&from_file, &from_pickle}) {
    TensorStore weights = *store;
    weights.use_prefix_of("layers.0.weight", {"encoder.", "model."});
    EXPECT_EQ(weights.prefix(), "model.");
    EXPECT_EQ(weights.count("layers.", ".weight"), 2);
    EXPECT_EQ(weights.shape("head.weight"), (std::vector<std::int64_t>{4}));
    const at::Tensor first = weights.get("layers.0.weight", {2, -1});
    EXPECT_EQ(first.scalar_type(), at::kFloat);
    EXPECT_TRUE(first.is_contiguous());
    EXPECT_EQ(first.sum().item<double>(), 15.0);
    EXPECT_EQ(weights.get("layers.1.weight", {2, 3}).sum().item<double>(), 6.0);
    const std::string where = weights.source() + ": tensor 'model.";
    EXPECT_EQ(error_message<InputError>([&] {
                weights.get("layers.1.weight", {3, 2});
              }),
              where + "layers.1.weight' has shape [2, 3], expected [3, 2] from config.json");
    EXPECT_EQ(error_message<InputError>([&] {
                weights.get("layers.2.weight", {2, -1});
              }),
              where + "layers.2.weight' is missing (expected shape [2, *] from config.json)");
    // Unused tensors are named unless ignored.
    EXPECT_NE(error_message<InputError>([&] {
                weights.expect_all_used({"steps"});
              }).find("'model.head.weight' is not part of the architecture config.json"),
              std::string::npos);
    weights.get("head.weight", {4});
    EXPECT_NO_THROW(weights.expect_all_used({"steps"}));
  }
  // A state_dict's integer tensor is not a weight.
  EXPECT_NE(error_message<InputError>([&] {
              TensorStore(from_pickle).get("model.steps", {1});
            }).find("holds Long, not floats"),
            std::string::npos);
}

// Every .pt port is an AudioModel whose layers are its own hidden states, picked by name.
TEST(AudioModel, PortsOfTorchSaveCheckpointsShareTheInterface) {
  using brainalign::testing::golden_dir;
  std::vector<std::shared_ptr<const AudioModel>> networks = {
      std::make_shared<const BeatsModel>(BeatsModel::load(golden_dir("beats_like") / "model.pt")),
      std::make_shared<const DashengModel>(
          DashengModel::load(golden_dir("dasheng_like") / "model.pt")),
      std::make_shared<const EncodecMaeModel>(
          EncodecMaeModel::load(golden_dir("encodecmae_like") / "model.pt"))};
  const std::vector<std::string> architectures = {"BEATs", "Dasheng", "EncodecMAE"};
  for (std::size_t i = 0; i < networks.size(); ++i) {
    const AudioModel& network = *networks[i];
    EXPECT_EQ(network.architecture(), architectures[i]);
    const std::vector<std::string> names = network.layer_names();
    ASSERT_GE(names.size(), 2u);
    EXPECT_EQ(names.front(), "embedding");
    // Dasheng ends with its final norm, "output"; BEATs (post-LN) and EnCodecMAE (whose last
    // layer holds its final norm) with encoder.N.
    const bool output = architectures[i] == "Dasheng";
    EXPECT_EQ(names.back(),
              output ? std::string("output") : "encoder." + std::to_string(names.size() - 1));
    if (output) {
      EXPECT_EQ(names[names.size() - 2], "encoder." + std::to_string(names.size() - 2));
    }
    // Two seconds of a float-exact tone: the float and the double entry points agree.
    const at::Tensor t =
        at::arange(static_cast<std::int64_t>(2 * network.sample_rate()), at::kDouble) /
        network.sample_rate();
    const at::Tensor waveform = (0.25 * at::sin(2 * M_PI * 220 * t)).to(at::kFloat);
    const std::vector<at::Tensor> from_tensor = network.forward_waveform(waveform);
    const std::vector<at::Tensor> from_samples =
        network.forward_samples(waveform_samples(waveform));
    ASSERT_EQ(from_tensor.size(), names.size()) << architectures[i];
    for (std::size_t l = 0; l < names.size(); ++l) {
      EXPECT_EQ(from_tensor[l].dim(), 2) << architectures[i] << " " << names[l];
      EXPECT_TRUE(at::equal(from_tensor[l], from_samples[l]))
          << architectures[i] << " " << names[l];
    }
  }
}

// A Hugging Face folder's weights as transformers may save them: pytorch_model.bin, and either
// format sharded with an index. Every form gives the model exactly the same layers.
TEST(TensorStore, ReadsEveryFormOfAHuggingFaceFolder) {
  using brainalign::testing::golden_dir;
  ScratchDir dir;
  const std::filesystem::path golden = golden_dir("wav2vec2_base_like");
  ASSERT_TRUE(run_python(dir.path(), R"(
import collections, json, os, shutil, struct, torch
golden = ')" + golden.string() + R"('
def read_safetensors(path):
    raw = open(path, 'rb').read()
    size = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + size])
    tensors = collections.OrderedDict()
    for name, entry in sorted(header.items(), key=lambda kv: kv[1].get('data_offsets', [0])[0]):
        if name == '__metadata__':
            continue
        assert entry['dtype'] == 'F32'
        begin, end = entry['data_offsets']
        data = np.frombuffer(raw[8 + size + begin:8 + size + end], dtype='<f4').copy()
        tensors[name] = torch.from_numpy(data.reshape(entry['shape']))
    return tensors
def save_safetensors(tensors, path):
    header, data = {}, b''
    for name, tensor in tensors.items():
        raw = tensor.numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensor.shape),
                        'data_offsets': [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    open(path, 'wb').write(struct.pack('<Q', len(text)) + text + data)
tensors = read_safetensors(golden + '/model.safetensors')
names = list(tensors)
halves = [collections.OrderedDict((n, tensors[n]) for n in names[:len(names) // 2]),
          collections.OrderedDict((n, tensors[n]) for n in names[len(names) // 2:])]
def folder(name):
    os.mkdir(name)
    shutil.copy(golden + '/config.json', name + '/config.json')
    return name
torch.save(tensors, folder('bin') + '/pytorch_model.bin')
for kind, suffix, save in (('sharded_st', 'safetensors', save_safetensors),
                           ('sharded_bin', 'bin', torch.save)):
    folder(kind)
    stem = 'model' if suffix == 'safetensors' else 'pytorch_model'
    weight_map = {}
    for i, half in enumerate(halves):
        shard = f'{stem}-0000{i + 1}-of-00002.{suffix}'
        save(half, f'{kind}/{shard}')
        weight_map.update({n: shard for n in half})
    index = {'metadata': {'total_size': 0}, 'weight_map': weight_map}
    json.dump(index, open(f'{kind}/{stem}.{suffix}.index.json', 'w'))
# A shard the index names but that is missing, and a tensor in two shards.
shutil.copytree('sharded_st', 'missing_shard')
os.remove('missing_shard/model-00002-of-00002.safetensors')
shutil.copytree('sharded_st', 'twice')
save_safetensors(tensors, 'twice/model-00002-of-00002.safetensors')
)"));
  const auto reference = load_audio_model(golden);
  const at::Tensor waveform = at::sin(at::arange(16000, at::kFloat) * 0.05);
  const std::vector<at::Tensor> expected = reference->forward_waveform(waveform);
  for (const char* form : {"bin", "sharded_st", "sharded_bin"}) {
    const auto model = load_audio_model(dir / form);
    const std::vector<at::Tensor> layers = model->forward_waveform(waveform);
    ASSERT_EQ(layers.size(), expected.size()) << form;
    for (std::size_t l = 0; l < layers.size(); ++l) {
      EXPECT_TRUE(at::equal(layers[l], expected[l])) << form << " layer " << l;
    }
  }
  register_model_families();
  EXPECT_EQ(models::make_model("auto:" + (dir / "sharded_bin").string())->name(), "hf:sharded_bin");
  EXPECT_NE(error_message<IoError>([&] {
              load_audio_model(dir / "missing_shard");
            }).find("model-00002-of-00002.safetensors does not exist (named by "),
            std::string::npos);
  EXPECT_NE(
      error_message<InputError>([&] { load_audio_model(dir / "twice"); }).find("' is also in "),
      std::string::npos);
}

}  // namespace
}  // namespace brainalign::neural
