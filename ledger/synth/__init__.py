"""A realistic synthetic AR ledger with its ground truth, for demos, tests and benchmarks.

One package because the generator is one model split by concern, each module small enough to
read on its own:

* ``config``    what to generate (``SynthConfig``) and the day-number calendar it runs on
* ``world``     the fixed numbers that shape the data: industries, countries, names, terms
* ``customers`` who the customers are, their hidden risk and their onboarding file
* ``risk``      each customer's hidden credit story month by month, and the ground truth
* ``activity``  invoices, payments and orders driven by that story
* ``generator`` ``generate``: draws customers in chunks and numbers everything like an ERP
* ``io``        ``write``: the ledger and ``truth.csv`` as CSV or Parquet files

Callers need only what this module exports; the rest are the generator's internals.
"""

from __future__ import annotations

from ledger.synth.config import SynthConfig
from ledger.synth.generator import SynthResult, generate, write

__all__ = ["SynthConfig", "SynthResult", "generate", "write"]
