"""maskkv: inference for diffusion language models (LLaDA, Dream) with MaskKV prompt K/V eviction.

A thin Pythonic layer over the C ABI (include/maskkv.h), whose one-to-one SWIG wrapper is
``maskkv.capi``::

    import maskkv

    with maskkv.Model("path/to/model") as model:
        out = model.generate([1, 2, 3], gen_length=32, block_length=8)
        print(out.tokens, out.stats.seconds)
        for step in model.stream([1, 2, 3], gen_length=32, block_length=8):
            print(step.index, step.masks_left)

Failures raise a subclass of :class:`maskkv.Error` carrying the C status and message; where a
Python exception means the same the class derives from it too (:class:`IoError` is an
``OSError``, :class:`InvalidArgumentError` and :class:`OutOfRangeError` are ``ValueError`` subclasses,
:class:`OutOfMemoryError` a ``MemoryError``). Calls into the engine release the GIL, so a model
can be shared by threads and a session cancelled from another thread (:meth:`Session.cancel`);
a generation runs step by step from Python, so Ctrl-C interrupts it within one step.

Special tokens follow one rule everywhere: text becomes ids with the tokenizer's special tokens
(BOS) added once (``Tokenizer.encode`` by default, ``generate("text")``, the CLI's ``--prompt``),
never twice even when the text already starts with the BOS; a chat prompt is rendered by the
template, which carries its own BOS, and the text of its messages is never parsed for special
tokens unless ``parse_special=True``; ids are used as given.
"""

from __future__ import annotations

import enum
import os
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import capi

__all__ = [
    "Alg", "Backend", "BufferTooSmallError", "CancelledError", "Calibrator", "DType", "Error",
    "Family", "FormatError", "Generation", "InternalError", "InvalidArgumentError", "IoError",
    "Model", "ModelInfo", "NotFoundError", "OutOfMemoryError", "OutOfRangeError", "Policy",
    "Profile", "Remasking", "Sampler", "Session", "Stats", "Status", "Step", "Tokenizer",
    "UnsupportedError", "WeightType", "capi", "policy_from_name", "policy_name", "status_name", "version",
    "version_number",
]

# ------------------------------------------------------------------------------------------------
# Enumerations (the values of include/maskkv.h)
# ------------------------------------------------------------------------------------------------


class Status(enum.IntEnum):
    OK = capi.MASKKV_OK
    INVALID_ARGUMENT = capi.MASKKV_ERR_INVALID_ARGUMENT
    IO = capi.MASKKV_ERR_IO
    FORMAT = capi.MASKKV_ERR_FORMAT
    UNSUPPORTED = capi.MASKKV_ERR_UNSUPPORTED
    OUT_OF_RANGE = capi.MASKKV_ERR_OUT_OF_RANGE
    OUT_OF_MEMORY = capi.MASKKV_ERR_OUT_OF_MEMORY
    BUFFER_TOO_SMALL = capi.MASKKV_ERR_BUFFER_TOO_SMALL
    CANCELLED = capi.MASKKV_ERR_CANCELLED
    NOT_FOUND = capi.MASKKV_ERR_NOT_FOUND
    INTERNAL = capi.MASKKV_ERR_INTERNAL


class Backend(enum.IntEnum):
    AUTO = capi.MASKKV_BACKEND_AUTO
    CPU = capi.MASKKV_BACKEND_CPU
    CUDA = capi.MASKKV_BACKEND_CUDA


class Family(enum.IntEnum):
    LLADA = capi.MASKKV_FAMILY_LLADA
    DREAM = capi.MASKKV_FAMILY_DREAM


class DType(enum.IntEnum):
    F32 = capi.MASKKV_DTYPE_F32
    BF16 = capi.MASKKV_DTYPE_BF16
    F16 = capi.MASKKV_DTYPE_F16
    Q8_0 = capi.MASKKV_DTYPE_Q8_0
    Q4_0 = capi.MASKKV_DTYPE_Q4_0


