"""The interval algebra every rule uses: half-open [start, end) intervals of epoch seconds.

Functions take and return lists of (start, end) int tuples. `union` returns sorted, disjoint,
non-empty intervals; the other functions expect and return that form.
"""
from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[int, int]


def union(intervals: Iterable[Interval], *, touching: bool = True) -> list[Interval]:
    """Merge overlapping or touching intervals; drop empty ones. Overlaps are never counted twice.
    With touching=False, intervals that only touch (one ends as the next starts) stay apart."""
    merged: list[list[int]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and (start <= merged[-1][1] if touching else start < merged[-1][1]):
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The parts common to two unions."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The parts of union `a` not covered by union `b`."""
    out: list[Interval] = []
    j = 0
    for start, end in a:
        cursor = start
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(intervals: list[Interval], lo: int, hi: int) -> list[Interval]:
    """The parts of a union inside [lo, hi)."""
    return intersect(intervals, [(lo, hi)]) if lo < hi else []


def length(intervals: Iterable[Interval]) -> int:
    """Total seconds of a union (disjoint intervals)."""
    return sum(end - start for start, end in intervals)
