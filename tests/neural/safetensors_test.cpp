// The safetensors reader on valid and malformed files, and checkpoints that disagree with their
// config: every error names the file and the tensor (or the config key).
#include "brainalign/neural/formats/safetensors.h"

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "brainalign/base/error.h"
#include "brainalign/neural/families/hf/hf_folder.h"
#include "brainalign/neural/families/hf/wav2vec2.h"
#include "brainalign/neural/formats/config.h"
#include "common/golden.h"
#include "common/scratch_dir.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

class SafetensorsTest : public ::testing::Test {
 protected:
  // A file with the given header text and `data_bytes` bytes of data (value i % 251).
  fs::path write_raw(const std::string& header, std::size_t data_bytes,
                     const std::string& name = "model.safetensors") {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    std::uint64_t size = header.size();
    for (int i = 0; i < 8; ++i) {
      out.put(static_cast<char>(size & 0xff));
      size >>= 8;
    }
    out << header;
    for (std::size_t i = 0; i < data_bytes; ++i) out.put(static_cast<char>(i % 251));
    return path;
  }

  // The InputError message of opening and loading every tensor of `path`.
  static std::string error_of(const fs::path& path) {
    try {
      const SafetensorsFile file(path);
      file.load_all();
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  const brainalign::testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
};

TEST_F(SafetensorsTest, RoundTripsFloat32Tensors) {
  const at::Tensor a = at::arange(12, at::kFloat).reshape({3, 4});
  const at::Tensor b = at::tensor({-1.5f, 2.25f});
  write_safetensors(dir_ / "x.safetensors", {{"a", a}, {"b.c", b}}, {{"format", "pt"}});
  const SafetensorsFile file(dir_ / "x.safetensors");
  EXPECT_EQ(file.entries().size(), 2u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_TRUE(at::equal(file.load("a"), a));
  EXPECT_TRUE(at::equal(file.load("b.c"), b));
  EXPECT_EQ(file.entry("a").shape, (std::vector<std::int64_t>{3, 4}));
}

TEST_F(SafetensorsTest, ConvertsOtherDtypesToFloat32) {
  // 1.0 and -2.0 as F16 (0x3c00, 0xc000) and BF16 (0x3f80, 0xc000); 7 as I64.
  const fs::path path = dir_ / "mixed.safetensors";
  const std::string header = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},)"
                             R"("i":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})";
  {
    std::ofstream out(path, std::ios::binary);
    std::uint64_t size = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((size >> (8 * i)) & 0xff));
    out << header;
    const unsigned char data[] = {0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x00, 0xc0,
                                  7,    0,    0,    0,    0,    0,    0,    0};
    out.write(reinterpret_cast<const char*>(data), sizeof(data));
  }
  const SafetensorsFile file(path);
  EXPECT_TRUE(at::equal(file.load("h"), at::tensor({1.0f, -2.0f})));
  EXPECT_TRUE(at::equal(file.load("b"), at::tensor({1.0f, -2.0f})));
  EXPECT_EQ(file.load("i").item<float>(), 7.0f);
  EXPECT_EQ(file.load_raw("i").scalar_type(), at::kLong);
}

TEST_F(SafetensorsTest, RejectsOffsetsPastTheData) {
  const auto path = write_raw(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 12);
  EXPECT_THAT(error_of(path),
              AllOf(HasSubstr(path.string()), HasSubstr("'w'"), HasSubstr("truncated")));
}

TEST_F(SafetensorsTest, RejectsOffsetsThatEndBeforeTheyBegin) {
  const auto path = write_raw(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8);
  EXPECT_THAT(error_of(path), AllOf(HasSubstr(path.string()), HasSubstr("'w'")));
}

TEST_F(SafetensorsTest, RejectsOverlappingRanges) {
  const auto path = write_raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                              12);
  EXPECT_THAT(error_of(path),
              AllOf(HasSubstr(path.string()), HasSubstr("'b'"), HasSubstr("overlap")));
}