class WeightType(enum.IntEnum):
    """What loading does with the linear weights (docs/quantization.md)."""
    AUTO = capi.MASKKV_WEIGHT_TYPE_AUTO
    BF16 = capi.MASKKV_WEIGHT_TYPE_BF16
    Q8_0 = capi.MASKKV_WEIGHT_TYPE_Q8_0
    Q4_0 = capi.MASKKV_WEIGHT_TYPE_Q4_0


class Sampler(enum.IntEnum):
    AUTO = capi.MASKKV_SAMPLER_AUTO
    LLADA = capi.MASKKV_SAMPLER_LLADA
    DREAM = capi.MASKKV_SAMPLER_DREAM


class Remasking(enum.IntEnum):
    LOW_CONFIDENCE = capi.MASKKV_REMASK_LOW_CONFIDENCE
    RANDOM = capi.MASKKV_REMASK_RANDOM


class Alg(enum.IntEnum):
    ORIGIN = capi.MASKKV_ALG_ORIGIN
    MASKGIT_PLUS = capi.MASKKV_ALG_MASKGIT_PLUS
    TOPK_MARGIN = capi.MASKKV_ALG_TOPK_MARGIN
    ENTROPY = capi.MASKKV_ALG_ENTROPY


class Policy(enum.IntEnum):
    NONE = capi.MASKKV_POLICY_NONE
    FULL = capi.MASKKV_POLICY_FULL
    MASKKV = capi.MASKKV_POLICY_MASKKV
    SNAPKV = capi.MASKKV_POLICY_SNAPKV
    PYRAMIDKV = capi.MASKKV_POLICY_PYRAMIDKV
    SQUEEZEATTENTION = capi.MASKKV_POLICY_SQUEEZEATTENTION
    ADAKV = capi.MASKKV_POLICY_ADAKV


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


class Error(Exception):
    """A failed maskkv call: ``status`` (a :class:`Status`) and the library's ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        try:
            self.status: Union[Status, int] = Status(status)
        except ValueError:
            self.status = status
        self.status_name: str = capi.maskkv_status_name(int(status))
        self.message: str = message

    def __str__(self) -> str:
        return f"{self.message} [{self.status_name}]"


class InvalidArgumentError(Error, ValueError):
    """MASKKV_ERR_INVALID_ARGUMENT: a bad option value or an inconsistent set."""


class IoError(Error, OSError):
    """MASKKV_ERR_IO: a file or directory could not be opened or read."""


class FormatError(Error):
    """MASKKV_ERR_FORMAT: a file is corrupt, truncated or lies about its contents."""


class UnsupportedError(Error):
    """MASKKV_ERR_UNSUPPORTED: valid, but not supported (model type, dtype, feature)."""


class OutOfRangeError(Error, ValueError):
    """MASKKV_ERR_OUT_OF_RANGE: an id past the vocabulary, a prompt past the context."""


class OutOfMemoryError(Error, MemoryError):
    """MASKKV_ERR_OUT_OF_MEMORY."""


class BufferTooSmallError(Error):
    """MASKKV_ERR_BUFFER_TOO_SMALL (only seen through maskkv.capi)."""


class CancelledError(Error):
    """MASKKV_ERR_CANCELLED: Session.cancel() was called."""


class NotFoundError(Error, LookupError):
    """MASKKV_ERR_NOT_FOUND: an optional part (tokenizer, chat template) is absent."""


class InternalError(Error):
    """MASKKV_ERR_INTERNAL: a bug in maskkv."""


_ERROR_CLASSES = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.IO: IoError,
    Status.FORMAT: FormatError,
    Status.UNSUPPORTED: UnsupportedError,
    Status.OUT_OF_RANGE: OutOfRangeError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.BUFFER_TOO_SMALL: BufferTooSmallError,
    Status.CANCELLED: CancelledError,
    Status.NOT_FOUND: NotFoundError,
    Status.INTERNAL: InternalError,
}


def _error(status: int) -> Error:
    # maskkv_last_error() is per OS thread and the failing call ran on this one.
    return _ERROR_CLASSES.get(status, Error)(status, capi.maskkv_last_error())


def _check(status: int) -> None:
    if status != capi.MASKKV_OK:
        raise _error(status)


def _closed(what: str) -> InvalidArgumentError:
    return InvalidArgumentError(capi.MASKKV_ERR_INVALID_ARGUMENT, f"this {what} has been closed")


class _Ref:
    """One C handle and its free function, reference counted so that a handle is freed only
    after every handle depending on it (a session or a borrowed tokenizer on its model) is."""

    __slots__ = ("handle", "_free", "_parents", "_count", "_lock")

    def __init__(self, handle: Any, free: Any, parents: Iterable["_Ref"] = ()):
        self.handle = handle
        self._free = free
        self._parents = tuple(parents)
        self._count = 1
        self._lock = threading.Lock()
        for p in self._parents:
            p.retain()

    def retain(self) -> None:
        with self._lock:
            self._count += 1

    def release(self) -> None:
        with self._lock:
            self._count -= 1
            last = self._count == 0
        if last:
            if self._free is not None:
                self._free(self.handle)
            for p in self._parents:
                p.release()


class _Native:
    """Base of the handle wrappers: close() (or a with block, or garbage collection) releases the
    handle once; using a closed object raises InvalidArgumentError."""

    _what = "handle"
    _ref: Optional[_Ref] = None

    def _own(self, handle: Any, free: Any, *parents: Optional["_Native"]) -> None:
        self._lock = threading.Lock()
        self._ref = _Ref(handle, free, [p._live_ref() for p in parents if p is not None])

    def _live_ref(self) -> _Ref:
        ref = self._ref
        if ref is None:
            raise _closed(self._what)
        return ref

    def _h(self) -> Any:
        return self._live_ref().handle

    @property
    def handle(self) -> Any:
        """The C handle, for calls through maskkv.capi (valid while this object is open)."""
        return self._h()

    @property
    def closed(self) -> bool:
        return self._ref is None

    def close(self) -> None:
        """Releases the handle (idempotent). The C object is freed once nothing else that
        depends on it is open."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            ref, self._ref = self._ref, None
        if ref is not None:
            ref.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------
