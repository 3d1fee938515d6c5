"""The points a profile measures: token counts of the per-token operators, (batch, context)
of decode attention, (chunk, cached prefix) of prefill attention, and message sizes of the
collectives. Presets follow the spacing of existing profiles; each list can be overridden."""
from dataclasses import asdict, dataclass

MIB = 1 << 20


def _span(start, stop, step):
    """start, start + step, ... below stop."""
    return list(range(start, stop, step))


# The spacing of the profiles in ../shared/gpu-profiles (about 120 token counts, 16 x 17 decode
# and up to 17 x 13 prefill points): the default.
_STANDARD = dict(
    num_tokens=[1, 2, 4, 8] + _span(16, 1024, 16) + _span(1024, 4097, 64),
    decode_batch_sizes=[1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128],
    decode_kv_sizes=[32, 64, 128, 192, 256, 384, 512, 640, 768, 1024, 1280, 1536, 2048, 2560, 3072, 3584, 4032],
    prefill_chunk_sizes=[64, 128, 192, 256, 384, 512, 640, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584,
                         4096],
    prefill_kv_sizes=[0, 64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 3072, 3584, 4032],
    collective_sizes=_span(2048, MIB, 32768) + _span(MIB, 16 * MIB, 131072) + _span(16 * MIB, 64 * MIB + 1, 524288),
)

# Vidur's own spacing (its profiling data has these points): about ten times the attention
# points of the standard grid.
_VIDUR = dict(
    num_tokens=[1, 2, 4] + _span(8, 1024, 8) + _span(1024, 2048, 16) + _span(2048, 4097, 32),
    decode_batch_sizes=_span(1, 129, 1),
    decode_kv_sizes=_span(32, 1024, 32) + _span(1024, 4033, 64),
    prefill_chunk_sizes=_span(64, 128, 16) + _span(128, 1024, 32) + _span(1024, 4097, 64),
    prefill_kv_sizes=_span(0, 1024, 32) + _span(1024, 4033, 64),
    collective_sizes=_span(2048, MIB, 8192) + _span(MIB, 16 * MIB, 32768) + _span(16 * MIB, 64 * MIB + 1, 131072),
)

# A quick look: a handful of points per axis, still enough rows (>= 4 per operator) to learn from.
_SMALL = dict(
    num_tokens=[1, 8, 64, 256, 1024, 4096],
    decode_batch_sizes=[1, 8, 32, 128],
    decode_kv_sizes=[128, 1024, 4032],
    prefill_chunk_sizes=[128, 512, 2048],
    prefill_kv_sizes=[0, 512, 2048],
    collective_sizes=[1 << k for k in range(11, 27)],
)

PRESETS = {"standard": _STANDARD, "vidur": _VIDUR, "small": _SMALL}
AXES = tuple(_STANDARD)
# Axes where 0 is a meaningful point (a prefill without cached tokens); elsewhere 0 is refused.
_ZERO_ALLOWED = {"prefill_kv_sizes"}


class GridError(ValueError):
    pass


@dataclass(frozen=True)
class Grid:
    num_tokens: tuple
    decode_batch_sizes: tuple
    decode_kv_sizes: tuple
    prefill_chunk_sizes: tuple
    prefill_kv_sizes: tuple
    collective_sizes: tuple
    max_model_len: int = 4096

    def decode_points(self):
        """(batch_size, kv_cache_size) pairs: every request of a batch at the same context."""
        return [(b, kv) for kv in self.decode_kv_sizes if kv < self.max_model_len for b in self.decode_batch_sizes]

    def prefill_points(self):
        """(prefill_chunk_size, kv_cache_size) pairs of one request, chunk + prefix <= max_model_len."""
        return [(c, kv) for c in self.prefill_chunk_sizes for kv in self.prefill_kv_sizes
                if c + kv <= self.max_model_len]

    def describe(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def parse_int_list(text, axis="list"):
    """'1,2,8' or '16:1024:16' (start:stop:step, stop included when on the step) or a mix."""
    values = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise GridError(f"{axis}: empty item in '{text}'")
        try:
            if ":" in item:
                parts = [int(p) for p in item.split(":")]
                if len(parts) != 3 or parts[2] <= 0:
                    raise ValueError
                values.extend(range(parts[0], parts[1] + 1, parts[2]))
            else:
                values.append(int(item))
        except ValueError:
            raise GridError(f"{axis}: expected whole numbers or start:stop:step, got '{item}'") from None
    return values


def _checked(axis, values):
    values = sorted(set(values))
    if not values:
        raise GridError(f"{axis}: no points")
    smallest = 0 if axis in _ZERO_ALLOWED else 1
    if values[0] < smallest:
        raise GridError(f"{axis}: expected values >= {smallest}, got {values[0]}")
    return tuple(values)


def make_grid(preset="standard", overrides=None, max_model_len=4096):
    """The preset's axes with `overrides` (axis -> list of ints) replacing some of them."""
    if preset not in PRESETS:
        raise GridError(f"unknown grid preset '{preset}' (expected one of {', '.join(PRESETS)})")
    if max_model_len < 2:
        raise GridError(f"max model length: expected at least 2, got {max_model_len}")
    axes = dict(PRESETS[preset])
    for axis, values in (overrides or {}).items():
        if axis not in AXES:
            raise GridError(f"unknown grid axis '{axis}'")
        if values is not None:
            axes[axis] = values
    grid = Grid(**{axis: _checked(axis, values) for axis, values in axes.items()}, max_model_len=max_model_len)
    if not grid.decode_points():
        raise GridError(f"no decode point has a context below the max model length {max_model_len}")
    if not grid.prefill_points():
        raise GridError(f"no prefill point has chunk + prefix <= the max model length {max_model_len}")
    return grid