TEST_F(SafetensorsTest, RejectsGapsAndUndescribedBytes) {
  const auto gap = write_raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                             12, "gap.safetensors");
  EXPECT_THAT(error_of(gap), AllOf(HasSubstr(gap.string()), HasSubstr("'b'"), HasSubstr("gap")));
  const auto trailing = write_raw(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 10,
                                  "tail.safetensors");
  EXPECT_THAT(error_of(trailing), AllOf(HasSubstr(trailing.string()), HasSubstr("6 bytes")));
}

TEST_F(SafetensorsTest, RejectsSizesThatDoNotMatchTheShape) {
  const auto path = write_raw(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
  EXPECT_THAT(error_of(path),
              AllOf(HasSubstr(path.string()), HasSubstr("'w'"), HasSubstr("needs 12 bytes")));
}

TEST_F(SafetensorsTest, RejectsAbsurdShapesBeforeAllocating) {
  const auto overflow =
      write_raw(R"({"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],)"
                R"("data_offsets":[0,8]}})",
                8, "overflow.safetensors");
  EXPECT_THAT(error_of(overflow),
              AllOf(HasSubstr(overflow.string()), HasSubstr("'w'"), HasSubstr("too large")));
  const auto huge = write_raw(R"({"w":{"dtype":"F64","shape":[1000000000000],)"
                              R"("data_offsets":[0,8]}})",
                              8, "huge.safetensors");
  EXPECT_THAT(error_of(huge), AllOf(HasSubstr(huge.string()), HasSubstr("'w'")));
  const auto negative = write_raw(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4,
                                  "negative.safetensors");
  EXPECT_THAT(error_of(negative), AllOf(HasSubstr(negative.string()), HasSubstr("'w'")));
}

TEST_F(SafetensorsTest, RejectsUnknownDtypes) {
  const auto path = write_raw(R"({"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", 1);
  EXPECT_THAT(error_of(path),
              AllOf(HasSubstr(path.string()), HasSubstr("'w'"), HasSubstr("unknown dtype 'Q7'")));
}

TEST_F(SafetensorsTest, RejectsTruncatedFiles) {
  const auto header_cut = write_raw(R"({"w":{"dtype":"F32")", 0, "cut.safetensors");
  EXPECT_THAT(error_of(header_cut), HasSubstr(header_cut.string()));
  // A header length larger than the file.
  const fs::path short_file = dir_ / "short.safetensors";
  {
    std::ofstream out(short_file, std::ios::binary);
    const unsigned char prefix[8] = {0x00, 0x10, 0, 0, 0, 0, 0, 0};
    out.write(reinterpret_cast<const char*>(prefix), 8);
    out << "{}";
  }
  EXPECT_THAT(error_of(short_file), AllOf(HasSubstr(short_file.string()), HasSubstr("truncated")));
  const fs::path tiny = dir_ / "tiny.safetensors";
  std::ofstream(tiny) << "abc";
  EXPECT_THAT(error_of(tiny), HasSubstr(tiny.string()));
  // A real checkpoint with its last bytes cut off.
  const fs::path golden = testing::golden_dir("wav2vec2_base_like") / "model.safetensors";
  fs::copy_file(golden, dir_ / "cut_model.safetensors");
  fs::resize_file(dir_ / "cut_model.safetensors", fs::file_size(golden) - 100);
  EXPECT_THAT(error_of(dir_ / "cut_model.safetensors"),
              AllOf(HasSubstr("cut_model.safetensors"), HasSubstr("truncated")));
}

TEST_F(SafetensorsTest, NamesMissingTensors) {
  const auto path = write_raw(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4);
  const SafetensorsFile file(path);
  try {
    file.load("encoder.missing");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path.string()), HasSubstr("'encoder.missing'")));
  }
}

