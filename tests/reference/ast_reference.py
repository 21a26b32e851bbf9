"""The Audio Spectrogram Transformer as YuanGongND/ast runs it, and the 2023 study's read-out.

An independent transcription (numpy and torch only: neither timm nor torchaudio is needed) of:
- the front end of YuanGongND/ast (src/dataloader.py _wav2fbank; the same steps in
  gretatuckute/ast src/run_model.py make_features, which made the 2023 activations):
  torchaudio.compliance.kaldi.fbank(waveform, htk_compat=True, sample_frequency=sr,
  use_energy=False, window_type='hanning', num_mel_bins=128, dither=0.0, frame_shift=10), i.e.
  Kaldi frames of 400 samples every 160 (snip_edges), each frame's mean removed, pre-emphasis
  0.97 (first sample replicated), symmetric Hann window (0.5 - 0.5 cos(2 pi n / 399)), zero-padded
  to 512, |rfft|^2, 128 triangles linear in mel (1127 ln(1 + f / 700)) from 20 Hz to Nyquist over
  bins 0..255 (none on the Nyquist bin), log with a floor at float32 epsilon; then zero-padded
  (torch.nn.ZeroPad2d) or cut to target_length frames and normalised as (x - (-4.2677393)) /
  (2 * 4.5689974), the padding rows included. Computed in float64.
- the network: AST's ASTModel (src/models/ast_models.py) on timm 0.4.5's distilled
  VisionTransformer (timm/models/vision_transformer.py: Mlp, Attention, Block,
  DistilledVisionTransformer): a Conv2d(1, D, 16, stride (fstride, tstride)) patch embedding of
  the (batch, 1, 128, frames) spectrogram, flatten(2).transpose(1, 2) (patches frequency-major),
  the class and distillation tokens in front, learned positions added; per block
  x + attn(norm1(x)) then x + mlp(norm2(x)) with LayerNorm eps 1e-6, fused qkv (bias), logits
  (q k^T) * head_dim^-0.5, exact GELU; the final norm, (x[:, 0] + x[:, 1]) / 2, then mlp_head =
  LayerNorm(D) (eps 1e-5), Linear(D, classes). The module names are the original's (v.*,
  mlp_head.*), so a state_dict of this model wrapped in torch.nn.DataParallel has the keys of the
  released audioset_10_10_0.4593.pth (module.v.blocks.0.attn.qkv.weight, ...), DeiT's unused
  ImageNet heads (v.head, v.head_dist) included.
- the study's hooks (gretatuckute/ast, src/run_model.py and src/extractor_utils.py SaveOutput):
  the Conv2d output, flattened as the patch embedding flattens it and averaged over patches
  ('Embedding'); each block's mlp.fc2 output, averaged over all tokens, class and distillation
  tokens included ('Encoder_1' ...); the model's output ('Final').
"""
import numpy as np
import torch
from torch import nn

SAMPLE_RATE = 16000
MEL_BINS = 128
FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
PADDED_LENGTH = 512
PREEMPHASIS = 0.97
LOW_FREQ = 20.0
NORM_MEAN = -4.2677393
NORM_STD = 4.5689974
FLOAT32_EPSILON = float(np.finfo(np.float32).eps)


def kaldi_mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_banks(bins=MEL_BINS, sample_rate=SAMPLE_RATE):
    """(bins, 257): triangles in mel over FFT bins 0..255, the Nyquist bin's weight zero."""
    fft_bins = PADDED_LENGTH // 2
    nyquist = 0.5 * sample_rate
    low, high = kaldi_mel(LOW_FREQ), kaldi_mel(nyquist)
    delta = (high - low) / (bins + 1)
    b = np.arange(bins)[:, None]
    left, centre, right = low + b * delta, low + (b + 1.0) * delta, low + (b + 2.0) * delta
    mel = kaldi_mel(sample_rate / PADDED_LENGTH * np.arange(fft_bins))[None, :]
    weights = np.maximum(0.0, np.minimum((mel - left) / (centre - left),
                                         (right - mel) / (right - centre)))
    return np.pad(weights, ((0, 0), (0, 1)))


