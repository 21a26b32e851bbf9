"""The probe training loop of brainalign's downstream bench in PyTorch eager (Debian's
python3-torch): 5 folds, weighted sum of layers, Linear -> BatchNorm1d -> Dropout(0.1) -> ReLU,
Adam, batch 1024, validation (top-1) every epoch, best checkpoint restored, test scored.
Usage: downstream_probe_reference.py DIR EPOCHS THREADS [SECONDS_OF_THE_OTHER_SIDE]"""
import copy
import sys
import time

import numpy as np
import torch

data, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
x_all = torch.from_numpy(np.load(f"{data}/x.npy"))
y_all = torch.from_numpy(np.load(f"{data}/y.npy"))
n, n_layers, width = x_all.shape
classes = int(y_all.max()) + 1


class Probe(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(n_layers))
        self.hidden = torch.nn.Linear(width, 1024)
        self.norm = torch.nn.BatchNorm1d(1024)
        self.drop = torch.nn.Dropout(0.1)
        self.out = torch.nn.Linear(1024, classes)
        torch.nn.init.xavier_uniform_(self.hidden.weight, gain=torch.nn.init.calculate_gain("linear"))
        torch.nn.init.xavier_uniform_(self.out.weight, gain=torch.nn.init.calculate_gain("relu"))

    def forward(self, x):
        a = self.w.abs()
        h = torch.einsum("nld,l->nd", x, a / a.sum())
        return self.out(torch.relu(self.drop(self.norm(self.hidden(h)))))


start = time.perf_counter()
scores = []
for f in range(5):
    fold = torch.arange(n) % 5
    test, valid = fold == f, fold == (f + 1) % 5
    train = ~(test | valid)
    xt, yt = x_all[train], y_all[train]
    model = Probe()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best, best_state = -1.0, None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(xt))
        for s in range(0, len(xt), 1024):
            idx = order[s:s + 1024]
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (torch.softmax(model(x_all[valid]), 1).argmax(1) == y_all[valid]).float().mean().item()
        if acc > best:
            best, best_state = acc, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        scores.append((model(x_all[test]).argmax(1) == y_all[test]).float().mean().item())
elapsed = time.perf_counter() - start
print(f"PyTorch eager {torch.__version__} ({threads} threads): {elapsed:.2f} s, "
      f"mean test accuracy {np.mean(scores):.4f}")
if len(sys.argv) > 4:
    print(f"speed-up of brainalign: {elapsed / float(sys.argv[4]):.2f}x")