# Library-wide functions
# ------------------------------------------------------------------------------------------------


def version() -> str:
    """``"MAJOR.MINOR.PATCH"`` of the loaded libmaskkv."""
    return capi.maskkv_version()


def version_number() -> int:
    return capi.maskkv_version_number()


def status_name(status: int) -> str:
    return capi.maskkv_status_name(int(status))


def policy_name(policy: int) -> str:
    return capi.maskkv_policy_name(int(policy))


def policy_from_name(name: str) -> Policy:
    st, value = capi.maskkv_policy_from_name(name)
    _check(st)
    return Policy(value)


__version__ = version()
__license__ = "MIT OR Apache-2.0"  # LICENSE, LICENSE-APACHE, LICENSE-MIT in the source tree

# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    family: Family
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    mlp_hidden: int
    vocab_size: int
    max_seq_len: int
    mask_id: int
    bos_id: int
    eos_id: int
    eot_id: int
    rope_theta: float
    rms_norm_eps: float
    weight_dtype: DType
    backend: Backend
    n_params: int
    weight_bytes: int


@dataclass(frozen=True)
class Stats:
    steps: int
    forward_passes: int
    masks_left: int
    last_committed: int
    seconds: float
    peak_rss_bytes: int
    kv_pairs_kept: int
    kv_bytes_peak: int
    prefill_seconds: float
    gpu_peak_bytes: int  # CUDA backend: device memory peak since the model was loaded; 0 on the CPU

    @classmethod
    def _from_c(cls, s: Any) -> "Stats":
        return cls(s.steps, s.forward_passes, s.masks_left, s.last_committed, s.seconds,
                   s.peak_rss_bytes, s.kv_pairs_kept, s.kv_bytes_peak, s.prefill_seconds,
                   s.gpu_peak_bytes)


