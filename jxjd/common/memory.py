"""Giving a worker's memory back after a large request (a 100,000-row upload, say)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from typing import TypeVar

from flask import Response

T = TypeVar("T")
R = TypeVar("R", bound=Response)

_LIBC_NAME = ctypes.util.find_library("c")
try:
    _LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None
except OSError:  # pragma: no cover - no loadable C library
    _LIBC = None
_TRIM = getattr(_LIBC, "malloc_trim", None)  # glibc only


def release_memory(response: T) -> T:
    """Collect garbage and hand freed heap pages back to the OS (glibc malloc_trim)."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
    return response


def release_memory_after(response: R) -> R:
    """Release the memory once the response has been sent (WSGI close), not before: the client
    does not wait for the collection of a large request's garbage."""
    response.call_on_close(_release_now)
    return response


def _release_now() -> None:
    release_memory(None)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """No cyclic garbage collection inside: a bulk upload allocates tens of thousands of objects
    that live until its end, and each generation-2 pass would walk all of them again. The
    reference counts still free everything; the cycles are collected when it ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
