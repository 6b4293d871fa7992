"""The data edge: ledger schema, validated ingest, SQL storage and the synthetic ledger."""
