"""The pure validation step, as the API's bulk upsert uses it: frames in, no files,
no database; and the code tables it checks against."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ledger.frames import Ledger
from ledger.ingest import IngestError, validate_frames
from ledger.validate import COUNTRY_CODES

# ---------------------------------------------------------------------------------------------
# The pure part, as the API's bulk upsert will use it


def test_validate_frames_checks_json_like_rows_without_files():
    rows = pd.DataFrame(
        [
            {
                "invoice_id": 17,
                "customer_id": "C1",
                "invoice_date": "2024-01-10",
                "due_date": "2024-02-09",
                "amount": 120.5,
                "disputed": True,
            },
            {
                "invoice_id": 18,
                "customer_id": "C1",
                "invoice_date": "2024-01-10",
                "due_date": "2024-01-09",
                "amount": 1,
                "disputed": None,
            },
        ],
        index=[1, 2],
    )

    with pytest.raises(IngestError) as caught:
        validate_frames({"invoices": rows}, Ledger.empty(), file_names={"invoices": "request"})
    assert [str(i) for i in caught.value.issues] == [
        "request, row 2, column due_date: due_date 2024-01-09 is before invoice_date 2024-01-10"
    ]

    notes: list[str] = []
    frames = validate_frames({"invoices": rows.iloc[:1]}, Ledger.empty(), notes=notes)
    assert frames["invoices"]["invoice_id"].tolist() == ["17"]
    assert frames["invoices"]["dispute_date"].tolist() == [pd.Timestamp("2024-02-09")]
    assert frames["customers"]["customer_id"].tolist() == ["C1"]
    assert str(frames["invoices"]["invoice_date"].dtype) == "datetime64[ns]"


def test_typed_dates_are_range_checked_like_text_dates():
    rows = pd.DataFrame(
        {
            "invoice_id": ["A", "B"],
            "customer_id": ["C1", "C1"],
            "invoice_date": [date(224, 2, 1), date(2024, 2, 1)],
            "due_date": [date(2024, 3, 1), None],
            "amount": [10.0, 20.0],
        },
        index=[1, 2],
    )

    with pytest.raises(IngestError) as caught:
        validate_frames({"invoices": rows}, Ledger.empty())

    assert [(i.row, i.column, i.value, i.reason) for i in caught.value.issues] == [
        (
            1,
            "invoice_date",
            "0224-02-01",
            "invoice_date 0224-02-01 is outside 1900–2100; probably a typo",
        ),
        (2, "due_date", None, "due_date is empty; it is required"),
    ]


def test_country_list_holds_every_iso_3166_alpha2_code():
    assert len(COUNTRY_CODES - {"XK"}) == 249
    assert {"DE", "GB", "US", "CN", "SS", "BQ"} <= COUNTRY_CODES
    assert "UK" not in COUNTRY_CODES