@dataclass(frozen=True)
class Generation:
    """The result of :meth:`Model.generate`: ``tokens`` (gen_length ids, numpy int32), ``text``
    (None when the model has no tokenizer), ``stats`` and the ``prompt`` ids."""

    tokens: np.ndarray
    text: Optional[str]
    stats: Stats
    prompt: np.ndarray


@dataclass(frozen=True)
class Step:
    """One denoising step of a :class:`Session`: ``index`` (1-based step count), ``tokens`` (the
    response so far; positions still masked hold the mask id), ``committed`` (tokens committed
    by this step), ``masks_left``, ``done`` and the session's ``stats`` after the step."""

    index: int
    tokens: np.ndarray
    committed: int
    masks_left: int
    done: bool
    stats: Stats


# ------------------------------------------------------------------------------------------------
# Option handling
# ------------------------------------------------------------------------------------------------

def _option_kinds() -> Dict[str, int]:
    """Each field of maskkv_generate_options and its MASKKV_OPTION_* kind, from the library's
    option table (docs/options.md), in the struct's order."""
    kinds = {}
    for i in range(capi.maskkv_generate_option_count()):
        info = capi.maskkv_option_info()
        _check(capi.maskkv_generate_option_info(i, info))
        kinds[info.name] = info.type
    return kinds


_OPTION_KINDS = _option_kinds()
# The choice fields take these enums' names or values.
_ENUM_OPTIONS = {"sampler": Sampler, "remasking": Remasking, "alg": Alg, "policy": Policy}

#: Every keyword that Model.generate / Model.stream accept.
GENERATE_OPTIONS = tuple(_OPTION_KINDS) + ("chat", "chat_template", "system", "parse_special")
_PROMPT_OPTIONS = ("chat", "chat_template", "system", "parse_special")


def _enum_value(kind: type, name: str, value: Any) -> int:
    if isinstance(value, str):
        if kind is Policy:
            return int(policy_from_name(value.lower()))
        try:
            return int(kind[value.upper()])
        except KeyError:
            choices = ", ".join(m.name.lower() for m in kind)
            raise InvalidArgumentError(capi.MASKKV_ERR_INVALID_ARGUMENT,
                                       f"{name}: unknown value '{value}' (one of {choices})")
    return int(value)


def _generate_options(options: Dict[str, Any],
                      model: Optional["Model"] = None) -> Tuple[Any, Optional["Profile"]]:
    opts = capi.maskkv_generate_options()  # holds maskkv_generate_default_options()
    profile = None
    for key, value in options.items():
        kind = _OPTION_KINDS.get(key)
        if kind == capi.MASKKV_OPTION_CHOICE:
            setattr(opts, key, _enum_value(_ENUM_OPTIONS[key], key, value))
        elif kind in (capi.MASKKV_OPTION_INT, capi.MASKKV_OPTION_UINT64):
            setattr(opts, key, int(value))
        elif kind == capi.MASKKV_OPTION_BOOL:
            setattr(opts, key, 1 if value else 0)
        elif kind == capi.MASKKV_OPTION_FLOAT:
            setattr(opts, key, float(value))
        elif key == "profile":
            if isinstance(value, (str, os.PathLike)) and model is not None:
                value = Profile(model, value)  # a path: loaded for this model
            if value is not None and not isinstance(value, Profile):
                raise TypeError("profile must be a maskkv.Profile, the path of one, or None")
            profile = value
            opts.profile = value._h() if value is not None else None
        else:
            raise TypeError(f"unknown generation option '{key}' "
                            f"(known: {', '.join(GENERATE_OPTIONS)})")
    return opts, profile


def _ids(prompt: Any, what: str = "prompt") -> np.ndarray:
    arr = np.asarray(prompt)
    if arr.ndim != 1:
        raise ValueError(f"{what}: expected a 1-D sequence of token ids, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int32)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected integer token ids, got {arr.dtype}")
    if arr.min() < np.iinfo(np.int32).min or arr.max() > np.iinfo(np.int32).max:
        raise OverflowError(f"{what}: token ids must fit in int32")
    return np.ascontiguousarray(arr, dtype=np.int32)


