#!/usr/bin/python3
"""BEATs at full size (BEATs_iter3: 12 layers, 768 wide, 12 heads, FFN 3072, patch embed 512)
with random weights on 10 s of audio: brainalign's native port (beats_bench) against the same
computation in PyTorch eager, written here in plain torch after microsoft/unilm beats/.

Both read the same model.pt and waveform, use the same number of threads, and run in their own
process so that their peak resident memory can be compared.

    /usr/bin/python3 bench/beats/beats_bench.py --binary build-pt/bench/beats/beats_bench
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

CFG = {
    'encoder_layers': 12, 'encoder_embed_dim': 768, 'encoder_ffn_embed_dim': 3072,
    'encoder_attention_heads': 12, 'activation_fn': 'gelu', 'dropout': 0.0,
    'attention_dropout': 0.0, 'activation_dropout': 0.0, 'encoder_layerdrop': 0.05,
    'dropout_input': 0.0, 'layer_norm_first': False, 'conv_bias': False, 'conv_pos': 128,
    'conv_pos_groups': 16, 'relative_position_embedding': True, 'num_buckets': 320,
    'max_distance': 800, 'gru_rel_pos': True, 'deep_norm': True, 'input_patch_size': 16,
    'layer_wise_gradient_decay_ratio': 0.6, 'embed_dim': 512, 'finetuned_model': False,
}


def random_state_dict(cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    d, e, f, h = (cfg['encoder_embed_dim'], cfg['embed_dim'], cfg['encoder_ffn_embed_dim'],
                  cfg['encoder_attention_heads'])
    p, k, groups = cfg['input_patch_size'], cfg['conv_pos'], cfg['conv_pos_groups']

    def normal(*shape, std=0.02, mean=0.0):
        return torch.randn(*shape, generator=g) * std + mean

    sd = {
        'post_extract_proj.weight': normal(d, e), 'post_extract_proj.bias': normal(d),
        'patch_embedding.weight': normal(e, 1, p, p, std=0.05),
        'encoder.pos_conv.0.bias': normal(d), 'encoder.pos_conv.0.weight_g': normal(1, 1, k) + 1,
        'encoder.pos_conv.0.weight_v': normal(d, d // groups, k),
        'encoder.layer_norm.weight': normal(d, mean=1.0), 'encoder.layer_norm.bias': normal(d),
        'layer_norm.weight': normal(e, mean=1.0), 'layer_norm.bias': normal(e),
    }
    rel = normal(cfg['num_buckets'], h, std=0.5)
    for i in range(cfg['encoder_layers']):
        a = f'encoder.layers.{i}.'
        sd[a + 'self_attn.grep_a'] = normal(1, h, 1, 1, mean=1.0)
        sd[a + 'self_attn.relative_attention_bias.weight'] = rel
        for name in ['k_proj', 'v_proj', 'q_proj', 'out_proj']:
            sd[a + f'self_attn.{name}.weight'] = normal(d, d)
            sd[a + f'self_attn.{name}.bias'] = normal(d)
        sd[a + 'self_attn.grep_linear.weight'] = normal(8, d // h, std=0.1)
        sd[a + 'self_attn.grep_linear.bias'] = normal(8)
        for name in ['self_attn_layer_norm', 'final_layer_norm']:
            sd[a + name + '.weight'] = normal(d, mean=1.0)
            sd[a + name + '.bias'] = normal(d)
        sd[a + 'fc1.weight'] = normal(f, d)
        sd[a + 'fc1.bias'] = normal(f)
        sd[a + 'fc2.weight'] = normal(d, f)
        sd[a + 'fc2.bias'] = normal(d)
    return sd


def bucket(rel, num_buckets, max_distance):
    num_buckets //= 2
    buckets = (rel > 0).to(torch.long) * num_buckets
    rel = torch.abs(rel)
    max_exact = num_buckets // 2
    large = max_exact + (torch.log(rel.float() / max_exact) / math.log(max_distance / max_exact)
                         * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return buckets + torch.where(rel < max_exact, rel, large)


def reference_forward(sd, cfg, wave):
    """BEATs.extract_features as the reference computes it, in plain torch ops."""
    import torchaudio.compliance.kaldi as ta_kaldi
    F = torch.nn.functional
    fbank = ta_kaldi.fbank(wave * 2 ** 15, num_mel_bins=128, sample_frequency=16000,
                           frame_length=25, frame_shift=10)
    fbank = ((fbank - 15.41663) / (2 * 6.55582)).unsqueeze(0).unsqueeze(0)
    p = cfg['input_patch_size']
    x = F.conv2d(fbank, sd['patch_embedding.weight'], stride=p)
    x = x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)
    x = F.layer_norm(x, (x.shape[-1],), sd['layer_norm.weight'], sd['layer_norm.bias'])
    x = F.linear(x, sd['post_extract_proj.weight'], sd['post_extract_proj.bias'])
    v, g = sd['encoder.pos_conv.0.weight_v'], sd['encoder.pos_conv.0.weight_g']
    w = torch._weight_norm(v, g, 2)
    k = cfg['conv_pos']
    pos = F.conv1d(x.transpose(1, 2), w, sd['encoder.pos_conv.0.bias'], padding=k // 2,
                   groups=cfg['conv_pos_groups'])[:, :, :-1]
    x = x + F.gelu(pos).transpose(1, 2)
    d, h = cfg['encoder_embed_dim'], cfg['encoder_attention_heads']
    x = F.layer_norm(x, (d,), sd['encoder.layer_norm.weight'], sd['encoder.layer_norm.bias'])
    x = x.transpose(0, 1)  # T x B x C
    t, b = x.shape[0], x.shape[1]
    hd = d // h
    pos_bias = None
    alpha = math.pow(2 * cfg['encoder_layers'], 0.25)
    for i in range(cfg['encoder_layers']):
        a = f'encoder.layers.{i}.'
        s = lambda n: sd[a + n]
        if pos_bias is None:
            ctx = torch.arange(t)[:, None]
            mem = torch.arange(t)[None, :]
            buckets = bucket(mem - ctx, cfg['num_buckets'], cfg['max_distance'])
            pos_bias = F.embedding(buckets, s('self_attn.relative_attention_bias.weight'))
            pos_bias = pos_bias.permute([2, 0, 1]).unsqueeze(0).repeat(b, 1, 1, 1)
            pos_bias = pos_bias.view(b * h, t, t)
        residual = x
        q = F.linear(x, s('self_attn.q_proj.weight'), s('self_attn.q_proj.bias'))
        kk = F.linear(x, s('self_attn.k_proj.weight'), s('self_attn.k_proj.bias'))
        vv = F.linear(x, s('self_attn.v_proj.weight'), s('self_attn.v_proj.bias'))
        scaling = hd ** -0.5
        q = q * scaling / 32
        q = q.contiguous().view(t, b * h, hd).transpose(0, 1)
        kk = kk.contiguous().view(-1, b * h, hd).transpose(0, 1)
        vv = vv.contiguous().view(-1, b * h, hd).transpose(0, 1)
        att = torch.bmm(q, kk.transpose(1, 2))
        att = (att - att.max(dim=-1, keepdim=True)[0]) * 32
        ql = q.view(b, h, t, hd) * 32 / scaling
        gates = torch.sigmoid(F.linear(ql, s('self_attn.grep_linear.weight'),
                                       s('self_attn.grep_linear.bias'))
                              .view(b, h, t, 2, 4).sum(-1))
        ga, gb = gates.chunk(2, dim=-1)
        gate = ga * (gb * s('self_attn.grep_a') - 1.0) + 2.0
        att = att + (gate.view(b * h, t, 1) * pos_bias).view(att.size())
        att = F.softmax(att, dim=-1)
        out = torch.bmm(att, vv).transpose(0, 1).contiguous().view(t, b, d)
        out = F.linear(out, s('self_attn.out_proj.weight'), s('self_attn.out_proj.bias'))
        x = F.layer_norm(residual * alpha + out, (d,), s('self_attn_layer_norm.weight'),
                         s('self_attn_layer_norm.bias'))
        residual = x
        x = F.linear(F.gelu(F.linear(x, s('fc1.weight'), s('fc1.bias'))), s('fc2.weight'),
                     s('fc2.bias'))
        x = F.layer_norm(residual * alpha + x, (d,), s('final_layer_norm.weight'),
                         s('final_layer_norm.bias'))
    return x.transpose(0, 1)


def run_reference(model, audio, out, repeats, threads):
    torch.set_num_threads(threads)
    start = time.perf_counter()
    ck = torch.load(model)
    load_s = time.perf_counter() - start
    sd, cfg = ck['model'], ck['cfg']
    wave = torch.from_numpy(np.load(audio))
    times = []
    with torch.inference_mode():
        reference_forward(sd, cfg, wave)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            y = reference_forward(sd, cfg, wave)
            times.append(time.perf_counter() - start)
    np.save(out, y.numpy())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'load_s': load_s, 'median_s': float(np.median(times)),
                      'min_s': min(times), 'peak_rss_mb': peak}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--binary', help='the beats_bench executable')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, default=min(os.cpu_count(), 2))
    parser.add_argument('--seconds', type=float, default=10.0)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--reference', nargs=3, metavar=('MODEL', 'AUDIO', 'OUT'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        run_reference(*args.reference, args.repeats, args.threads)
        return
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, 'model.pt')
        audio = os.path.join(tmp, 'audio.npy')
        torch.save({'cfg': CFG, 'model': random_state_dict(CFG)}, model)
        rng = np.random.default_rng(0)
        n = int(16000 * args.seconds)
        t = np.arange(n) / 16000
        wave = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(n)
        np.save(audio, wave.astype(np.float32)[None, :])
        commands = {
            'pytorch_eager': [sys.executable, __file__, '--repeats', str(args.repeats),
                              '--threads', str(args.threads), '--reference', model, audio,
                              os.path.join(tmp, 'torch.npy')],
            'brainalign': [args.binary, model, audio, os.path.join(tmp, 'native.npy'),
                           str(args.repeats), str(args.threads)],
        }
        # Rounds alternate the two engines so that a busy machine slows both alike; each
        # engine's best round is kept.
        results = {}
        for _ in range(args.rounds):
            for name, command in commands.items():
                output = subprocess.run(command, check=True, capture_output=True,
                                        text=True).stdout
                run = json.loads(output.strip().splitlines()[-1])
                best = results.get(name)
                if best is None or run['median_s'] < best['median_s']:
                    results[name] = run
        a = np.load(os.path.join(tmp, 'native.npy'))
        b = np.load(os.path.join(tmp, 'torch.npy'))
        results['max_relative_difference'] = float(np.abs(a - b).max() / np.abs(b).max())
        results['tokens'] = int(b.shape[1])
        results['threads'] = args.threads
        results['load_average'] = os.getloadavg()
        print(json.dumps(results, indent=1))


if __name__ == '__main__':
    main()
