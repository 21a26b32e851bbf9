"""EnCodecMAE's feature-extraction path, transcribed for golden tests (torch 1.13, CPU).

Written from habla-liaa/encodecmae @ 2dd6759c595bf20c9d836914fef5cde9a6386843 (models/mae.py
extract_features_from_array / extract_activations, models/encoders WavEncoder and
EncodecEncoder, models/masks PatchoutMask in eval mode, models/transformers
SinusoidalPositionalEmbeddings, MultiHeadAttention and the ResiDual TransformerEncoder,
tasks/features SpectrogramProcessor) and facebookresearch/encodec @
0e2d0aed29362c8e8f52494baf3e6f99056b214f (modules/seanet SEANetEncoder with the 24 kHz model's
settings: causal, weight norm, reflect padding, a 1x1 convolution as each residual block's
shortcut, a skip-connected LSTM). Module names follow the reference so that state_dict keys are
the released checkpoints' (wav_encoder.encoder.model.model.<i>.conv.conv.weight_g, ...).
"""
import math

import torch
from torch import nn


# --- EnCodec's SEANet encoder ----------------------------------------------------------------
class _NormConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride=1, dilation=1):
        super().__init__()
        self.conv = nn.utils.weight_norm(nn.Conv1d(cin, cout, kernel, stride, dilation=dilation))
        self.norm = nn.Identity()


class CausalConv(nn.Module):
    """A convolution whose input is reflect-padded on the left by kernel - stride samples, and
    on the right just enough for the last window to be complete."""

    def __init__(self, cin, cout, kernel, stride=1, dilation=1):
        super().__init__()
        self.conv = _NormConv(cin, cout, kernel, stride, dilation)

    def forward(self, x):
        conv = self.conv.conv
        kernel = (conv.kernel_size[0] - 1) * conv.dilation[0] + 1
        stride = conv.stride[0]
        total = kernel - stride
        length = x.shape[-1]
        frames = (length - kernel + total) / stride + 1
        ideal = (math.ceil(frames) - 1) * stride + (kernel - total)
        extra = ideal - length
        left, right = total, extra
        if length <= max(left, right):  # reflect needs more samples than the padding
            grow = max(left, right) - length + 1
            x = nn.functional.pad(x, (0, grow))
            x = nn.functional.pad(x, (left, right), mode="reflect")[..., : x.shape[-1] + left + right - grow]
        else:
            x = nn.functional.pad(x, (left, right), mode="reflect")
        return self.conv.norm(conv(x))


class ResidualBlock(nn.Module):
    def __init__(self, dim, kernel, dilation, compress):
        super().__init__()
        hidden = dim // compress
        self.block = nn.Sequential(nn.ELU(), CausalConv(dim, hidden, kernel, dilation=dilation),
                                   nn.ELU(), CausalConv(hidden, dim, 1))
        self.shortcut = CausalConv(dim, dim, 1)

    def forward(self, x):
        return self.shortcut(x) + self.block(x)


class SkipLstm(nn.Module):
    def __init__(self, dim, layers):
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, layers)

    def forward(self, x):
        x = x.permute(2, 0, 1)
        y, _ = self.lstm(x)
        return (y + x).permute(1, 2, 0)


class SeanetEncoder(nn.Module):
    def __init__(self, n_filters=32, dimension=128, ratios=(8, 5, 4, 2), kernel=7,
                 last_kernel=7, residual_kernel=3, compress=2, lstm=2):
        super().__init__()
        layers = [CausalConv(1, n_filters, kernel)]
        mult = 1
        for ratio in reversed(ratios):
            layers += [ResidualBlock(mult * n_filters, residual_kernel, 1, compress), nn.ELU(),
                       CausalConv(mult * n_filters, 2 * mult * n_filters, 2 * ratio, ratio)]
            mult *= 2
        layers += [SkipLstm(mult * n_filters, lstm), nn.ELU(),
                   CausalConv(mult * n_filters, dimension, last_kernel)]
        self.model = nn.Sequential(*layers)
        self.hop_length = int(torch.tensor(ratios).prod())

    def forward(self, x):
        return self.model(x)


class EncodecEncoder(nn.Module):
    """(batch, samples) -> (batch, frames, dimension) * scale."""

    def __init__(self, seanet, scale=1.0):
        super().__init__()
        self.model = seanet
        self.scale = scale
        self.hop_length = seanet.hop_length

    def forward(self, x):
        return self.model(x.unsqueeze(1)).permute(0, 2, 1) * self.scale


