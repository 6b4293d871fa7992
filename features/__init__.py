"""Pure point-in-time payment-behaviour features, aging and credit rules (no I/O)."""
