#include "brainalign/models/model_catalog.h"

#include <cstdlib>
#include <mutex>

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
// The training checkpoints of the cochleagram networks: files of one tar archive of about 14 GB
// (jenellefeather/cochdnn's download_large_files.py), each fetched alone by its bytes.
constexpr const char* kCochdnnArchive =
    "https://mcdermottlab.mit.edu/cochdnn/cochdnn_model_checkpoints.tar";
constexpr const char* kCochdnnNote =
    "the training checkpoint its model_directories/<model>/build_network.py in "
    "jenellefeather/cochdnn loads, one file of the 14 GB archive "
    "https://mcdermottlab.mit.edu/cochdnn/cochdnn_model_checkpoints.tar, downloaded alone by "
    "Range requests (the archive's headers are read once to find it); its activations in the "
    "2023 release run as tuckute2023-activations:";
// The 2023 release's activations of every model for the 165 sounds (its download script,
// setup_utils/download_files.py); neither checksum nor exact size is published.
constexpr const char* kActivationsArchive =
    "https://mcdermottlab.mit.edu//tuckute_feather_2023/model_actv.tar";
constexpr const char* kActivationsNote =
    "runs from its published activations (the 2023 release's model_actv.tar, data set "
    "tuckute2023-activations): the 165 natural sounds only";
const std::vector<std::string> kBothStudies = {"pepino2025", "tuckute2023"};
const std::vector<std::string> kPepino2025 = {"pepino2025"};

