"""The 2023 in-house cochleagram networks as jenellefeather/cochdnn defines them, for the parity
tests of the cochdnn: family (tests/neural/cochdnn_test.cpp).

A transcription of robustness/audio_models/kell2018.py (AuditoryCNN), kell2018_multi_task.py
(AuditoryCNNMultiTask), resnet.py and resnet_multi_task.py (ResNet with Bottleneck blocks) and
the TF-style 'SAME' padding of robustness/audio_models/layers (padding.py, conv2d_same.py,
pool2d_same.py), with the widths made parameters so that a tiny model of the same layer
structure can be built. Only the inference path is kept (no fake ReLUs, no latent switches);
forward() returns the all_outputs dict of the reference's forward.

The checkpoint is saved as robustness/train.py saves it (sd_info = {'model':
model.state_dict(), 'optimizer': ..., 'schedule': ..., 'epoch': ...}, torch.save, torch 1.5 so
the legacy format) for an AttackerModel wrapping SequentialAttacker(AudioInputRepresentation,
network) inside DataParallel: the network's tensors appear as module.model.1.<name> and again
as module.attacker.model.1.<name>, beside module.preproc.normalize.new_mean/new_std and
module.attacker.preproc.normalize.new_mean/new_std.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def get_same_padding(x, k, s, d):
    return max((math.ceil(x / s) - 1) * s + (k - 1) * d + 1 - x, 0)


def pad_same(x, k, s, d=(1, 1), value=0.0):
    ih, iw = x.size()[-2:]
    pad_h, pad_w = get_same_padding(ih, k[0], s[0], d[0]), get_same_padding(iw, k[1], s[1], d[1])
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2], value=value)
    return x


class Conv2dSame(nn.Conv2d):
    # create_conv2d_pad(..., padding='same'): the kernel and stride are lists, so is_static_pad
    # is False and every convolution pads dynamically; bias defaults to False.
    def __init__(self, cin, cout, kernel_size, stride):
        super().__init__(cin, cout, kernel_size, stride, 0, 1, 1, bias=False)

    def forward(self, x):
        x = pad_same(x, self.weight.shape[-2:], self.stride, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, (0, 0), self.dilation, self.groups)


class MaxPool2dSame(nn.Module):
    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        x = pad_same(x, self.kernel_size, self.stride, value=-float('inf'))
        return F.max_pool2d(x, self.kernel_size, self.stride, (0, 0), (1, 1), False)


class AvgPool2dSame(nn.Module):
    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        x = pad_same(x, self.kernel_size, self.stride)
        return F.avg_pool2d(x, self.kernel_size, self.stride, (0, 0), False, True)


class Kell2018(nn.Module):
    """AuditoryCNN / AuditoryCNNMultiTask. widths: conv0..conv4 channels (96, 256, 512, 1024,
    512) and the fully connected width (4096); num_classes an int (one 'classification'
    Linear) or a dict of task -> classes (a ModuleDict)."""

    def __init__(self, widths=(96, 256, 512, 1024, 512), fc=4096, num_classes=794):
        super().__init__()
        c0, c1, c2, c3, c4 = widths
        self.c4 = c4
        self.batchnorm0 = nn.BatchNorm2d(1)
        self.conv0 = Conv2dSame(1, c0, [7, 14], [3, 3])
        self.relu0 = nn.ReLU()
        self.maxpool0 = MaxPool2dSame([2, 5], [2, 2])
        self.batchnorm1 = nn.BatchNorm2d(c0)
        self.conv1 = Conv2dSame(c0, c1, [4, 8], [2, 2])
        self.relu1 = nn.ReLU()
        self.maxpool1 = MaxPool2dSame([2, 5], [2, 2])
        self.batchnorm2 = nn.BatchNorm2d(c1)
        self.conv2 = Conv2dSame(c1, c2, [2, 5], [1, 1])
        self.relu2 = nn.ReLU()
        self.conv3 = Conv2dSame(c2, c3, [2, 5], [1, 1])
        self.relu3 = nn.ReLU()
        self.conv4 = Conv2dSame(c3, c4, [2, 5], [1, 1])
        self.relu4 = nn.ReLU()
        self.avgpool = AvgPool2dSame([2, 5], [2, 2])
        self.fullyconnected = nn.Linear(c4 * 9 * 5, fc)
        self.relufc = nn.ReLU()
        self.dropout = nn.Dropout()
        if isinstance(num_classes, dict):
            self.classification = nn.ModuleDict(
                {task: nn.Linear(fc, n) for task, n in num_classes.items()})
        else:
            self.classification = nn.Linear(fc, num_classes)

    def forward(self, x):
        out = {'input_after_preproc': x}
        for name in ['batchnorm0', 'conv0', 'relu0', 'maxpool0', 'batchnorm1', 'conv1', 'relu1',
                     'maxpool1', 'batchnorm2', 'conv2', 'relu2', 'conv3', 'relu3', 'conv4',
                     'relu4', 'avgpool']:
            x = getattr(self, name)(x)
            out[name] = x
        x = x.view(x.size(0), self.c4 * 9 * 5)
        out['xview'] = x
        x = self.fullyconnected(x)
        out['fullyconnected'] = x
        x = self.relufc(x)
        out['relufc'] = x
        x = self.dropout(x)
        out['dropout'] = x
        if isinstance(self.classification, nn.ModuleDict):
            out['final'] = {t: fc(x) for t, fc in self.classification.items()}
        else:
            out['final'] = self.classification(x)
        return out


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet50(nn.Module):
    """resnet.py's ResNet(Bottleneck, [3, 4, 6, 3]) on a 1-channel cochleagram; width the stem's
    64 (the stages have width, 2 width, 4 width, 8 width planes)."""

    def __init__(self, width=64, blocks=(3, 4, 6, 3), num_classes=794):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(1, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, blocks[0])
        self.layer2 = self._make_layer(width * 2, blocks[1], stride=2)
        self.layer3 = self._make_layer(width * 4, blocks[2], stride=2)
        self.layer4 = self._make_layer(width * 8, blocks[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        if isinstance(num_classes, dict):
            self.fc = nn.ModuleDict({t: nn.Linear(width * 32, n) for t, n in num_classes.items()})
        else:
            self.fc = nn.Linear(width * 32, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * 4))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * 4
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        out = {'input_after_preproc': x}
        x = self.conv1(x)
        out['conv1'] = x
        x = self.bn1(x)
        out['bn1'] = x
        x = self.relu(x)
        out['conv1_relu1'] = x
        x = self.maxpool(x)
        out['maxpool1'] = x
        for name in ['layer1', 'layer2', 'layer3', 'layer4', 'avgpool']:
            x = getattr(self, name)(x)
            out[name] = x
        return out


KELL_LAYERS = ['relu0', 'maxpool0', 'relu1', 'maxpool1', 'relu2', 'relu3', 'relu4', 'avgpool',
               'relufc']
RESNET_LAYERS = ['conv1_relu1', 'maxpool1', 'layer1', 'layer2', 'layer3', 'layer4', 'avgpool']


def randomise_batchnorms(model, generator):
    """Running statistics and affine parameters away from their defaults, so that eval-mode
    batch norm is exercised."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.5 + torch.rand(n, generator=generator))
                m.bias.copy_(0.2 * torch.randn(n, generator=generator))
                m.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                m.running_var.copy_(0.5 + torch.rand(n, generator=generator))


