"""Keep the garbage collector off a worker's long-lived heap.

A worker holds ~350,000 long-lived objects (the libraries it imported, the models). A full
collection walks every one of them and stops the worker for ~200 ms; under load one came every
few hundred requests and made the p99 of scores and limit checks. Freezing what exists once the
models are in place (:func:`gc.freeze`) leaves the collector only the objects requests create.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Collect, then move every surviving object out of the collector's reach.

    Unfreezing first returns the previous freeze to the collector, so the cycles of models a
    reload replaced are freed rather than kept for the life of the worker."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
