// The libtorch model families of the model registry. After register_model_families(),
// make_model() takes:
//   hf:FOLDER          a Hugging Face model folder (config.json + model.safetensors or
//                      pytorch_model.bin, whole or sharded):
//                      wav2vec2, HuBERT, WavLM, data2vec-audio, Whisper, AST, Speech2Text, EnCodec
//   beats:FILE.pt      a BEATs checkpoint ({'cfg', 'model'})
//   dasheng:FILE.pt    a Dasheng checkpoint ({'model', 'config'})
//   encodecmae:FILE.pt an EnCodecMAE checkpoint ({'imports', 'config', 'state_dict'})
//   torchscript:FILE   a TorchScript archive (see torchscript_model.h)
//   auto:PATH          whichever of these PATH holds
// Layers follow one scheme: "embedding" (the input of the first transformer layer) and
// "encoder.1" ... "encoder.N" (each layer's output), with the convolution stages of
// wav2vec2-like models before them ("cnn.1" ...) and EnCodec's modules ("encoder.layers.i");
// TorchScript layers are named by the archive. docs/neural.md has the details.
#pragma once

namespace brainalign::neural {

// Registers the families above with brainalign::models::register_model_family. Idempotent.
void register_model_families();

}  // namespace brainalign::neural