def release_checkpoint(network):
    """sd_info as robustness/train.py saves it for an AttackerModel in DataParallel."""
    sd = {}
    for k, v in network.state_dict().items():
        sd['module.model.1.' + k] = v
    sd['module.preproc.normalize.new_mean'] = torch.zeros(1, 1, 1)
    sd['module.preproc.normalize.new_std'] = torch.ones(1, 1, 1)
    sd['module.attacker.preproc.normalize.new_mean'] = torch.zeros(1, 1, 1)
    sd['module.attacker.preproc.normalize.new_std'] = torch.ones(1, 1, 1)
    for k, v in network.state_dict().items():
        sd['module.attacker.model.1.' + k] = v
    params = list(network.parameters())
    optimizer = {
        'state': {id(p): {'momentum_buffer': torch.zeros_like(p)} for p in params[:3]},
        'param_groups': [{'lr': 0.01, 'momentum': 0.9, 'dampening': 0, 'weight_decay': 1e-4,
                          'nesterov': False, 'params': [id(p) for p in params]}],
    }
    schedule = {'step_size': 50, 'gamma': 0.1, 'base_lrs': [0.01], 'last_epoch': 5,
                '_step_count': 6, '_get_lr_called_within_step': False, '_last_lr': [0.01]}
    return {'model': sd, 'optimizer': optimizer, 'schedule': schedule, 'epoch': 5}
