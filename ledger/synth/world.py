"""The fixed "world" of the synthetic ledger: industries, countries, name parts and the invoicing
calendar. Kept apart from the mechanics so the numbers that shape the data sit in one place.

Effects are on the latent risk scale ``z`` (higher = worse; one unit multiplies the monthly
default hazard by about e).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Industry:
    label: str
    share: float
    risk: float  # added to the latent risk z
    words: tuple[str, ...]  # second word of customer names in this industry


INDUSTRIES: tuple[Industry, ...] = (
    Industry("Construction", 0.12, 0.55, ("Bau", "Construct", "Building", "Structures", "Infra")),
    Industry("Hospitality", 0.06, 0.50, ("Hotels", "Catering", "Hospitality", "Dining")),
    Industry("Retail", 0.12, 0.25, ("Retail", "Stores", "Market", "Shops")),
    Industry("Transport & logistics", 0.10, 0.20, ("Logistics", "Freight", "Transport", "Cargo")),
    Industry("Agriculture", 0.05, 0.10, ("Agri", "Farms", "Harvest", "Seeds")),
    Industry("Wholesale", 0.14, 0.05, ("Trading", "Wholesale", "Supply", "Distribution")),
    Industry("Manufacturing", 0.18, 0.00, ("Industries", "Metal", "Plastics", "Components")),
    Industry("Professional services", 0.10, -0.20, ("Consulting", "Partners", "Advisory")),
    Industry("IT services", 0.07, -0.35, ("Systems", "Software", "Digital", "Data")),
    Industry("Healthcare", 0.06, -0.45, ("Medical", "Care", "Health", "Clinics")),
)


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    share: float
    risk: float
    legal_forms: tuple[str, ...]


COUNTRIES: tuple[Country, ...] = (
    Country("DE", 0.24, -0.15, ("GmbH", "AG", "GmbH & Co. KG")),
    Country("FR", 0.14, 0.05, ("SAS", "SARL")),
    Country("NL", 0.09, -0.20, ("B.V.",)),
    Country("BE", 0.06, 0.00, ("BV", "NV")),
    Country("AT", 0.05, -0.15, ("GmbH",)),
    Country("IT", 0.10, 0.30, ("S.r.l.", "S.p.A.")),
    Country("ES", 0.09, 0.25, ("S.L.", "S.A.")),
    Country("PL", 0.07, 0.15, ("Sp. z o.o.",)),
    Country("SE", 0.04, -0.25, ("AB",)),
    Country("DK", 0.03, -0.25, ("ApS", "A/S")),
    Country("PT", 0.04, 0.30, ("Lda",)),
    Country("GR", 0.05, 0.50, ("A.E.",)),
)

NAME_WORDS: tuple[str, ...] = (
    "Alpen", "Atlas", "Aurora", "Baltic", "Cedar", "Cobalt", "Crown", "Danube", "Delta", "Falcon",
    "Granite", "Harbor", "Helios", "Iberia", "Linden", "Meridian", "Nordic", "Nova", "Oak",
    "Orion", "Pioneer", "Polaris", "Rhein", "Silver", "Summit", "Union", "Vega", "Vista",
    "Zenith", "Adria", "Apex", "Beacon", "Castle", "Echo", "Emerald", "Fjord", "Globe", "Hansa",
    "Horizon", "Keystone", "Lakeside", "Lumen", "Mosel", "North Star", "Olympia", "Pacific",
    "Quartz", "Riviera", "Sapphire", "Terra",
)  # fmt: skip

# Payment terms agreed per customer: (days, share, 2/10 net 30 early-payment discount).
STANDARD_TERMS: tuple[tuple[int, float, bool], ...] = (
    (30, 0.50, False),
    (45, 0.15, False),
    (60, 0.20, False),
    (30, 0.15, True),
)
# Terms of the odd invoice that does not follow the customer's standard terms.
NON_STANDARD_TERMS: tuple[int, ...] = (0, 7, 14, 21, 75, 90)

# Invoicing volume by calendar month (January first): year-end rush, summer holidays.
SEASONALITY: np.ndarray = np.array(
    [0.90, 0.95, 1.05, 1.00, 1.00, 1.00, 0.95, 0.75, 1.05, 1.10, 1.15, 1.10]
)
SEASONALITY = SEASONALITY / SEASONALITY.mean()