# ------------------------------------------------------------------------------------------------
# Tokenizer
# ------------------------------------------------------------------------------------------------

Message = Union[Tuple[str, str], Dict[str, str]]


def _detokenize(tokenizer: Any, ids: Any, skip_special: bool) -> bytes:
    arr = _ids(ids, "ids")
    st, n = capi.maskkv_detokenize(tokenizer, arr, int(skip_special), None)
    if st not in (capi.MASKKV_OK, capi.MASKKV_ERR_BUFFER_TOO_SMALL):
        raise _error(st)
    buf = bytearray(n)
    if n:
        st, n = capi.maskkv_detokenize(tokenizer, arr, int(skip_special), buf)
        _check(st)
    return bytes(buf[:n])


def _response_text(model_handle: Any, tokens: np.ndarray) -> Optional[str]:
    """The response decoded by the model's own tokenizer, up to the first end-of-sequence or
    end-of-turn token (the ids themselves stay complete); None without a tokenizer."""
    st, tok = capi.maskkv_model_get_tokenizer(model_handle)
    if st == capi.MASKKV_ERR_NOT_FOUND:
        return None
    _check(st)
    info = capi.maskkv_model_info()
    _check(capi.maskkv_model_get_info(model_handle, info))
    ends = {info.eos_id, info.eot_id} - {-1}
    stop = next((i for i, t in enumerate(tokens.tolist()) if t in ends), len(tokens))
    return _detokenize(tok, tokens[:stop], True).decode("utf-8", "replace")


def _messages(messages: Iterable[Message]) -> List[Tuple[str, str]]:
    return [(m["role"], m["content"]) if isinstance(m, dict) else (m[0], m[1]) for m in messages]


def _template(template: Optional[Union[str, os.PathLike]]) -> Optional[str]:
    return None if template is None else os.fspath(template)


class Tokenizer(_Native):
    """A tokenizer.json, SentencePiece .model, or a model directory holding either.

    ``Tokenizer(path)`` owns its handle (free it with :meth:`close` or a ``with`` block);
    :attr:`Model.tokenizer` returns the model's own, which keeps the C model alive until closed.
    Safe to share across threads.
    """

    _what = "tokenizer"

    def __init__(self, path: Union[str, os.PathLike]):
        st, handle = capi.maskkv_tokenizer_load(os.fspath(path))
        _check(st)
        self._own(handle, capi.maskkv_tokenizer_free)

    @classmethod
    def _borrowed(cls, handle: Any, owner: "Model") -> "Tokenizer":
        t = cls.__new__(cls)
        t._own(handle, None, owner)  # freed with the model
        return t

    def encode(self, text: Union[str, bytes], add_special: bool = True) -> np.ndarray:
        """Text (str, or UTF-8 bytes) to a numpy int32 array of ids. ``add_special`` (default,
        as in Hugging Face and as ``Model.generate("text")`` does) adds the tokenizer's BOS/EOS,
        but no second BOS to text that already begins with one. Special-token text inside
        ``text`` becomes the special token; for user content use :meth:`encode_chat`."""
        h = self._h()
        st, n = capi.maskkv_tokenize(h, text, int(add_special), None)
        if st not in (capi.MASKKV_OK, capi.MASKKV_ERR_BUFFER_TOO_SMALL):
            raise _error(st)
        ids = np.empty(n, dtype=np.int32)
        if n:
            st, n = capi.maskkv_tokenize(h, text, int(add_special), ids)
            _check(st)
        return ids[:n]

    def decode_bytes(self, ids: Any, skip_special: bool = True) -> bytes:
        """Ids to the UTF-8 bytes the tokenizer produces."""
        return _detokenize(self._h(), ids, skip_special)

    def decode(self, ids: Any, skip_special: bool = True, errors: str = "replace") -> str:
        """Ids to text. Byte-level pieces of a partial response may not be valid UTF-8 on their
        own: ``errors`` is passed to bytes.decode."""
        return self.decode_bytes(ids, skip_special).decode("utf-8", errors)

    def encode_chat(self, messages: Iterable[Message],
                    template: Optional[Union[str, os.PathLike]] = None,
                    add_generation_prompt: bool = True, parse_special: bool = False) -> np.ndarray:
        """Renders messages with a chat template and tokenizes them: the template's markers and
        BOS become special tokens, the messages' text stays text (a user typing "<|eot_id|>"
        cannot end a turn) unless ``parse_special``. ``template`` as for
        :meth:`apply_chat_template`."""
        h = self._h()
        msgs = _messages(messages)
        opts = capi.maskkv_chat_options()
        opts.add_generation_prompt = int(add_generation_prompt)
        opts.parse_special = int(parse_special)
        name = _template(template)
        if name is not None:
            opts.template_name = name
        st, n = capi.maskkv_tokenize_chat(h, msgs, opts, None)
        if st not in (capi.MASKKV_OK, capi.MASKKV_ERR_BUFFER_TOO_SMALL):
            raise _error(st)
        ids = np.empty(n, dtype=np.int32)
        if n:
            st, n = capi.maskkv_tokenize_chat(h, msgs, opts, ids)
            _check(st)
        return ids[:n]

    def apply_chat_template(self, messages: Iterable[Message],
                            template: Optional[Union[str, os.PathLike]] = None,
                            add_generation_prompt: bool = True) -> str:
        """Renders messages ({"role", "content"} dicts or (role, content) pairs) with the chat
        template the tokenizer names, or ``template``: "llada", "chatml", "llama3", or the path
        of a Jinja chat template file of one of those families."""
        h = self._h()
        template = _template(template)
        msgs = _messages(messages)
        st, n = capi.maskkv_apply_chat_template(h, template, msgs, int(add_generation_prompt),
                                                None)
        if st not in (capi.MASKKV_OK, capi.MASKKV_ERR_BUFFER_TOO_SMALL):
            raise _error(st)
        buf = bytearray(n)
        if n:
            st, n = capi.maskkv_apply_chat_template(h, template, msgs,
                                                    int(add_generation_prompt), buf)
            _check(st)
        return bytes(buf[:n]).decode("utf-8", "replace")