PublishedModel encodecmae(const std::string& variant, const std::string& file,
                          const std::string& description) {
  PublishedModel m;
  m.name = "encodecmae:" + variant;
  m.description = description;
  m.runs_as = "encodecmae:{dir}/" + file + ".pt";
  m.studies = kPepino2025;
  m.study_name = file;
  m.sample_rate = 24000;
  m.licence = "MIT";
  m.files = {{file + ".pt", kEncodecmae + file + ".pt", "", -1}};
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

// Routes `m` to its published activations in model_actv/<folder> (the permuted control's when
// `permuted`); a model with no files of its own gets the archive as its file, so that its first
// use fetches it.
void run_from_activations(PublishedModel& m, const std::string& folder) {
  m.activations = folder;
  m.runs_as = std::string(kActivationsFamily) + ":" + folder + (m.permuted ? "_randnetw" : "");
  m.notes = std::string(kActivationsNote) + (m.notes.empty() ? "" : "; " + m.notes);
  if (m.files.empty()) m.files = {{"model_actv.tar", kActivationsArchive, "", -1}};
}

PublishedModel cochdnn(const std::string& name, const std::string& study_name,
                       const std::string& folder, const std::string& description,
                       const std::string& checkpoint) {
  PublishedModel m;
  m.name = name;
  m.description = description;
  m.studies = kBothStudies;
  m.study_name = study_name;
  m.sample_rate = 20000;
  m.licence = "MIT (code)";
  m.notes = kCochdnnNote + folder;
  // `checkpoint`: its path under model_checkpoints/, as build_network.py names it.
  m.files = {{"5_checkpoint.pt", kCochdnnArchive, "", -1, checkpoint}};
  m.runs_as = "cochdnn:{dir}/5_checkpoint.pt";
  m.activations = folder;  // also published; the permuted control runs from them
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
  c.push_back(encodecmae("mel256-ec-base", "mel256-ec-base", "EnCodecMAE base, mel input"));
  c.push_back(encodecmae("mel256-ec-base-as", "mel256-ec-base-as",
                         "EnCodecMAE base, mel input, pretrained on AudioSet"));
  c.push_back(encodecmae("mel256-ec-base-fma", "mel256-ec-base-fma",
                         "EnCodecMAE base, mel input, pretrained on FMA (music)"));
  c.push_back(encodecmae("mel256-ec-base-ll", "mel256-ec-base-ll",
                         "EnCodecMAE base, mel input, pretrained on LibriLight (speech)"));
  c.push_back(encodecmae("mel256-ec-base-st", "mel256-ec-base_st-nopn",
                         "EnCodecMAE base, mel input, with self-training"));
  c.push_back(encodecmae("mel256-ec-small", "mel256-ec-small", "EnCodecMAE small, mel input"));
  c.push_back(encodecmae("mel256-ec-large", "mel256-ec-large", "EnCodecMAE large, mel input"));
  c.push_back(encodecmae("mel256-ec-large-st", "mel256-ec-large_st-nopn",
                         "EnCodecMAE large, mel input, with self-training"));
  c.push_back(encodecmae("ec-ec-base", "ec-ec-base", "EnCodecMAE base, EnCodec-encoder input"));
  c.push_back(
      encodecmae("spec-ec-base", "spec-ec-base", "EnCodecMAE base, linear-spectrogram input"));

  c.push_back(beats("iter1", "BEATs_iter1", "", 361499833, "BEATs, first iteration"));
  c.push_back(beats("iter2", "BEATs_iter2", "", 361499833, "BEATs, second iteration"));
  c.push_back(beats("iter3", "BEATs_iter3", "", 361499833, "BEATs, third iteration"));
  c.push_back(beats("iter3-as2m-cpt1", "BEATs_iter3_finetuned_on_AS2M_cpt1",
                    "379369a41d0b3749f746cdcea8036de506cb3aedecce84de7db0a75fda2a4fe7", 363145291,
                    "BEATs iter3 fine-tuned on AudioSet-2M (its head is ignored)"));

  c.push_back(dasheng("base", "dasheng_base.pt", "dasheng_base", "Dasheng base (86M)"));
  c.push_back(dasheng("0.6b", "dasheng_06b.pt", "dasheng_06B", "Dasheng 0.6B"));
  c.push_back(dasheng("1.2b", "dasheng_12b.pt", "dasheng_12B", "Dasheng 1.2B"));
  // The AudioSet fine-tuned Dasheng base: a bare state_dict (its 527-class head included, which
  // the port ignores) for the architecture of dasheng:base.
  PublishedModel dasheng_as;
  dasheng_as.name = "dasheng:base-as";
  dasheng_as.description = "Dasheng base fine-tuned on AudioSet (its head is ignored)";
  dasheng_as.architecture = "dasheng:base";
  dasheng_as.runs_as = "{dir}/dasheng_audioset_mAP497.pt";
  dasheng_as.studies = kPepino2025;
  dasheng_as.study_name = "dasheng_base_ft-as";
  dasheng_as.sample_rate = 16000;
  dasheng_as.licence = "Apache-2.0";
  dasheng_as.files = {{"dasheng_audioset_mAP497.pt",
                       "https://zenodo.org/records/13315686/files/"
                       "dasheng_audioset_mAP497.pt?download=1",
                       "", -1}};
  dasheng_as.notes =
      "the AudioSet fine-tuned Dasheng base (mAP 49.7) from the Dasheng authors' Zenodo record "
      "13315686: a state_dict without config, loaded into the architecture of dasheng:base; the "
      "2025 study's code (its non-public invariant package) does not show which file it loaded, "
      "so this is the official release of that model";
  c.push_back(std::move(dasheng_as));

  // The cochleagram networks, each from the checkpoint its build_network.py loads.
  const std::string coch = "audio_rep_training_cochleagram_1/";
  for (const auto& [name, study_name, folder, description, checkpoint] :
       {std::tuple{"cnn9:word", "braindnn_kell2018_word", "Kell2018word",
                   "CochCNN9 trained on words",
                   "kell2018_decay_lr/2b411fd2-56f2-46c1-ad45-1355d4ffadde"},
        {"cnn9:speaker", "braindnn_kell2018_speaker", "Kell2018speaker",
         "CochCNN9 trained on speakers",
         "kell2018_speaker_decay_lr/46ed16b7-4097-4d99-b457-3cd1011b55cc"},
        {"cnn9:audioset", "braindnn_kell2018_audioset", "Kell2018audioset",
         "CochCNN9 trained on AudioSet",
         "kell2018_audioset_decay_lr/1629f285-0a2c-4764-beaf-0b9fe11ba2e7"},
        {"cnn9:multitask", "braindnn_kell2018_word_speaker_audioset", "Kell2018multitask",
         "CochCNN9 trained on words, speakers and AudioSet",
         "kell2018_word_audioset_speaker_decay_lr/5728d456-ddc2-4fc2-bf07-a41e658f36d4"},
        {"resnet50:word", "braindnn_resnet50_word", "ResNet50word", "CochResNet50 trained on words",
         "standard_training_word_decay_lr/a10c97f7-3f2b-4219-8e72-bc625c94fd08"},
        {"resnet50:speaker", "braindnn_resnet50_speaker", "ResNet50speaker",
         "CochResNet50 trained on speakers",
         "standard_training_speaker_decay_lr/0d84f6d5-8994-43ad-b5f1-650300b875ff"},
        {"resnet50:audioset", "braindnn_resnet50_audioset", "ResNet50audioset",
         "CochResNet50 trained on AudioSet",
         "standard_training_audioset_decay_lr/9442ee31-7775-4e4a-9ff8-12cb54cf32e1"},
        {"resnet50:multitask", "braindnn_resnet50_word_speaker_audioset", "ResNet50multitask",
         "CochResNet50 trained on words, speakers and AudioSet",
         "standard_training_word_and_audioset_and_speaker_decay_lr/"
         "542752d7-9849-49ff-b84a-6758a81585b4"}}) {
    c.push_back(
        cochdnn(name, study_name, folder, description, coch + checkpoint + "/5_checkpoint.pt"));
  }

  PublishedModel spectemp;
  spectemp.name = "spectemp";
  spectemp.description = "spectrotemporal modulation filters (the studies' baseline)";
  spectemp.runs_as = "spectemp";
  spectemp.studies = kBothStudies;
  spectemp.study_name = "braindnn_spectemp_filters";
  spectemp.sample_rate = 20000;
  spectemp.licence = "MIT (code); no weights";
  spectemp.activations = "spectemp";  // also published; it runs natively
  c.push_back(std::move(spectemp));

  PublishedModel w2v = external(
      "hf:facebook/wav2vec2-base-960h", "braindnn_wav2vec2", 16000, "Apache-2.0",
      {{"config.json", std::string(kWav2vec2) + "config.json", "", -1},
       {"preprocessor_config.json", std::string(kWav2vec2) + "preprocessor_config.json", "", -1},
       {"pytorch_model.bin", std::string(kWav2vec2) + "pytorch_model.bin",
        "c34f9827b034a1b9141dbf6f652f8a60eda61cdf5771c9e05bfa99033c92cd96", -1}},
      "wav2vec 2.0 base, fine-tuned for ASR on LibriSpeech 960 h", "");
  w2v.runs_as = "hf:{dir}";
  w2v.activations = "wav2vec";
  c.push_back(std::move(w2v));
  PublishedModel s2t = external(
      "hf:facebook/s2t-large-librispeech-asr", "braindnn_s2t", 16000, "MIT",
      {{"config.json", std::string(kS2t) + "config.json", "", -1},
       {"preprocessor_config.json", std::string(kS2t) + "preprocessor_config.json", "", -1},
       {"pytorch_model.bin", std::string(kS2t) + "pytorch_model.bin", "", -1}},
      "Speech2Text large (LibriSpeech ASR): its encoder", "");
  s2t.runs_as = "hf:{dir}";
  s2t.activations = "S2T";
  c.push_back(std::move(s2t));

  PublishedModel ast = external(
      "ast:audioset-10-10-0.4593", "braindnn_ast", 16000, "BSD-3-Clause",
      {{"audioset_10_10_0.4593.pth",
        "https://www.dropbox.com/s/cv4knew8mvbrnvq/audioset_0.4593.pth?dl=1", "", -1}},
      "Audio Spectrogram Transformer fine-tuned on AudioSet",
      "Final is the released AudioSet head's output; the 2023 extraction's Final came from a head "
      "its code initialised at random (tuckute2023-activations:AST has that one); Dropbox is its "
      "only source");
  ast.runs_as = "ast:{dir}/audioset_10_10_0.4593.pth";
  // Also published (tuckute2023-activations:AST, and its :permuted); it runs natively.
  ast.activations = "AST";
  c.push_back(std::move(ast));
  PublishedModel vggish = external(
      "vggish", "braindnn_vggish", 16000, "Apache-2.0",
      {{"vggish-10086976.pth",
        "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth", "",
        -1},
       {"vggish_pca_params-970ea276.pth",
        "https://github.com/harritaylor/torchvggish/releases/download/v0.1/"
        "vggish_pca_params-970ea276.pth",
        "", -1}},
      "VGGish (AudioSet), as torchvggish ports it",
      "its PCA postprocessor (vggish_pca_params) is not applied: no study layer comes after it");
  vggish.runs_as = "vggish:{dir}/vggish-10086976.pth";
  // Also published (tuckute2023-activations:VGGish, and vggish:permuted); it runs natively.
  vggish.activations = "VGGish";
  c.push_back(std::move(vggish));
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
      "SepFormer speech separation (WHAMR!)", "no native port"));
  c.push_back(external(
      "speechbrain:metricgan-plus-voicebank", "braindnn_metricgan", 16000, "Apache-2.0",
      {{"hyperparams.yaml",
        "https://huggingface.co/speechbrain/metricgan-plus-voicebank/resolve/main/hyperparams.yaml",
        "", -1},
       {"enhance_model.ckpt",
        "https://huggingface.co/speechbrain/metricgan-plus-voicebank/resolve/main/"
        "enhance_model.ckpt",
        "", -1}},
      "MetricGAN+ speech enhancement (VoiceBank)", "no native port"));
  c.push_back(external(
      "dcase2020:baseline", "braindnn_dcase2020", 44100, "Tampere University licence (non-OSI)",
      {{"dcase_model_baseline_pre_trained.pt",
        "https://raw.githubusercontent.com/gretatuckute/dcase-2020-baseline/"
        "35e3bec90464404abccb015f4f2089152ec47373/models/dcase_model_baseline_pre_trained.pt",
        "", -1}},
      "DCASE 2020 audio-captioning baseline (GRU encoder-decoder)", "no native port"));
  c.push_back(external("deepspeech2:librispeech-v3", "braindnn_deepspeech", 16000, "MIT",
                       {{"librispeech_pretrained_v3.ckpt",
                         "https://github.com/SeanNaren/deepspeech.pytorch/releases/download/V3.0/"
                         "librispeech_pretrained_v3.ckpt",
                         "", -1}},
                       "DeepSpeech2 (LibriSpeech)", "no native port"));
  c.push_back(external("zerospeech2020:vqvae-english", "braindnn_zerospeech", 16000, "MIT", {},
                       "ZeroSpeech 2020 VQ-VAE (English), its encoder",
                       "no native port, and no pinned checkpoint file (release v0.1 of "
                       "bshall/ZeroSpeech)"));

  // The models no port covers run from the 2023 release's published activations.
  for (const auto& [name, folder] : {std::pair{"speechbrain:sepformer-whamr", "sepformer"},
                                     {"speechbrain:metricgan-plus-voicebank", "metricGAN"},
                                     {"dcase2020:baseline", "DCASE2020"},
                                     {"deepspeech2:librispeech-v3", "DS2"},
                                     {"zerospeech2020:vqvae-english", "ZeroSpeech2020"}})
    for (auto& m : c)
      if (m.name == name) run_from_activations(m, folder);

  // In the 2023 study only (resources.py, d_layer_reindex): the music-task networks, whose
  // checkpoints are not in the cochdnn archive, from their published activations.
  for (const auto& [name, folder, description] :
       {std::tuple{"cnn9:music", "Kell2018music", "CochCNN9 trained on music genres"},
        {"resnet50:music", "ResNet50music", "CochResNet50 trained on music genres"}}) {
    PublishedModel m;
    m.name = name;
    m.description = description;
    m.studies = {"tuckute2023"};
    m.study_name = folder;
    m.sample_rate = 20000;
    m.licence = "MIT (code)";
    m.notes = "no published checkpoint";
    run_from_activations(m, folder);
    c.push_back(std::move(m));
  }

  // The other cochleagram networks of the 2023 study (second seeds, clean speech), each from the
  // checkpoint its build_network.py loads.
  for (const auto& [name, folder, description, checkpoint] :
       {std::tuple{"cnn9:word-seed2", "Kell2018wordSeed2", "CochCNN9 trained on words, second seed",
                   "fmri_paper_more_seeds/kell2018_decay_lr_seed2/"
                   "08aac329-3d79-4f0e-96b9-0ffb3824b822"},
        {"cnn9:word-clean", "Kell2018wordClean", "CochCNN9 trained on words in clean speech",
         "clean_speech_training/kell2018_decay_lr_clean_speech/"
         "33d14e31-4a5b-45a4-8f98-3b30adab1322"},
        {"cnn9:word-clean-seed2", "Kell2018wordCleanSeed2",
         "CochCNN9 trained on words in clean speech, second seed",
         "clean_speech_training/kell2018_decay_lr_clean_speech_seed2/"
         "2e829114-0fbc-476a-94fa-a2aaa686605a"},
        {"cnn9:speaker-seed2", "Kell2018speakerSeed2", "CochCNN9 trained on speakers, second seed",
         "fmri_paper_more_seeds/kell2018_speaker_decay_lr_seed2/"
         "18ea3d9b-8e4a-4514-ae16-64d908ceb8bc"},
        {"cnn9:speaker-clean", "Kell2018speakerClean",
         "CochCNN9 trained on speakers in clean speech",
         "clean_speech_training/kell2018_decay_lr_clean_speech_speaker/train_out"},
        {"cnn9:speaker-clean-seed2", "Kell2018speakerCleanSeed2",
         "CochCNN9 trained on speakers in clean speech, second seed",
         "clean_speech_training/kell2018_decay_lr_clean_speech_speaker_seed2/train_out"},
        {"cnn9:audioset-seed2", "Kell2018audiosetSeed2",
         "CochCNN9 trained on AudioSet, second seed",
         "fmri_paper_more_seeds/kell2018_audioset_decay_lr_seed2/"
         "582a178d-8bd7-4a83-928a-554df423f7c1"},
        {"cnn9:multitask-seed2", "Kell2018multitaskSeed2",
         "CochCNN9 trained on words, speakers and AudioSet, second seed",
         "fmri_paper_more_seeds/kell2018_word_audioset_speaker_decay_lr_seed2/"
         "ef1d3dc2-c133-4206-9cf5-9aa82706235b"},
        {"resnet50:word-seed2", "ResNet50wordSeed2", "CochResNet50 trained on words, second seed",
         "fmri_paper_more_seeds/standard_training_word_decay_lr_seed2/"
         "a64afebf-4bb6-483c-ac0d-29b5af3af486"},
        {"resnet50:word-clean", "ResNet50wordClean",
         "CochResNet50 trained on words in clean speech",
         "clean_speech_training/standard_training_word_decay_lr_clean_speech/"
         "a402cb64-ca52-4b78-9416-9d260f54f350"},
        {"resnet50:word-clean-seed2", "ResNet50wordCleanSeed2",
         "CochResNet50 trained on words in clean speech, second seed",
         "clean_speech_training/standard_training_word_decay_lr_clean_speech_seed2/"
         "8021245c-973b-4ea7-a2c0-9cd0ca69d526"},
        {"resnet50:speaker-seed2", "ResNet50speakerSeed2",
         "CochResNet50 trained on speakers, second seed",
         "fmri_paper_more_seeds/standard_training_speaker_decay_lr_seed2/"
         "0afd73b1-92b0-4ace-93c0-3671d7e58b21"},
        {"resnet50:speaker-clean", "ResNet50speakerClean",
         "CochResNet50 trained on speakers in clean speech",
         "clean_speech_training/standard_training_word_decay_lr_clean_speech_speaker/train_out"},
        {"resnet50:speaker-clean-seed2", "ResNet50speakerCleanSeed2",
         "CochResNet50 trained on speakers in clean speech, second seed",
         "clean_speech_training/standard_training_word_decay_lr_clean_speech_speaker_seed2/"
         "train_out"},
        {"resnet50:audioset-seed2", "ResNet50audiosetSeed2",
         "CochResNet50 trained on AudioSet, second seed",
         "fmri_paper_more_seeds/standard_training_audioset_decay_lr_seed2/"
         "c7e82e1d-06df-4f85-8b62-bb2a51145cbc"},
        {"resnet50:multitask-seed2", "ResNet50multitaskSeed2",
         "CochResNet50 trained on words, speakers and AudioSet, second seed",
         "fmri_paper_more_seeds/standard_training_word_and_audioset_and_speaker_decay_lr_seed2/"
         "d36092f5-cc1b-4ea9-af81-c187d99c0b6c"}}) {
    PublishedModel m =
        cochdnn(name, folder, folder, description, coch + checkpoint + "/5_checkpoint.pt");
    m.studies = {"tuckute2023"};
    c.push_back(std::move(m));
  }

  // The random-weight ("permuted") control of every 2023 model but spectemp, which has none:
  // "<name>:permuted", from the release's *_randnetw files.
  const std::size_t trained = c.size();
  for (std::size_t i = 0; i < trained; ++i) {
    if (c[i].activations.empty() || c[i].activations == "spectemp") continue;
    PublishedModel m;
    m.name = c[i].name + ":permuted";
    m.description = c[i].description + ": its permuted (random-weight) control";
    m.studies = {"tuckute2023"};
    m.study_name = c[i].activations + "_randnetw";
    m.sample_rate = c[i].sample_rate;
    m.licence = c[i].licence;
    m.permuted = true;
    run_from_activations(m, c[i].activations);
    c.push_back(std::move(m));
  }
  return c;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::mutex& source_mutex() {
  static std::mutex mutex;
  return mutex;
}

