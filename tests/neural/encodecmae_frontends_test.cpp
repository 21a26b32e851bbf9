// EnCodecMAE's EnCodec-encoder (ec-ec-*) and linear-spectrogram (spec-ec-*) front ends against
// a transcription of the reference (tests/reference/encodecmae_reference.py; torchaudio's own
// kaldi.spectrogram for the spectrogram): tiny models of both variants made by
// tests/neural/make_encodecmae_frontends_golden.py in a scratch folder, the front end and every
// layer compared.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "brainalign/base/error.h"
#include "brainalign/neural/families/encodecmae/encodecmae.h"
#include "common/error_message.h"
#include "common/generated_files.h"
#include "common/golden.h"

namespace brainalign::neural {
namespace {

namespace fs = std::filesystem;
using brainalign::testing::error_message;
using brainalign::testing::GeneratedFilesTest;
using brainalign::testing::golden_values;
using brainalign::testing::relative_error;

constexpr double kTolerance = 1e-4;

class EncodecMaeFrontEndsTest : public GeneratedFilesTest<EncodecMaeFrontEndsTest> {
 protected:
  static void SetUpTestSuite() { generate("neural/make_encodecmae_frontends_golden.py", {}); }

  // Every output of forward() against the reference's, printing the errors.
  static void compare(const std::string& variant, const std::string& front_name) {
    const EncodecMaeModel model = EncodecMaeModel::load(at(variant + "/model.pt"));
    const std::vector<HiddenState> states = model.forward(golden_values(at("input.npy")));
    const std::size_t layers = static_cast<std::size_t>(model.config().encoder_layers);
    ASSERT_EQ(states.size(), 3 + layers);
    EXPECT_EQ(states[0].name, front_name);
    std::vector<std::pair<std::string, std::string>> files = {
        {"front", states[0].name},
        {"post_net", "wav_encoder.post_net"},
        {"positions", "masker.positional_encoder"}};
    for (std::size_t i = 0; i < layers; ++i) {
      files.emplace_back("layer." + std::to_string(i),
                         "visible_encoder.encoder_layers." + std::to_string(i));
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      EXPECT_EQ(states[i].name, files[i].second);
      const double error =
          relative_error(states[i].value[0], at(variant + "/" + files[i].first + ".npy"));
      std::printf("%s %s: max relative error %.2e\n", variant.c_str(), states[i].name.c_str(),
                  error);
      EXPECT_LT(error, kTolerance) << variant << " " << states[i].name;
    }
    // As an AudioModel: embedding, encoder.1..N, the published layer scheme.
    const std::vector<std::string> names = model.layer_names();
    ASSERT_EQ(names.size(), 1 + layers);
    EXPECT_EQ(names.front(), "embedding");
    EXPECT_EQ(names.back(), "encoder." + std::to_string(layers));
    const std::vector<at::Tensor> picked = model.forward_samples(golden_values(at("input.npy")));
    ASSERT_EQ(picked.size(), names.size());
    EXPECT_LT(relative_error(picked.back(),
                             at(variant + "/layer." + std::to_string(layers - 1) + ".npy")),
              kTolerance);
  }
};

TEST_F(EncodecMaeFrontEndsTest, EncodecEncoderVariantMatchesEveryLayer) {
  const EncodecMaeConfig c = EncodecMaeModel::load(at("ec/model.pt")).config();
  EXPECT_EQ(c.front_end, EncodecMaeFrontEnd::kEncodec);
  EXPECT_EQ(c.padding_mask_hop, 320);  // the product of the ratios [8, 5, 4, 2]
  EXPECT_EQ(c.sample_rate, 24000.0);
  EXPECT_EQ(c.chunk_seconds, 1.0);
  EXPECT_EQ(c.model_dim, 16);
  compare("ec", "wav_encoder.encoder");
}

TEST_F(EncodecMaeFrontEndsTest, SpectrogramVariantMatchesEveryLayer) {
  if (!fs::exists(at("spec/model.pt"))) {
    GTEST_SKIP() << "torchaudio is not installed for " BRAINALIGN_PYTHON
                    " (Debian: python3-torchaudio): no spectrogram golden";
  }
  const EncodecMaeConfig c = EncodecMaeModel::load(at("spec/model.pt")).config();
  EXPECT_EQ(c.front_end, EncodecMaeFrontEnd::kSpectrogram);
  EXPECT_EQ(c.fbank.window_type, dsp::KaldiWindow::kHanning);
  EXPECT_EQ(c.norm_mean, -3.0);
  EXPECT_EQ(c.norm_std, 4.0);
  compare("spec", "spectrogram");
}

TEST_F(EncodecMaeFrontEndsTest, UnknownWavEncoderGetsOneClearMessage) {
  const std::string message =
      error_message<InputError>([] { EncodecMaeModel::load(at("bad.pt")); });
  EXPECT_NE(message.find("WavEncoder.encoder' = @encodecmae.models.encoders.SEANetEncoder"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("is a wav encoder this port does not run"), std::string::npos) << message;
}

}  // namespace
}  // namespace brainalign::neural
