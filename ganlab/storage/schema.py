"""What a run's files may hold, checked before anything is built from them.

Every value read from config.json, from the weights' metadata and from a `.npy` header is
checked here for type, range and size, so a hand-edited or hostile file fails with a
RunFormatError that names the field, at load time, and never as a TypeError in a page, a
MemoryError while drawing a thumbnail or a ValueError inside the training thread.
Unknown extra fields are allowed (the CLI adds its own); known ones must be well-formed.
"""

from __future__ import annotations

import io
import math
import zipfile
from typing import Any, Mapping

import numpy as np

from ganlab.storage.paths import RunFormatError
from ganlab.storage.report import unreadable

MAX_COUNT = 10**15  # steps, updates: far beyond any real run, far below float precision trouble
MAX_HISTORY_CAPACITY = 4_000_000
MAX_COLUMNS = 256
MAX_NAME_CHARS = 200
MAX_ARRAY_BYTES = 512 * 1024 * 1024  # a snapshot, samples, points or images array
INT_FIELDS = ("step", "d_updates", "g_updates", "steps", "steps_trained", "steps_requested", "eval_every",
              "threads")
FLOAT_FIELDS = ("train_seconds", "seconds", "steps_per_sec")
STR_FIELDS = ("name", "kind", "status", "message", "data", "created", "updated", "preset", "csv", "images",
              "device", "migration", "ganlab_version", "lineage")
METRIC_FIELDS = ("final_losses", "final_metrics", "best_metrics")


def _fail(where: str, rule: str, value: Any) -> RunFormatError:
    shown = repr(value) if isinstance(value, (int, float, bool)) or value is None else type(value).__name__
    if isinstance(value, str):
        shown = repr(value[:40] + ("..." if len(value) > 40 else ""))
    kinds = {"list": "a list", "dict": "an object", "str": "text", "int": "a number", "float": "a number",
             "bool": "true/false", "NoneType": "null"}
    return RunFormatError(f"{where} must be {rule}, not {kinds.get(shown, shown)}")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) < 1e300)


