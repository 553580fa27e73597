#!/usr/bin/env python3
"""Exports real model architectures, with random weights, as a model repository epara-node
serves and epara-profile measures:

    /usr/bin/python3 tools/export_models.py build/repository [--models mobilenet_v3_small,...]

Each model becomes <out>/<name>/config.json and <out>/<name>/1/model.pt (TorchScript). Nothing
is downloaded: the weights are random (torchvision's initialisation, seeded), and latency
depends on the architecture and the input's shape, not on the weights' values. Needs Debian's
python3-torch and python3-torchvision (for /usr/bin/python3).

The architectures the scenarios name:
  mobilenet_v3_small  classify  FP32 [3, 224, 224] -> logits [1000]
  resnet50      classify-large  FP32 [3, 224, 224] -> logits [1000]
  deeplabv3_mobilenet segment   FP32 [3, 256, 256] -> per-pixel logits [21, 256, 256]
  ssdlite             detect    FP32 [3, 320, 320] -> box regressions and class logits per
                                anchor (the network; box decoding and NMS, which torchvision
                                runs in Python per image, are left out)
  tiny_decoder        tokens    INT64 [-1] token ids (any length, at least 1) -> next-token
                                logits [1000]: a 4-layer decoder-only transformer, width 256
"""
import argparse
import json
import math
import pathlib

import torch
import torchvision


class Segmenter(torch.nn.Module):
    """DeepLabV3 returns a dict; a served model returns tensors."""

    def __init__(self):
        super().__init__()
        self.model = torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, aux_loss=False)

    def forward(self, x):
        return self.model(x)["out"]


class DetectorNetwork(torch.nn.Module):
    """SSDlite's backbone and heads: per-anchor box regressions and class logits."""

    def __init__(self):
        super().__init__()
        ssd = torchvision.models.detection.ssdlite320_mobilenet_v3_large(
            weights=None, weights_backbone=None)
        self.backbone, self.head = ssd.backbone, ssd.head

    def forward(self, x):
        features = list(self.backbone(x).values())
        out = self.head(features)
        return out["bbox_regression"], out["cls_logits"]


class TinyDecoder(torch.nn.Module):
    """A decoder-only transformer: token and position embeddings, causal self-attention
    layers, the last position's logits over the vocabulary."""

    def __init__(self, vocab=1000, width=256, layers=4, heads=4, max_tokens=512):
        super().__init__()
        self.tokens = torch.nn.Embedding(vocab, width)
        self.positions = torch.nn.Embedding(max_tokens, width)
        layer = torch.nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                                 batch_first=True)
        self.layers = torch.nn.TransformerEncoder(layer, layers)
        self.out = torch.nn.Linear(width, vocab)

    def forward(self, ids):
        n = ids.size(1)
        x = self.tokens(ids) + self.positions(torch.arange(n, device=ids.device))
        causal = torch.triu(torch.full((n, n), float("-inf"), device=ids.device), diagonal=1)
        return self.out(self.layers(x, mask=causal)[:, -1])


def tensor(name, datatype, dims):
    return {"name": name, "datatype": datatype, "dims": list(dims)}


# name: (service, build, inputs, output names, example input, script instead of trace)
MODELS = {
    "mobilenet_v3_small": ("classify", lambda: torchvision.models.mobilenet_v3_small(weights=None),
                           [tensor("image", "FP32", [3, 224, 224])], ["logits"],
                           lambda: torch.randn(1, 3, 224, 224), False),
    "resnet50": ("classify-large", lambda: torchvision.models.resnet50(weights=None),
                 [tensor("image", "FP32", [3, 224, 224])], ["logits"],
                 lambda: torch.randn(1, 3, 224, 224), False),
    "deeplabv3_mobilenet": ("segment", Segmenter, [tensor("image", "FP32", [3, 256, 256])],
                            ["logits"], lambda: torch.randn(1, 3, 256, 256), False),
    "ssdlite": ("detect", DetectorNetwork, [tensor("image", "FP32", [3, 320, 320])],
                ["boxes", "classes"], lambda: torch.randn(1, 3, 320, 320), False),
    "tiny_decoder": ("tokens", TinyDecoder, [tensor("ids", "INT64", [-1])], ["logits"],
                     lambda: torch.randint(0, 1000, (1, 16)), True),
}


def export(name, out, max_batch, service=None):
    default_service, build, inputs, output_names, example, script = MODELS[name]
    torch.manual_seed(0)
    model = build().eval()
    with torch.no_grad():
        module = torch.jit.script(model) if script else torch.jit.trace(model, example())
        results = module(example())
    results = results if isinstance(results, tuple) else (results,)
    outputs = [tensor(n, "FP32", r.shape[1:]) for n, r in zip(output_names, results)]
    folder = pathlib.Path(out) / name
    (folder / "1").mkdir(parents=True, exist_ok=True)
    module.save(str(folder / "1" / "model.pt"))
    held = sum(p.numel() * p.element_size() for p in model.parameters()) + \
        sum(b.numel() * b.element_size() for b in model.buffers())
    config = {"platform": "torchscript", "service": service or default_service,
              "max_batch": max_batch, "memory_mib": math.ceil(held / 2**20),
              "inputs": inputs, "outputs": outputs}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return config


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the repository folder (created)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, of: {', '.join(MODELS)}")
    parser.add_argument("--max-batch", type=int, default=32)
    args = parser.parse_args()
    for name in args.models.split(","):
        if name not in MODELS:
            parser.error(f"unknown model '{name}' (known: {', '.join(MODELS)})")
        config = export(name, args.out, args.max_batch)
        print(f"{args.out}/{name}: {config['service']}, {config['memory_mib']} MiB, "
              f"{[i['dims'] for i in config['inputs']]} -> {[o['dims'] for o in config['outputs']]}")


if __name__ == "__main__":
    main()