# --- the masked autoencoder's visible encoder ---------------------------------------------------
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)

    def forward(self, x, key_mask):
        n, t, c = x.shape
        h, d = self.heads, c // self.heads

        def split(y):  # channels as (head_dim, heads)
            return y.view(n, t, d, h).permute(0, 3, 1, 2).reshape(n * h, t, d)

        q, k, v = split(self.wq(x)), split(self.wk(x)), split(self.wv(x))
        mask = key_mask[:, None, None, :].expand(n, h, t, t).reshape(n * h, t, t)
        scores = q @ k.transpose(-2, -1) * d ** -0.5 + mask.float() * -1e9
        y = scores.softmax(-1) @ v
        return self.wo(y.view(n, h, t, d).permute(0, 2, 3, 1).reshape(n, t, c))


class ResiDualLayer(nn.Module):
    def __init__(self, dim, heads, ff):
        super().__init__()
        self.att_layer = Attention(dim, heads)
        self.ff_layer = ff  # one module shared by every layer
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, x0, x1, key_mask):
        a = self.att_layer(x0, key_mask)
        x0, x1 = self.norm1(x0 + a), x1 + a
        f = self.ff_layer(x0)
        return self.norm2(x0 + f), x1 + f


class VisibleEncoder(nn.Module):
    def __init__(self, dim, layers, heads, ff_dim):
        super().__init__()
        ff = nn.Sequential(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim))
        self.encoder_layers = nn.ModuleList([ResiDualLayer(dim, heads, ff) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(dim)

    def forward(self, x, key_mask):
        """Every layer's x0; the last one x0 + final_norm(x1) (postnorm_last_activation)."""
        x0 = x1 = x
        states = []
        for layer in self.encoder_layers:
            x0, x1 = layer(x0, x1, key_mask)
            states.append(x0)
        states[-1] = x0 + self.final_norm(x1)
        return states


class Positions(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0))

    def forward(self, x):
        pe = torch.zeros_like(x)
        position = torch.arange(0, x.shape[1]).unsqueeze(1).unsqueeze(0).float()
        div = torch.exp(torch.arange(0, x.shape[2], 2, dtype=torch.float) *
                        -(math.log(10000.0) / x.shape[2]))
        pe[:, :, 0::2] = torch.sin(position * div)
        pe[:, :, 1::2] = torch.cos(position * div)
        return x + self.scale * pe


class WavEncoder(nn.Module):
    def __init__(self, encoder, in_features, dim):
        super().__init__()
        self.encoder = encoder
        self.post_net = nn.Linear(in_features, dim)


class Masker(nn.Module):
    def __init__(self):
        super().__init__()
        self.positional_encoder = Positions()


class EncodecMae(nn.Module):
    def __init__(self, encoder, in_features, dim, layers, heads, ff_dim):
        super().__init__()
        self.wav_encoder = WavEncoder(encoder, in_features, dim)
        self.masker = Masker()
        self.visible_encoder = VisibleEncoder(dim, layers, heads, ff_dim)


def extract(model, audio, features_of, hop, chunk_size, min_length=2048):
    """extract_features_from_array(audio, layer='all') on one mono float32 array, also keeping
    the front end, post_net and positional outputs: a dict of (frames, ...) arrays."""
    out = {}
    audio = torch.as_tensor(audio, dtype=torch.float32)
    with torch.no_grad():
        for start in range(0, audio.shape[0], chunk_size):
            chunk = audio[start:start + chunk_size]
            if chunk.shape[0] <= min_length:
                continue
            front = features_of(chunk)  # (frames, features)
            y = model.wav_encoder.post_net(front[None])
            valid = chunk.shape[0] // hop
            key_mask = torch.tensor([valid]) [:, None] <= torch.arange(y.shape[1])[None, :]
            tokens = model.masker.positional_encoder(y)
            states = model.visible_encoder(tokens, key_mask)
            pieces = {"front": front, "post_net": y[0], "positions": tokens[0]}
            pieces.update({f"layer.{i}": s[0] for i, s in enumerate(states)})
            for name, value in pieces.items():
                out.setdefault(name, []).append(value)
    return {k: torch.cat(v).numpy() for k, v in out.items()}