def check_int(where: str, value: Any, low: int = 0, high: int = MAX_COUNT, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not is_int(value) or not low <= value <= high:
        raise _fail(where, f"a whole number from {low:,} to {high:,}", value)


def check_str(where: str, value: Any, optional: bool = True, limit: int = 4096) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise _fail(where, f"text of at most {limit:,} characters", value)


def check_metrics(where: str, value: Any, optional: bool = True) -> None:
    """An object of name -> number (or null: not computed)."""
    if value is None and optional:
        return
    if not isinstance(value, dict) or len(value) > MAX_COLUMNS:
        raise _fail(where, "an object of named numbers", value)
    for key, v in value.items():
        if len(key) > MAX_NAME_CHARS:
            raise RunFormatError(f"{where} has a name longer than {MAX_NAME_CHARS} characters")
        if v is not None and not (is_number(v) or (isinstance(v, float) and math.isnan(v))):
            raise _fail(f"{where}.{key[:40]}", "a number or null", v)


def _check_scalars(where: str, value: Any, optional: bool = True) -> None:
    """An object whose values are text, numbers, true/false or null."""
    if value is None and optional:
        return
    if not isinstance(value, dict) or len(value) > 64:
        raise _fail(where, "an object", value)
    for key, v in value.items():
        if v is not None and not isinstance(v, (str, int, float, bool)):
            raise _fail(f"{where}.{key[:40]}", "text, a number or null", v)
        if isinstance(v, str) and len(v) > 4096:
            raise RunFormatError(f"{where}.{key[:40]} is too long")


def check_config_fields(config: Mapping[str, Any], what: str = "config.json") -> None:
    """The known fields of config.json have the types ganlab writes (RunFormatError naming the
    first that does not)."""
    for key in INT_FIELDS:
        check_int(f"{what}: {key}", config.get(key), optional=True)
    for key in FLOAT_FIELDS:
        value = config.get(key)
        if value is not None and not (is_number(value) and value >= 0):
            raise _fail(f"{what}: {key}", "a number of at least 0", value)
    for key in STR_FIELDS:
        check_str(f"{what}: {key}", config.get(key))
    for key in METRIC_FIELDS:  # objects when present (readers call .get on them)
        if key in config:
            check_metrics(f"{what}: {key}", config[key], optional=False)
    if config.get("view_only") is not None and not isinstance(config.get("view_only"), bool):
        raise _fail(f"{what}: view_only", "true or false", config.get("view_only"))
    writer = config.get("writer")
    if writer is not None:
        _check_scalars(f"{what}: writer", writer)
        check_int(f"{what}: writer.pid", writer.get("pid"), low=0, high=2**31, optional=True)
        check_str(f"{what}: writer.host", writer.get("host"))
        started = writer.get("started")
        if started is not None and not is_number(started):
            raise _fail(f"{what}: writer.started", "a number", started)
    _check_scalars(f"{what}: data_source", config.get("data_source"))
    _check_scalars(f"{what}: files", config.get("files"))
    names = config.get("class_names")
    if names is not None and (not isinstance(names, list) or len(names) > 100_000
                              or not all(isinstance(n, str) and len(n) <= MAX_NAME_CHARS for n in names)):
        raise _fail(f"{what}: class_names", "a list of names", names)
    for key in ("structure", "knobs"):
        if config.get(key) is not None and not isinstance(config.get(key), dict):
            raise _fail(f"{what}: {key}", "an object", config.get(key))


# ------------------------------------------------------------------ the weights' metadata
def check_history_meta(where: str, h: Any) -> None:
    """A BoundedHistory's saved shape (see ganlab.runs.state.history_state)."""
    if not isinstance(h, dict):
        raise _fail(where, "an object", h)
    columns = h.get("columns")
    if (not isinstance(columns, list) or len(columns) > MAX_COLUMNS or len(set(map(str, columns))) != len(columns)
            or not all(isinstance(c, str) and 0 < len(c) <= MAX_NAME_CHARS and c != "step" for c in columns)):
        raise _fail(f"{where}.columns", f"a list of at most {MAX_COLUMNS} distinct names", columns)
    capacity = h.get("capacity")
    if not is_int(capacity) or not 4 <= capacity <= MAX_HISTORY_CAPACITY or capacity % 2:
        raise _fail(f"{where}.capacity", f"an even whole number from 4 to {MAX_HISTORY_CAPACITY:,}", capacity)
    check_int(f"{where}.stride", h.get("stride"), low=1, high=2**50)
    check_int(f"{where}.acc_steps", h.get("acc_steps"), high=h["stride"])
    for key in ("acc_sum", "acc_count"):
        values = h.get(key)
        if not isinstance(values, list) or len(values) != len(columns):
            raise _fail(f"{where}.{key}", f"a list of {len(columns)} numbers", values)
        for v in values:
            if not (v is None and key == "acc_sum") and not is_number(v):
                raise _fail(f"{where}.{key}", "a list of numbers", v)


def _check_optimizer(where: str, opt: Any) -> None:
    if not isinstance(opt, dict) or not isinstance(opt.get("kind"), str):
        raise _fail(where, "an object naming the optimizer kind", opt)
    groups = opt.get("param_groups")
    if not isinstance(groups, list) or not 0 < len(groups) <= 64:
        raise _fail(f"{where}.param_groups", "a list of parameter groups", groups)
    for group in groups:
        if not isinstance(group, dict):
            raise _fail(f"{where}.param_groups", "a list of objects", group)
        params = group.get("params")
        if not isinstance(params, list) or not all(is_int(p) and 0 <= p < 100_000 for p in params):
            raise _fail(f"{where}.param_groups.params", "a list of parameter numbers", params)
        lr = group.get("lr")
        if not is_number(lr) or lr < 0:
            raise _fail(f"{where}.param_groups.lr", "a number of at least 0", lr)
        betas = group.get("betas")
        if betas is not None and (not isinstance(betas, list) or len(betas) != 2 or not all(map(is_number, betas))):
            raise _fail(f"{where}.param_groups.betas", "two numbers", betas)
        for key, value in group.items():
            if value is not None and not isinstance(value, (str, int, float, bool)) and key not in ("params", "betas"):
                raise _fail(f"{where}.param_groups.{key[:40]}", "a number, true/false or null", value)
            if isinstance(value, float) and not math.isfinite(value):
                raise _fail(f"{where}.param_groups.{key[:40]}", "a finite number", value)
    plain = opt.get("plain_state", {})
    if not isinstance(plain, dict) or not all(
            isinstance(k, str) and k.isdigit() and isinstance(v, dict)
            and all(isinstance(x, (int, float, bool, str)) or x is None for x in v.values())
            for k, v in plain.items()):
        raise _fail(f"{where}.plain_state", "an object of per-parameter numbers", plain)


def check_training_state(st: Mapping[str, Any], what: str = "weights.safetensors") -> None:
    """The JSON training state in the weights' metadata (kind, structure, knobs, counters,
    optimizer groups, history shapes, latest records), before any of it is used."""
    for key in ("structure", "knobs", "meta", "counters", "history"):
        if not isinstance(st.get(key), dict):
            raise _fail(f"{what}: {key}", "an object", st.get(key))
    counters = st["counters"]
    for key in ("step", "d_updates", "g_updates", "last_eval_step"):
        check_int(f"{what}: counters.{key}", counters.get(key))
    seconds = counters.get("train_seconds")
    if not is_number(seconds) or seconds < 0:
        raise _fail(f"{what}: counters.train_seconds", "a number of at least 0", seconds)
    check_history_meta(f"{what}: history", st["history"])
    if st.get("evals") is not None:
        check_history_meta(f"{what}: evals", st["evals"])
    meta = st["meta"]
    for key in ("g_opt", "d_opt"):
        _check_optimizer(f"{what}: meta.{key}", meta.get(key))
    if meta.get("has_ema") is not None and not isinstance(meta.get("has_ema"), bool):
        raise _fail(f"{what}: meta.has_ema", "true or false", meta.get("has_ema"))
    check_int(f"{what}: meta.ema_updates", meta.get("ema_updates", 0))
    check_str(f"{what}: meta.lineage", meta.get("lineage"), limit=100)
    check_metrics(f"{what}: latest", st.get("latest"))
    check_metrics(f"{what}: latest_eval", st.get("latest_eval"))


def first_non_finite(tensors: Mapping[str, Any]) -> str | None:
    """The name of the first floating-point tensor holding NaN or infinity (None: all finite)."""
    import torch

    for name, t in tensors.items():
        if isinstance(t, torch.Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all()):
            return name
    return None


# ------------------------------------------------------------------ numpy files
def npy_from_bytes(data: bytes, name: str, max_bytes: int = MAX_ARRAY_BYTES) -> np.ndarray:
    """An array from `.npy` bytes whose header is checked first: a plain (not object) dtype and
    a declared size that the file really holds and that stays under `max_bytes` (a 30-byte file
    declaring shape (10**10, 2) is refused, not allocated)."""
    buf = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buf)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(buf, max_header_size=10_000)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(buf, max_header_size=10_000)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise unreadable(f"{name} is not a readable numpy array (corrupt or truncated)", exc) from None
    if dtype.hasobject or dtype.itemsize == 0 or len(shape) > 8:
        raise RunFormatError(f"{name} does not hold plain numbers (object arrays are never unpickled)")
    count = 1
    for n in shape:
        count *= int(n)
    size = count * dtype.itemsize
    if size > max_bytes:
        raise RunFormatError(f"{name} declares {size:,} bytes of data; ganlab reads at most {max_bytes:,}")
    if size != len(data) - buf.tell():
        raise RunFormatError(f"{name} is truncated or padded: its header declares {size:,} bytes of data, "
                             f"the file holds {len(data) - buf.tell():,}")
    buf.seek(0)
    try:
        return np.load(buf, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise unreadable(f"{name} is not a readable numpy array (corrupt or truncated)", exc) from None


def npz_from_bytes(data: bytes, name: str, members: tuple[str, ...],
                   max_bytes: int = MAX_ARRAY_BYTES) -> dict[str, np.ndarray]:
    """The named arrays of an uncompressed `.npz` (as np.savez writes), each member's size
    checked from the zip directory before it is read (no compressed members: no zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            out = {}
            for member in members:
                info = z.getinfo(member + ".npy")
                if info.compress_type != zipfile.ZIP_STORED or info.file_size > max_bytes:
                    raise RunFormatError(f"{name}: {member} is compressed or too large; ganlab writes it uncompressed")
                out[member] = npy_from_bytes(z.read(info), f"{name}: {member}", max_bytes)
            return out
    except KeyError as exc:
        raise RunFormatError(f"{name} is not a ganlab dataset (it lacks {exc.args[0]})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        if isinstance(exc, RunFormatError):
            raise
        raise unreadable(f"{name} is corrupt or not a ganlab dataset", exc) from None