ActivationsSource& source() {
  static ActivationsSource installed;
  return installed;
}

ActivationsSource activations_source(const PublishedModel& model) {
  const std::lock_guard lock(source_mutex());
  if (!source().locate || !source().fetch) {
    throw InputError("model '" + model.name +
                     "' runs from the 2023 release's published activations, which this program "
                     "cannot read (features::register_published_activations() was not called)");
  }
  return source();
}

}  // namespace

void set_activations_source(ActivationsSource installed) {
  const std::lock_guard lock(source_mutex());
  source() = std::move(installed);
}

bool PublishedModel::runs_from_activations() const {
  return runs_as.starts_with(std::string(kActivationsFamily) + ":");
}

std::int64_t PublishedModel::size() const {
  std::int64_t total = 0;
  for (const auto& f : files) {
    if (f.size < 0) return -1;
    total += f.size;
  }
  if (!architecture.empty()) {
    const PublishedModel* filled = find_published_model(architecture);
    const std::int64_t more = filled == nullptr ? -1 : filled->size();
    return more < 0 ? -1 : total + more;
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
  if (model.runs_from_activations()) {
    const std::lock_guard lock(source_mutex());
    if (source().locate) return source().locate(model.activations);
  }
  return models_root() / replace_all(model.name, ":", "/");
}

namespace {

// The catalogued model whose architecture `model`'s weights fill, or nullptr when it has none.
const PublishedModel* architecture_of(const PublishedModel& model) {
  if (model.architecture.empty()) return nullptr;
  const PublishedModel* filled = find_published_model(model.architecture);
  if (filled == nullptr) {
    throw InputError("model '" + model.name + "': its architecture '" + model.architecture +
                     "' is not catalogued");
  }
  return filled;
}

}  // namespace

bool is_fetched(const PublishedModel& model) {
  const fs::path folder = model_folder(model);
  if (model.runs_from_activations()) return fs::is_directory(folder);
  for (const auto& f : model.files)
    if (!fs::exists(folder / f.path)) return false;
  const PublishedModel* filled = architecture_of(model);
  return filled == nullptr || is_fetched(*filled);
}

std::int64_t missing_bytes(const PublishedModel& model) {
  std::int64_t bytes = io::missing_bytes(model.files, model_folder(model));
  const PublishedModel* filled = architecture_of(model);
  if (filled == nullptr || bytes < 0) return bytes;
  const std::int64_t more = missing_bytes(*filled);
  return more < 0 ? -1 : bytes + more;
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
  if (model->runs_from_activations()) {
    const ActivationsSource activations = activations_source(*model);
    const fs::path folder = activations.locate(model->activations);
    if (!fs::is_directory(folder)) activations.fetch(options);
    return folder;
  }
  if (!model->architecture.empty()) fetch_published_model(model->architecture, options);
  const fs::path folder = model_folder(*model);
  if (is_fetched(*model)) return folder;
  const std::string relative = replace_all(model->name, ":", "/");
  io::fetch_remote_files(model->files, folder, "fetch " + name, "models/" + relative, options);
  return folder;
}

}  // namespace brainalign::models