# ------------------------------------------------------------------------------------------------
# Model
# ------------------------------------------------------------------------------------------------


class Model(_Native):
    """A loaded model directory (config.json + safetensors, optional tokenizer).

    ``backend``: "auto", "cpu" or "cuda" (or a :class:`Backend`); ``threads``: CPU threads, 0 for
    one per core; ``weight_type``: "auto" (as stored), "bf16", "q8_0" or "q4_0" (or a
    :class:`WeightType`) converts the linear weights at load (q8_0/q4_0 on the CPU backend only). A model is immutable and may be shared by threads. Use it as a context manager
    or call :meth:`close`; sessions and borrowed tokenizers keep the C model alive until they
    are closed too.
    """

    _what = "model"

    def __init__(self, path: Union[str, os.PathLike], *, backend: Union[str, int] = "auto",
                 threads: int = 0, weight_type: Union[str, int] = "auto"):
        opts = capi.maskkv_model_options()
        opts.backend = _enum_value(Backend, "backend", backend)
        opts.n_threads = int(threads)
        opts.weight_type = _enum_value(WeightType, "weight_type", weight_type)
        self.path = os.fspath(path)
        st, handle = capi.maskkv_model_load(self.path, opts)
        _check(st)
        self._own(handle, capi.maskkv_model_free)
        self._info: Optional[ModelInfo] = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else self.info.family.name.lower()
        return f"maskkv.Model({self.path!r}, {state})"

    # -- information --
    @property
    def info(self) -> ModelInfo:
        if self._info is None:
            ci = capi.maskkv_model_info()
            _check(capi.maskkv_model_get_info(self._h(), ci))
            self._info = ModelInfo(
                Family(ci.family), ci.n_layers, ci.d_model, ci.n_heads, ci.n_kv_heads,
                ci.head_dim, ci.mlp_hidden, ci.vocab_size, ci.max_seq_len, ci.mask_id, ci.bos_id,
                ci.eos_id, ci.eot_id, ci.rope_theta, ci.rms_norm_eps, DType(ci.weight_dtype),
                Backend(ci.backend), ci.n_params, ci.weight_bytes)
        return self._info

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's own tokenizer; raises NotFoundError when the directory has none."""
        st, handle = capi.maskkv_model_get_tokenizer(self._h())
        _check(st)
        return Tokenizer._borrowed(handle, self)

    @property
    def has_tokenizer(self) -> bool:
        st, _ = capi.maskkv_model_get_tokenizer(self._h())
        return st == capi.MASKKV_OK

    def encode_prompt(self, prompt: Any, chat: bool = False,
                      chat_template: Optional[Union[str, os.PathLike]] = None,
                      system: Optional[str] = None, parse_special: bool = False) -> np.ndarray:
        """Token ids for a prompt. A str goes through the model's tokenizer with its special
        tokens (BOS) once. With ``chat`` (implied by ``chat_template`` or ``system``) the prompt
        is a user message, or a list of messages ({"role", "content"} dicts or (role, content)
        pairs), rendered with the chat template (the model's own, or ``chat_template``: a name
        or a template file) after an optional ``system`` message; their text is not parsed for
        special tokens unless ``parse_special``. Anything else is taken as ids."""
        chat = chat or chat_template is not None or system is not None
        if chat:
            if isinstance(prompt, str):
                messages: List[Tuple[str, str]] = [("user", prompt)]
            elif isinstance(prompt, (list, tuple)) and all(isinstance(m, (dict, tuple)) for m in prompt):
                messages = _messages(prompt)
            else:
                raise ValueError("a chat prompt is text or a list of (role, content) messages")
            if system is not None:
                messages = [("system", system)] + messages
            return self.tokenizer.encode_chat(messages, chat_template, True, parse_special)
        if parse_special:
            raise ValueError("parse_special applies to chat prompts (plain text is always parsed)")
        if isinstance(prompt, str):
            return self.tokenizer.encode(prompt, add_special=True)
        return _ids(prompt)

    def _prompt(self, prompt: Any, options: Dict[str, Any]) -> np.ndarray:
        kw = {k: options.pop(k) for k in _PROMPT_OPTIONS if k in options}
        return self.encode_prompt(prompt, **kw)

    def _text(self, tokens: np.ndarray) -> Optional[str]:
        return _response_text(self._h(), tokens)

    # -- generation --
    def generate(self, prompt: Any, **options: Any) -> Generation:
        """Runs one generation to the end.

        ``prompt``: token ids (list, tuple, numpy array) or text (needs a tokenizer).
        ``options``: the fields of maskkv_generate_options by name (gen_length, steps, sampler,
        temperature, policy, budget, profile (a :class:`Profile` or its path), ...: every one,
        with its default and range, is in docs/options.md and :data:`GENERATE_OPTIONS`); choice
        fields take names ("random", "maskkv") or values. ``chat=True``, ``chat_template=``,
        ``system=`` and ``parse_special=`` make it a chat prompt (see :meth:`encode_prompt`).
        An option that would have no effect (``top_k`` with the LLaDA sampler, ``budget`` with
        policy "none", ...) raises :class:`UnsupportedError` saying why.

        The generation runs one step per call into the engine, so KeyboardInterrupt (Ctrl-C)
        stops it within one step.
        """
        with self.stream(prompt, **options) as session:
            return session.run()

    def stream(self, prompt: Any, **options: Any) -> "Session":
        """Begins a generation and returns its :class:`Session`, an iterator over the denoising
        steps (pull-style: each ``next`` runs one step)::

            for step in model.stream(ids, gen_length=32):
                print(step.index, step.masks_left)
        """
        ids = self._prompt(prompt, options)
        opts, profile = _generate_options(options, self)
        st, handle = capi.maskkv_session_begin(self._h(), ids, opts)
        _check(st)
        return Session._begun(handle, self, profile, ids)

    session = stream