// A copy of a golden model folder whose config.json or tensors can be changed.
class CheckpointMismatchTest : public SafetensorsTest {
 protected:
  fs::path copy_model(const std::string& name) {
    const fs::path folder = dir_ / name;
    fs::create_directories(folder);
    for (const char* file : {"config.json", "model.safetensors"}) {
      fs::copy_file(testing::golden_dir(name) / file, folder / file);
    }
    return folder;
  }
  static void edit_config(const fs::path& folder,
                          const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json json = ModelConfig::read(folder / "config.json").json();
    edit(json);
    std::ofstream(folder / "config.json") << json.dump(2);
  }
  static std::string load_error(const fs::path& folder) {
    try {
      load_audio_model(folder);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(CheckpointMismatchTest, ConfigThatDisagreesWithTheCheckpointNamesTheTensor) {
  const fs::path folder = copy_model("wav2vec2_base_like");
  edit_config(folder, [](nlohmann::json& json) { json["intermediate_size"] = 256; });
  EXPECT_THAT(load_error(folder),
              AllOf(HasSubstr("encoder.layers.0.feed_forward.intermediate_dense.weight"),
                    HasSubstr("[128, 64]"), HasSubstr("[256, 64]"), HasSubstr("config.json")));
  edit_config(folder, [](nlohmann::json& json) {
    json["intermediate_size"] = 128;
    json["num_hidden_layers"] = 4;
  });
  EXPECT_THAT(load_error(folder), AllOf(HasSubstr("'encoder.layers.3."), HasSubstr("missing")));
}

TEST_F(CheckpointMismatchTest, MissingOrMisshapenTensorIsNamed) {
  const fs::path folder = copy_model("whisper_encoder_like");
  auto tensors = SafetensorsFile(folder / "model.safetensors").load_all();
  tensors.erase("encoder.layers.2.fc2.bias");
  write_safetensors(folder / "model.safetensors", tensors);
  EXPECT_THAT(load_error(folder), AllOf(HasSubstr("'encoder.layers.2.fc2.bias'"),
                                        HasSubstr("missing"), HasSubstr("model.safetensors")));
  tensors["encoder.layers.2.fc2.bias"] = at::zeros({65});
  write_safetensors(folder / "model.safetensors", tensors);
  EXPECT_THAT(load_error(folder), AllOf(HasSubstr("'encoder.layers.2.fc2.bias'"), HasSubstr("[65]"),
                                        HasSubstr("[64]")));
}

TEST_F(CheckpointMismatchTest, MissingConfigKeyIsNamed) {
  const fs::path folder = copy_model("ast_like");
  edit_config(folder, [](nlohmann::json& json) { json.erase("hidden_size"); });
  EXPECT_THAT(load_error(folder),
              AllOf(HasSubstr("config.json"), HasSubstr("'hidden_size'"), HasSubstr("missing")));
  edit_config(folder, [](nlohmann::json& json) { json["model_type"] = "bert"; });
  EXPECT_THAT(load_error(folder), HasSubstr("'bert'"));
}

TEST_F(CheckpointMismatchTest, HeadPrefixedCheckpointsLoad) {
  // Wav2Vec2ForCTC saves the base model under "wav2vec2.".
  const fs::path folder = copy_model("wav2vec2_base_like");
  std::map<std::string, at::Tensor> prefixed;
  for (auto& [name, tensor] : SafetensorsFile(folder / "model.safetensors").load_all()) {
    prefixed["wav2vec2." + name] = tensor;
  }
  prefixed["lm_head.weight"] = at::zeros({32, 64});
  write_safetensors(folder / "model.safetensors", prefixed);
  const Wav2Vec2Model model = Wav2Vec2Model::load(folder);
  const at::Tensor input =
      testing::read_golden(testing::golden_dir("wav2vec2_base_like") / "input.input_values.npy");
  const at::Tensor expected =
      testing::read_golden(testing::golden_dir("wav2vec2_base_like") / "hidden_state.03.npy");
  EXPECT_LT(testing::relative_error(model.forward(input).back(), expected), testing::kTolerance);
}

}  // namespace
}  // namespace brainalign::neural
