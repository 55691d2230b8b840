"""Scoring after the fact: which truth object each track follows.

This is the one place that joins estimates with truth on purpose (docs/design.md):
a track's `truth_id` is the majority `truth_id` of the detections behind its
updates (-1 if none, or if false alarms are the majority).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def track_truth_ids(
    track_id: NDArray[np.int64], det_index: NDArray[np.int64], det_truth_id: NDArray[np.int64]
) -> dict[int, int]:
    """Majority truth id per track, from the update rows' detection indices (-1 = no detection)."""
    used = det_index >= 0
    if not used.any():
        return {int(t): -1 for t in np.unique(track_id)}
    pairs = np.column_stack([track_id[used], det_truth_id[det_index[used]]])
    uniq, counts = np.unique(pairs, axis=0, return_counts=True)
    # Largest count per track; ties go to the lower truth id (deterministic).
    order = np.lexsort((uniq[:, 1], -counts, uniq[:, 0]))
    uniq = uniq[order]
    first = np.unique(uniq[:, 0], return_index=True)[1]
    out = {int(t): -1 for t in np.unique(track_id)}
    out.update({int(t): int(o) for t, o in uniq[first]})
    return out