class Session(_Native):
    """One generation in progress (maskkv_session). Iterate it to run steps; read
    :attr:`tokens`, :attr:`stats` and :attr:`text` between steps. A session is used by one
    thread at a time; :meth:`cancel` may be called from any thread. Made by
    :meth:`Model.stream`."""

    _what = "session"

    @classmethod
    def _begun(cls, handle: Any, model: Model, profile: Optional["Profile"],
               prompt: np.ndarray) -> "Session":
        s = cls.__new__(cls)
        # The C model (and the profile the options point at) outlive the session.
        s._own(handle, capi.maskkv_session_free, model, profile)
        s._model_handle = model._h()
        s.prompt = prompt
        s._done = False
        return s

    @property
    def done(self) -> bool:
        return self._done

    def step(self) -> bool:
        """Runs one denoising step; returns True once every position is committed."""
        st, done = capi.maskkv_session_step(self._h())
        _check(st)
        self._done = bool(done)
        return self._done

    def __iter__(self) -> Iterator[Step]:
        return self

    def __next__(self) -> Step:
        if self._done:
            raise StopIteration
        self.step()
        stats = self.stats
        return Step(stats.steps, self.tokens, stats.last_committed, stats.masks_left, self._done,
                    stats)

    @property
    def tokens(self) -> np.ndarray:
        """The current response (numpy int32; masked positions hold the mask id)."""
        h = self._h()
        st, n = capi.maskkv_session_tokens(h, None)
        if st not in (capi.MASKKV_OK, capi.MASKKV_ERR_BUFFER_TOO_SMALL):
            raise _error(st)
        out = np.empty(n, dtype=np.int32)
        st, n = capi.maskkv_session_tokens(h, out)
        _check(st)
        return out[:n]

    @property
    def stats(self) -> Stats:
        s = capi.maskkv_stats()
        _check(capi.maskkv_session_get_stats(self._h(), s))
        return Stats._from_c(s)

    @property
    def text(self) -> Optional[str]:
        """The response decoded by the model's tokenizer (None without one)."""
        tokens = self.tokens
        return _response_text(self._model_handle, tokens)

    def run(self) -> Generation:
        """Steps to the end and returns the result."""
        for _ in self:
            pass
        tokens = self.tokens
        return Generation(tokens, _response_text(self._model_handle, tokens), self.stats,
                          self.prompt)

    def cancel(self) -> None:
        """Makes the current or next step raise CancelledError. Safe from any thread; does
        nothing once the session is closed."""
        with self._lock:
            ref = self._ref
            if ref is not None:
                _check(capi.maskkv_session_cancel(ref.handle))


