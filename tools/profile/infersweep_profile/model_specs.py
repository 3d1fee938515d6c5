"""Model specs read from data/models/*.ini (format: data/README.md), strictly: an unknown,
repeated, missing or malformed key is an error naming the file and line."""
import os
from dataclasses import dataclass


class SpecError(ValueError):
    """Bad input in a spec file or a model name; the message names the file and line."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # Hugging Face id, org/model
    num_layers: int
    num_q_heads: int
    num_kv_heads: int
    hidden_size: int
    mlp_hidden_size: int
    gated_mlp: bool
    vocab_size: int
    norm: str  # rms_norm or layer_norm
    post_attention_norm: bool
    max_position_embeddings: int
    source: str = ""

    @property
    def short_name(self):
        return self.name.split("/")[-1]

    @property
    def head_dim(self):
        return self.hidden_size // self.num_q_heads


@dataclass(frozen=True)
class ShardShape:
    """One GPU's share of a model under tensor parallelism, as Vidur emulates it: heads and MLP
    width divided by the TP degree; KV heads replicated when there are fewer than TP."""
    tp: int
    q_heads: int
    kv_heads: int
    head_dim: int
    hidden: int
    mlp_width: int  # inner width of this shard (the down projection's input)
    up_width: int  # output width of the up projection (twice mlp_width when gated)
    vocab: int


_INT_KEYS = ("num_layers", "num_q_heads", "num_kv_heads", "hidden_size", "mlp_hidden_size", "vocab_size",
             "max_position_embeddings")
_BOOL_KEYS = ("gated_mlp", "post_attention_norm")
_NORMS = ("rms_norm", "layer_norm")
_KEYS = ("name",) + _INT_KEYS + _BOOL_KEYS + ("norm",)


def read_model(path):
    values, lines = {}, {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError(f"{path}: cannot read: {e}") from e
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line:
            raise SpecError(f"{path}:{number}: expected 'key = value', got '{raw.strip()}'")
        key, value = (part.strip() for part in line.split("=", 1))
        if key not in _KEYS:
            raise SpecError(f"{path}:{number}: unknown key '{key}' (expected one of {', '.join(_KEYS)})")
        if key in values:
            raise SpecError(f"{path}:{number}: key '{key}' repeated (first on line {lines[key]})")
        values[key], lines[key] = value, number
    missing = [k for k in _KEYS if k not in values]
    if missing:
        raise SpecError(f"{path}: missing key(s) {', '.join(missing)}")
    fields = {"name": values["name"], "norm": values["norm"], "source": path}
    for key in _INT_KEYS:
        try:
            fields[key] = int(values[key])
        except ValueError:
            raise SpecError(f"{path}:{lines[key]}: {key}: expected a whole number, got '{values[key]}'") from None
        if fields[key] <= 0:
            raise SpecError(f"{path}:{lines[key]}: {key}: expected a positive number, got {fields[key]}")
    for key in _BOOL_KEYS:
        if values[key] not in ("true", "false"):
            raise SpecError(f"{path}:{lines[key]}: {key}: expected true or false, got '{values[key]}'")
        fields[key] = values[key] == "true"
    if fields["norm"] not in _NORMS:
        raise SpecError(f"{path}:{lines['norm']}: norm: expected one of {', '.join(_NORMS)}, got '{fields['norm']}'")
    if "/" not in fields["name"]:
        raise SpecError(f"{path}:{lines['name']}: name: expected a Hugging Face id org/model, got '{fields['name']}'")
    model = ModelSpec(**fields)
    if model.hidden_size % model.num_q_heads:
        raise SpecError(f"{path}: hidden_size {model.hidden_size} is not a multiple of num_q_heads {model.num_q_heads}")
    if model.num_q_heads % model.num_kv_heads:
        raise SpecError(f"{path}: num_q_heads {model.num_q_heads} is not a multiple of num_kv_heads "
                        f"{model.num_kv_heads}")
    return model


def read_models(data_dir):
    directory = os.path.join(data_dir, "models")
    if not os.path.isdir(directory):
        raise SpecError(f"{directory}: not a directory (expected data/models/*.ini, see data/README.md)")
    return [read_model(os.path.join(directory, f)) for f in sorted(os.listdir(directory)) if f.endswith(".ini")]


def find_models(models, requested):
    """The models named in `requested` (a list of Hugging Face ids or the part after '/', or
    'all'), in the order given."""
    if requested == ["all"]:
        return list(models)
    chosen = []
    for name in requested:
        hits = [m for m in models if name in (m.name, m.short_name)]
        if not hits:
            known = ", ".join(m.name for m in models) or "none"
            raise SpecError(f"unknown model '{name}' (known: {known})")
        if len(hits) > 1:
            raise SpecError(f"model name '{name}' is ambiguous: {', '.join(m.source for m in hits)}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def tp_problem(model, tp):
    """Why `model` cannot be split over `tp` GPUs, or None if it can."""
    if tp < 1:
        return f"TP {tp} is not a positive degree"
    if model.num_q_heads % tp:
        return f"{model.num_q_heads} query heads do not divide by TP {tp}"
    if model.num_kv_heads % tp and tp % model.num_kv_heads:
        return f"{model.num_kv_heads} KV heads neither divide by nor divide TP {tp}"
    if model.mlp_hidden_size % tp:
        return f"MLP width {model.mlp_hidden_size} does not divide by TP {tp}"
    if model.vocab_size % tp:
        return f"vocabulary {model.vocab_size} does not divide by TP {tp}"
    return None


def shard(model, tp):
    problem = tp_problem(model, tp)
    if problem:
        raise SpecError(f"{model.name}: {problem}")
    mlp_width = model.mlp_hidden_size // tp
    return ShardShape(tp=tp, q_heads=model.num_q_heads // tp, kv_heads=max(1, model.num_kv_heads // tp),
                      head_dim=model.head_dim, hidden=model.hidden_size, mlp_width=mlp_width,
                      up_width=mlp_width * (2 if model.gated_mlp else 1), vocab=model.vocab_size // tp)
