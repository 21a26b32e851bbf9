#include "brainalign/models/model_catalog.h"

#include <cstdlib>

#include "brainalign/base/error.h"

namespace brainalign::models {
namespace fs = std::filesystem;
namespace {

// EnCodecMAE's v2 releases, as its hub code names them: <repo>/<model>.pt. The repository's
// revision is not published with the study, so the files are verified at their first download.
constexpr const char* kEncodecmae = "https://huggingface.co/lpepino/encodecmae-v2/resolve/main/";
// The BEATs checkpoints as the 2025 study's authors mirror them (Microsoft's own links are
// OneDrive pages or expiring signed URLs).
constexpr const char* kBeats =
    "https://huggingface.co/lpepino/beats_ckpts/resolve/5b53b0404df452a3a607d7e67687227730e5bad1/";
// Dasheng's release (the record its pip package downloads from).
constexpr const char* kDasheng = "https://zenodo.org/records/11511780/files/";
constexpr const char* kWav2vec2 =
    "https://huggingface.co/facebook/wav2vec2-base-960h/resolve/"
    "22aad52d435eb6dbaf354bdad9b0da84ce7d6156/";
constexpr const char* kS2t =
    "https://huggingface.co/facebook/s2t-large-librispeech-asr/resolve/"
    "66aa77d37681191e7995c06b9c6628137db6b977/";
constexpr const char* kCochdnnNote =
    "no native port yet; the checkpoint is published only inside the 14 GB archive "
    "https://mcdermottlab.mit.edu/cochdnn/cochdnn_model_checkpoints.tar";
const std::vector<std::string> kBothStudies = {"pepino2025", "tuckute2023"};
const std::vector<std::string> kPepino2025 = {"pepino2025"};

PublishedModel encodecmae(const std::string& variant, const std::string& file,
                          const std::string& description, bool runs) {
  PublishedModel m;
  m.name = "encodecmae:" + variant;
  m.description = description;
  if (runs) m.runs_as = "encodecmae:{dir}/" + file + ".pt";
  m.studies = kPepino2025;
  m.study_name = file;
  m.sample_rate = 24000;
  m.licence = "MIT";
  m.files = {{file + ".pt", kEncodecmae + file + ".pt", "", -1}};
  m.notes = runs ? "" : "no native route yet: its front end is not ported (only the mel one is)";
  return m;
}

PublishedModel beats(const std::string& variant, const std::string& file, const std::string& sha,
                     std::int64_t size, const std::string& description) {
  PublishedModel m;
  m.name = "beats:" + variant;
  m.description = description;
  m.runs_as = "beats:{dir}/" + file + ".pt";
  m.studies = kPepino2025;
  m.study_name = file;
  m.sample_rate = 16000;
  m.licence = "MIT";
  m.files = {{file + ".pt", kBeats + file + ".pt", sha, size}};
  return m;
}

PublishedModel dasheng(const std::string& variant, const std::string& file,
                       const std::string& study_name, const std::string& description) {
  PublishedModel m;
  m.name = "dasheng:" + variant;
  m.description = description;
  m.runs_as = "dasheng:{dir}/" + file;
  m.studies = kPepino2025;
  m.study_name = study_name;
  m.sample_rate = 16000;
  m.licence = "Apache-2.0";
  m.files = {{file, kDasheng + file + "?download=1", "", -1}};
  return m;
}

PublishedModel cochdnn(const std::string& name, const std::string& study_name,
                       const std::string& description) {
  PublishedModel m;
  m.name = name;
  m.description = description;
  m.studies = kBothStudies;
  m.study_name = study_name;
  m.sample_rate = 20000;
  m.licence = "MIT (code)";
  m.notes = kCochdnnNote;
  return m;
}

PublishedModel external(const std::string& name, const std::string& study_name, int rate,
                        const std::string& licence, std::vector<io::RemoteFile> files,
                        const std::string& description, const std::string& notes) {
  PublishedModel m;
  m.name = name;
  m.description = description;
  m.studies = kBothStudies;
  m.study_name = study_name;
  m.sample_rate = rate;
  m.licence = licence;
  m.files = std::move(files);
  m.notes = notes;
  return m;
}

std::vector<PublishedModel> make_catalogue() {
  std::vector<PublishedModel> c;
  c.push_back(encodecmae("mel256-ec-base", "mel256-ec-base", "EnCodecMAE base, mel input", true));
  c.push_back(encodecmae("mel256-ec-base-as", "mel256-ec-base-as",
                         "EnCodecMAE base, mel input, pretrained on AudioSet", true));
  c.push_back(encodecmae("mel256-ec-base-fma", "mel256-ec-base-fma",
                         "EnCodecMAE base, mel input, pretrained on FMA (music)", true));
  c.push_back(encodecmae("mel256-ec-base-ll", "mel256-ec-base-ll",
                         "EnCodecMAE base, mel input, pretrained on LibriLight (speech)", true));
  c.push_back(encodecmae("mel256-ec-base-st", "mel256-ec-base_st-nopn",
                         "EnCodecMAE base, mel input, with self-training", true));
  c.push_back(
      encodecmae("mel256-ec-small", "mel256-ec-small", "EnCodecMAE small, mel input", true));
  c.push_back(
      encodecmae("mel256-ec-large", "mel256-ec-large", "EnCodecMAE large, mel input", true));
  c.push_back(encodecmae("mel256-ec-large-st", "mel256-ec-large_st-nopn",
                         "EnCodecMAE large, mel input, with self-training", true));
  c.push_back(
      encodecmae("ec-ec-base", "ec-ec-base", "EnCodecMAE base, EnCodec-encoder input", false));
  c.push_back(encodecmae("spec-ec-base", "spec-ec-base",
                         "EnCodecMAE base, linear-spectrogram input", false));

  c.push_back(beats("iter1", "BEATs_iter1", "", 361499833, "BEATs, first iteration"));
  c.push_back(beats("iter2", "BEATs_iter2", "", 361499833, "BEATs, second iteration"));
  c.push_back(beats("iter3", "BEATs_iter3", "", 361499833, "BEATs, third iteration"));
  c.push_back(beats("iter3-as2m-cpt1", "BEATs_iter3_finetuned_on_AS2M_cpt1",
                    "379369a41d0b3749f746cdcea8036de506cb3aedecce84de7db0a75fda2a4fe7", 363145291,
                    "BEATs iter3 fine-tuned on AudioSet-2M (its head is ignored)"));

  c.push_back(dasheng("base", "dasheng_base.pt", "dasheng_base", "Dasheng base (86M)"));
  c.push_back(dasheng("0.6b", "dasheng_06b.pt", "dasheng_06B", "Dasheng 0.6B"));
  c.push_back(dasheng("1.2b", "dasheng_12b.pt", "dasheng_12B", "Dasheng 1.2B"));
  PublishedModel dasheng_as;
  dasheng_as.name = "dasheng:base-as";
  dasheng_as.description = "Dasheng base fine-tuned on AudioSet";
  dasheng_as.studies = kPepino2025;
  dasheng_as.study_name = "dasheng_base_ft-as";
  dasheng_as.sample_rate = 16000;
  dasheng_as.licence = "Apache-2.0";
  dasheng_as.notes =
      "no native route yet: the fine-tuned checkpoint the study used is not published with it "
      "(a candidate is https://zenodo.org/records/13315686/files/dasheng_audioset_mAP497.pt, "
      "a state_dict without its config)";
  c.push_back(std::move(dasheng_as));

  c.push_back(cochdnn("cnn9:word", "braindnn_kell2018_word", "CochCNN9 trained on words"));
  c.push_back(cochdnn("cnn9:speaker", "braindnn_kell2018_speaker", "CochCNN9 trained on speakers"));
  c.push_back(
      cochdnn("cnn9:audioset", "braindnn_kell2018_audioset", "CochCNN9 trained on AudioSet"));
  c.push_back(cochdnn("cnn9:multitask", "braindnn_kell2018_word_speaker_audioset",
                      "CochCNN9 trained on words, speakers and AudioSet"));
  c.push_back(cochdnn("resnet50:word", "braindnn_resnet50_word", "CochResNet50 trained on words"));
  c.push_back(
      cochdnn("resnet50:speaker", "braindnn_resnet50_speaker", "CochResNet50 trained on speakers"));
  c.push_back(cochdnn("resnet50:audioset", "braindnn_resnet50_audioset",
                      "CochResNet50 trained on AudioSet"));
  c.push_back(cochdnn("resnet50:multitask", "braindnn_resnet50_word_speaker_audioset",
                      "CochResNet50 trained on words, speakers and AudioSet"));

  PublishedModel spectemp;
  spectemp.name = "spectemp";
  spectemp.description = "spectrotemporal modulation filters (the studies' baseline)";
  spectemp.runs_as = "spectemp";
  spectemp.studies = kBothStudies;
  spectemp.study_name = "braindnn_spectemp_filters";
  spectemp.sample_rate = 20000;
  spectemp.licence = "MIT (code); no weights";
  c.push_back(std::move(spectemp));

  PublishedModel w2v = external(
      "hf:facebook/wav2vec2-base-960h", "braindnn_wav2vec2", 16000, "Apache-2.0",
      {{"config.json", std::string(kWav2vec2) + "config.json", "", -1},
       {"preprocessor_config.json", std::string(kWav2vec2) + "preprocessor_config.json", "", -1},
       {"pytorch_model.bin", std::string(kWav2vec2) + "pytorch_model.bin",
        "c34f9827b034a1b9141dbf6f652f8a60eda61cdf5771c9e05bfa99033c92cd96", -1}},
      "wav2vec 2.0 base, fine-tuned for ASR on LibriSpeech 960 h", "");
  w2v.runs_as = "hf:{dir}";
  c.push_back(std::move(w2v));
  PublishedModel s2t = external(
      "hf:facebook/s2t-large-librispeech-asr", "braindnn_s2t", 16000, "MIT",
      {{"config.json", std::string(kS2t) + "config.json", "", -1},
       {"preprocessor_config.json", std::string(kS2t) + "preprocessor_config.json", "", -1},
       {"pytorch_model.bin", std::string(kS2t) + "pytorch_model.bin", "", -1}},
      "Speech2Text large (LibriSpeech ASR): its encoder", "");
  s2t.runs_as = "hf:{dir}";
  c.push_back(std::move(s2t));

  c.push_back(external(
      "ast:audioset-10-10-0.4593", "braindnn_ast", 16000, "BSD-3-Clause",
      {{"audioset_10_10_0.4593.pth",
        "https://www.dropbox.com/s/cv4knew8mvbrnvq/audioset_0.4593.pth?dl=1", "", -1}},
      "Audio Spectrogram Transformer fine-tuned on AudioSet",
      "no native route for the original checkpoint yet (its Hugging Face conversion, "
      "MIT/ast-finetuned-audioset-10-10-0.4593, runs as hf:FOLDER); Dropbox is its only source"));
  c.push_back(external(
      "vggish", "braindnn_vggish", 16000, "Apache-2.0",
      {{"vggish-10086976.pth",
        "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth", "",
        -1},
       {"vggish_pca_params-970ea276.pth",
        "https://github.com/harritaylor/torchvggish/releases/download/v0.1/"
        "vggish_pca_params-970ea276.pth",
        "", -1}},
      "VGGish (AudioSet), as torchvggish ports it", "no native port yet"));
  c.push_back(external(
      "speechbrain:sepformer-whamr", "braindnn_sepformer", 8000, "Apache-2.0",
      {{"hyperparams.yaml",
        "https://huggingface.co/speechbrain/sepformer-whamr/resolve/main/hyperparams.yaml", "", -1},
       {"encoder.ckpt",
        "https://huggingface.co/speechbrain/sepformer-whamr/resolve/main/encoder.ckpt", "", -1},
       {"masknet.ckpt",
        "https://huggingface.co/speechbrain/sepformer-whamr/resolve/main/masknet.ckpt", "", -1},
       {"decoder.ckpt",
        "https://huggingface.co/speechbrain/sepformer-whamr/resolve/main/decoder.ckpt", "", -1}},
      "SepFormer speech separation (WHAMR!)",
      "no native port; score the 2023 release's published activations"));
  c.push_back(external(
      "speechbrain:metricgan-plus-voicebank", "braindnn_metricgan", 16000, "Apache-2.0",
      {{"hyperparams.yaml",
        "https://huggingface.co/speechbrain/metricgan-plus-voicebank/resolve/main/hyperparams.yaml",
        "", -1},
       {"enhance_model.ckpt",
        "https://huggingface.co/speechbrain/metricgan-plus-voicebank/resolve/main/"
        "enhance_model.ckpt",
        "", -1}},
      "MetricGAN+ speech enhancement (VoiceBank)",
      "no native port; score the 2023 release's published activations"));
  c.push_back(external(
      "dcase2020:baseline", "braindnn_dcase2020", 44100, "Tampere University licence (non-OSI)",
      {{"dcase_model_baseline_pre_trained.pt",
        "https://raw.githubusercontent.com/gretatuckute/dcase-2020-baseline/"
        "35e3bec90464404abccb015f4f2089152ec47373/models/dcase_model_baseline_pre_trained.pt",
        "", -1}},
      "DCASE 2020 audio-captioning baseline (GRU encoder-decoder)",
      "no native port; score the 2023 release's published activations"));
  c.push_back(external("deepspeech2:librispeech-v3", "braindnn_deepspeech", 16000, "MIT",
                       {{"librispeech_pretrained_v3.ckpt",
                         "https://github.com/SeanNaren/deepspeech.pytorch/releases/download/V3.0/"
                         "librispeech_pretrained_v3.ckpt",
                         "", -1}},
                       "DeepSpeech2 (LibriSpeech)",
                       "no native port; score the 2023 release's published activations"));
  c.push_back(external("zerospeech2020:vqvae-english", "braindnn_zerospeech", 16000, "MIT", {},
                       "ZeroSpeech 2020 VQ-VAE (English), its encoder",
                       "no native port, and no pinned checkpoint file (release v0.1 of "
                       "bshall/ZeroSpeech); score the 2023 release's published activations"));

  // In the 2023 study only: the music-task networks, whose checkpoints are not published.
  for (const auto& [name, study_name, description] :
       {std::tuple{"cnn9:music", "Kell2018music", "CochCNN9 trained on music genres"},
        {"resnet50:music", "ResNet50music", "CochResNet50 trained on music genres"}}) {
    PublishedModel m = cochdnn(name, study_name, description);
    m.studies = {"tuckute2023"};
    m.notes = "no published checkpoint; score the 2023 release's published activations";
    c.push_back(std::move(m));
  }
  return c;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

std::int64_t PublishedModel::size() const {
  std::int64_t total = 0;
  for (const auto& f : files) {
    if (f.size < 0) return -1;
    total += f.size;
  }
  return total;
}

const std::vector<PublishedModel>& published_models() {
  static const std::vector<PublishedModel> catalogue = make_catalogue();
  return catalogue;
}

const PublishedModel* find_published_model(const std::string& name) {
  for (const auto& m : published_models())
    if (m.name == name) return &m;
  return nullptr;
}

fs::path models_root() {
  if (const char* env = std::getenv("BRAINALIGN_MODELS"); env && *env) return fs::path(env);
  return io::user_cache_dir() / "models";
}

fs::path model_folder(const PublishedModel& model) {
  return models_root() / replace_all(model.name, ":", "/");
}

bool is_fetched(const PublishedModel& model) {
  const fs::path folder = model_folder(model);
  for (const auto& f : model.files)
    if (!fs::exists(folder / f.path)) return false;
  return true;
}

std::string runnable_name(const PublishedModel& model) {
  return replace_all(model.runs_as, "{dir}", model_folder(model).string());
}

fs::path fetch_published_model(const std::string& name, const io::FetchOptions& options) {
  const PublishedModel* model = find_published_model(name);
  if (model == nullptr) {
    std::string known;
    for (const auto& m : published_models()) known += (known.empty() ? "" : ", ") + m.name;
    throw InputError("unknown model '" + name + "' (catalogued: " + known + ")");
  }
  if (model->files.empty())
    throw InputError("model '" + name + "' has no public files to fetch" +
                     (model->runs() ? " (it needs none)" : ": " + model->notes));
  const fs::path folder = model_folder(*model);
  if (is_fetched(*model)) return folder;
  const std::string relative = replace_all(model->name, ":", "/");
  io::fetch_remote_files(model->files, folder, "fetch " + name, "models/" + relative, options);
  return folder;
}

}  // namespace brainalign::models