# ------------------------------------------------------------------------------------------------
# MaskKV profiles and calibration
# ------------------------------------------------------------------------------------------------


class Profile(_Native):
    """A MaskKV calibration profile for ``model`` (pass it as ``profile=`` with
    ``policy="maskkv"``). Immutable; shareable across threads."""

    _what = "profile"

    def __init__(self, model: Model, path: Union[str, os.PathLike]):
        st, handle = capi.maskkv_profile_load(model._h(), os.fspath(path))
        _check(st)
        self._own(handle, capi.maskkv_profile_free, model)


class Calibrator(_Native):
    """Measures a MaskKV profile: ``add`` prompts (ids, or text through the model's
    tokenizer), then ``save`` the profile for :class:`Profile`. Used by one thread at a time."""

    _what = "calibrator"

    def __init__(self, model: Model, gen_length: int = 64):
        st, handle = capi.maskkv_calibrator_begin(model._h(), int(gen_length))
        _check(st)
        self._own(handle, capi.maskkv_calibrator_free, model)
        self._model = model

    def add(self, prompt: Any, chat: bool = False) -> None:
        ids = self._model.encode_prompt(prompt, chat) if isinstance(prompt, str) or chat else _ids(prompt)
        _check(capi.maskkv_calibrator_add(self._h(), ids))

    def save(self, path: Union[str, os.PathLike]) -> None:
        _check(capi.maskkv_calibrator_save(self._h(), os.fspath(path)))
