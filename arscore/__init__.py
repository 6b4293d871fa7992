"""arscore: credit risk scoring for B2B accounts receivable (composition root)."""

__version__ = "0.1.0"
