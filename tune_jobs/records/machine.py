"""The machine a sweep ran on, as its ``summary.json`` records it (``machines``).

Wall and CPU seconds compare only between runs on the same CPU: a cloud VM can come back on another
host from one day to the next, and TensorFlow's kernels (oneDNN) differ with the instruction set,
in speed and in the last digits of a score. So each session of a run records the CPU its driver ran
on, and the report warns when the runs it compares (or the sessions of one run) differ.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any, Mapping, Sequence

CPUINFO = Path("/proc/cpuinfo")
# The instruction sets that decide which of TensorFlow's CPU kernels run, in the order they came.
ISA = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")


def describe(cpuinfo: str | None = None) -> dict[str, Any]:
    """This machine: ``{"cpu": model name, "logical_cpus": n, "isa": [the ISA flags it has]}``.

    ``cpuinfo`` is /proc/cpuinfo's text (read here on Linux; elsewhere the model is Python's
    ``platform`` guess and the flags are unknown, an empty list)."""
    if cpuinfo is None:
        try:
            cpuinfo = CPUINFO.read_text()
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():  # the first processor's lines; the others repeat them
        name, sep, value = line.partition(":")
        if sep and name.strip() not in fields:
            fields[name.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    model = fields.get("model name") or platform.processor() or platform.machine() or "unknown"
    return {"cpu": model, "logical_cpus": os.cpu_count(), "isa": [f for f in ISA if f in flags]}


def label(machine: Mapping[str, Any]) -> str:
    """One line for a table: the model and its widest instruction sets (``AMD EPYC 9B14, avx2 fma``)."""
    isa = " ".join(machine.get("isa") or []) or "ISA unknown"
    return f"{machine.get('cpu', 'unknown')}, {isa}"


def with_this_session(earlier: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The machines of a run's sessions: those recorded before (a resumed run's) and this one, each once."""
    machines = [dict(m) for m in earlier]
    here = describe()
    return machines if here in machines else [*machines, here]
