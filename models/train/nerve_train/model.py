"""BiLSTM (or iterated dilated CNN) tagger over word embeddings, a character CNN and casing, with a BIO-constrained CRF.

The ONNX graph stops at the emission scores; the CRF's transition scores travel in the
manifest and the TypeScript engine decodes with them (Viterbi, and forward-backward for
per-entity probabilities). Invalid BIO transitions are fixed at -1e4 in training, so the
CRF never learns to rely on them and the decoder can forbid them outright.
"""
from __future__ import annotations

import torch
from torch import nn

NEG = -1e4


def allowed_transition(prev: str, cur: str) -> bool:
    """BIO: I-X may only follow B-X or I-X."""
    if cur.startswith("I-"):
        return prev != "O" and prev != "<start>" and prev[2:] == cur[2:]
    return True


class CharCNN(nn.Module):
    def __init__(self, n_chars: int, dim: int, filters: int, width: int = 3):
        super().__init__()
        self.embed = nn.Embedding(n_chars, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, filters, width, padding=width // 2)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        b, t, c = char_ids.shape
        flat = char_ids.reshape(b * t, c)
        x = self.embed(flat).transpose(1, 2)  # (BT, dim, C)
        h = self.conv(x)[:, :, :c]  # (BT, filters, C); an even width pads one extra step
        pad = (flat == 0).unsqueeze(1)
        h = h.masked_fill(pad, NEG)
        return h.max(dim=2).values.clamp(min=-1.0).reshape(b, t, -1)


def reverse_within_lengths(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first `length` steps and leave padding in place (an involution).

    Two unidirectional LSTMs over the sequence and over this reversal give a BiLSTM whose
    outputs at real positions never see padding, in a graph that exports to plain ONNX.
    """
    t = x.shape[1]
    steps = torch.arange(t, device=x.device).unsqueeze(0)  # (1, T)
    lens = lengths.unsqueeze(1)
    idx = torch.where(steps < lens, lens - 1 - steps, steps)  # (B, T)
    return torch.gather(x, 1, idx.unsqueeze(2).expand(-1, -1, x.shape[2]))


class IteratedDilatedCNN(nn.Module):
    """Iterated dilated convolutions (Strubell et al. 2017), the encoder of an ensemble member
    that errs differently from the BiLSTMs: a block of width-3 convolutions with growing
    dilation, applied `iterations` times with shared weights, each step residual. Padding
    is zeroed before every convolution, so a token's output never depends on how much
    padding its batch has (the engine batches by length, training does not).
    """

    def __init__(self, d_in: int, filters: int, iterations: int = 3, dilations=(1, 2, 4), dropout: float = 0.5):
        super().__init__()
        self.proj = nn.Conv1d(d_in, filters, 3, padding=1)
        self.block = nn.ModuleList(nn.Conv1d(filters, filters, 3, dilation=d, padding=d) for d in dilations)
        self.iterations = iterations
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
        mask = (steps < lengths.unsqueeze(1)).unsqueeze(1).to(x.dtype)  # (B, 1, T)
        h = torch.relu(self.proj(x.transpose(1, 2) * mask)) * mask
        for _ in range(self.iterations):
            for conv in self.block:
                h = (h + torch.relu(conv(h))) * mask
            h = self.drop(h)
        return h.transpose(1, 2)


class Tagger(nn.Module):
    def __init__(self, n_words: int, n_chars: int, n_casing: int, n_labels: int,
                 word_dim: int = 100, char_dim: int = 30, char_filters: int = 50,
                 casing_dim: int = 8, hidden: int = 128, dropout: float = 0.5,
                 layers: int = 1, char_width: int = 3, encoder: str = "bilstm", iterations: int = 3):
        super().__init__()
        self.words = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.chars = CharCNN(n_chars, char_dim, char_filters, char_width)
        self.casing = nn.Embedding(n_casing, casing_dim, padding_idx=0)
        d_in = word_dim + char_filters + casing_dim
        self.encoder = encoder
        self.drop = nn.Dropout(dropout)
        if encoder == "idcnn":
            # `hidden` filters; `layers` is the BiLSTM's and has no meaning here.
            self.cnn = IteratedDilatedCNN(d_in, hidden, iterations=iterations, dropout=dropout)
            self.out = nn.Linear(hidden, n_labels)
            return
        if encoder != "bilstm":
            raise ValueError(f"unknown encoder {encoder!r} (bilstm or idcnn)")
        # Stacked BiLSTM: each layer reads both directions of the layer below.
        dims = [d_in] + [2 * hidden] * (layers - 1)
        self.fwd = nn.ModuleList(nn.LSTM(d, hidden, batch_first=True) for d in dims)
        self.bwd = nn.ModuleList(nn.LSTM(d, hidden, batch_first=True) for d in dims)
        self.out = nn.Linear(2 * hidden, n_labels)

    def forward(self, word_ids, char_ids, casing_ids, lengths):
        x = torch.cat([self.words(word_ids), self.chars(char_ids), self.casing(casing_ids)], dim=2)
        h = self.drop(x)
        if self.encoder == "idcnn":
            return self.out(self.cnn(h, lengths))
        for fwd, bwd in zip(self.fwd, self.bwd):
            f, _ = fwd(h)
            b, _ = bwd(reverse_within_lengths(h, lengths))
            h = self.drop(torch.cat([f, reverse_within_lengths(b, lengths)], dim=2))
        return self.out(h)


class CRF(nn.Module):
    def __init__(self, labels: list[str]):
        super().__init__()
        k = len(labels)
        self.trans = nn.Parameter(torch.zeros(k, k))  # trans[i, j]: score of i -> j
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))
        allowed = torch.tensor([[allowed_transition(p, c) for c in labels] for p in labels])
        start_ok = torch.tensor([allowed_transition("<start>", c) for c in labels])
        self.register_buffer("trans_mask", (~allowed).float() * NEG)
        self.register_buffer("start_mask", (~start_ok).float() * NEG)

    def constrained(self):
        return self.trans + self.trans_mask, self.start + self.start_mask, self.end

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood; mask is (B, T) bool with True at real tokens."""
        trans, start, end = self.constrained()
        b, t, _ = emissions.shape
        # score of the gold path
        score = start[tags[:, 0]] + emissions[:, 0].gather(1, tags[:, :1]).squeeze(1)
        for i in range(1, t):
            step = trans[tags[:, i - 1], tags[:, i]] + emissions[:, i].gather(1, tags[:, i:i + 1]).squeeze(1)
            score = score + step * mask[:, i]
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        score = score + end[last]
        # partition function
        alpha = start.unsqueeze(0) + emissions[:, 0]
        for i in range(1, t):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), dim=1) + emissions[:, i]
            alpha = torch.where(mask[:, i:i + 1], nxt, alpha)
        log_z = torch.logsumexp(alpha + end.unsqueeze(0), dim=1)
        return (log_z - score).mean()

    @torch.no_grad()
    def decode(self, emissions: torch.Tensor, lengths: list[int]) -> list[list[int]]:
        """Batched Viterbi; rows shorter than the batch carry their scores through padding."""
        trans, start, end = self.constrained()
        b, t, _ = emissions.shape
        lens = torch.tensor(lengths)
        score = start.unsqueeze(0) + emissions[:, 0]
        back = []
        for i in range(1, t):
            best, arg = (score.unsqueeze(2) + trans.unsqueeze(0)).max(dim=1)
            live = (lens > i).unsqueeze(1)
            score = torch.where(live, best + emissions[:, i], score)
            back.append(arg)
        last = (score + end.unsqueeze(0)).argmax(dim=1).tolist()
        back_np = torch.stack(back, dim=1).numpy() if back else None
        paths = []
        for r, n in enumerate(lengths):
            cur = last[r]
            path = [cur]
            for i in range(n - 2, -1, -1):
                cur = int(back_np[r, i, cur])
                path.append(cur)
            paths.append(path[::-1])
        return paths
