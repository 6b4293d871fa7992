"""Code tables the values are checked against: countries, currencies, and common mistypings.

Kept apart from the rules that use them because they are reference data (ISO 3166-1 and ISO
4217 as of their last review), updated on a different rhythm than the rules themselves.
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO 3166-1 alpha-2 (all 249 officially assigned codes) plus XK, the user-assigned code for
# Kosovo that banks and ERPs use in practice.
COUNTRY_CODES: frozenset[str] = _codes(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """
)
# Codes people type that are not ISO 3166-1 (UK is GB; the EU writes Greece as EL).
COUNTRY_HINTS: dict[str, str] = {"UK": "GB", "EL": "GR"}

# ISO 4217 currencies in circulation, plus codes withdrawn since 2014 that multi-year ledgers
# still contain (HRK, LTL, ANG…). Funds, precious metals and test codes are left out on purpose:
# nobody invoices trade credit in XAU.
CURRENCY_CODES: frozenset[str] = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VED VND VUV WST XAF XCD XCG XOF XPF YER
    ZAR ZMW ZWG
    BYR CUC HRK LTL LVL MRO SLL STD VEF ZWL
    """
)