def fbank(samples, sample_rate=SAMPLE_RATE, bins=MEL_BINS):
    """(frames, bins) float64 Kaldi log mel filterbank with AST's options."""
    x = np.asarray(samples, dtype=np.float64)
    count = 1 + (x.size - FRAME_LENGTH) // FRAME_SHIFT
    assert count >= 1, "shorter than one frame"
    frames = np.stack([x[i * FRAME_SHIFT:i * FRAME_SHIFT + FRAME_LENGTH] for i in range(count)])
    frames = frames - frames.mean(axis=1, keepdims=True)
    previous = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    frames = frames - PREEMPHASIS * previous
    n = np.arange(FRAME_LENGTH)
    frames = frames * (0.5 - 0.5 * np.cos(2.0 * np.pi * n / (FRAME_LENGTH - 1)))
    power = np.abs(np.fft.rfft(frames, PADDED_LENGTH)) ** 2
    return np.log(np.maximum(power @ mel_banks(bins, sample_rate).T, FLOAT32_EPSILON))


def features(samples, target_length, sample_rate=SAMPLE_RATE):
    """(target_length, 128) float64: padded or cut, then normalised."""
    f = fbank(samples, sample_rate)
    out = np.zeros((target_length, f.shape[1]))
    kept = min(target_length, f.shape[0])
    out[:kept] = f[:kept]
    return (out - NORM_MEAN) / (NORM_STD * 2)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4.0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, fstride, tstride, patch=16):
        super().__init__()
        self.proj = nn.Conv2d(1, dim, kernel_size=(patch, patch), stride=(fstride, tstride))

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class DistilledVit(nn.Module):
    """The parts of timm's DistilledVisionTransformer that AST keeps (and DeiT's two heads,
    which it keeps in its state_dict but never runs)."""

    def __init__(self, dim, depth, heads, patches, fstride, tstride, imagenet_classes=1000):
        super().__init__()
        self.patch_embed = PatchEmbed(dim, fstride, tstride)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, patches + 2, dim))
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, imagenet_classes)
        self.head_dist = nn.Linear(dim, imagenet_classes)


class ASTModel(nn.Module):
    def __init__(self, dim=768, depth=12, heads=12, classes=527, fstride=10, tstride=10,
                 input_fdim=128, input_tdim=1024, imagenet_classes=1000):
        super().__init__()
        f_dim = (input_fdim - 16) // fstride + 1
        t_dim = (input_tdim - 16) // tstride + 1
        self.v = DistilledVit(dim, depth, heads, f_dim * t_dim, fstride, tstride,
                              imagenet_classes)
        self.mlp_head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, classes))

    def forward(self, x):
        x = x.unsqueeze(1).transpose(2, 3)
        b = x.shape[0]
        x = self.v.patch_embed(x)
        x = torch.cat((self.v.cls_token.expand(b, -1, -1), self.v.dist_token.expand(b, -1, -1), x),
                      dim=1)
        x = x + self.v.pos_embed
        for block in self.v.blocks:
            x = block(x)
        x = self.v.norm(x)
        return self.mlp_head((x[:, 0] + x[:, 1]) / 2)


def study_layers(model):
    """[(2023 layer name, hooked module name)] in the network's order."""
    out = [("Embedding", "v.patch_embed.proj")]
    out += [(f"Encoder_{i + 1}", f"v.blocks.{i}.mlp.fc2") for i in range(len(model.v.blocks))]
    return out + [("Final", "output")]


def hooked_outputs(model, batch):
    """{module name: output} of the patch convolution, every block's mlp.fc2, and 'output'."""
    names = dict((module, study) for study, module in study_layers(model))
    outputs, handles = {}, []
    for name, module in model.named_modules():
        if name in names:
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: outputs.__setitem__(name, o.detach().clone())))
    with torch.no_grad():
        outputs["output"] = model(batch)
    for h in handles:
        h.remove()
    return outputs


def study_read_out(module, output):
    """SaveOutput's average of one hooked output (batch of one)."""
    if module == "v.patch_embed.proj":
        return output.flatten(2).transpose(1, 2).squeeze().numpy().mean(axis=0)
    if module == "output":
        return output.numpy().squeeze()
    return output.numpy().mean(axis=1).squeeze()
