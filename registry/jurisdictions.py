"""Jurisdictions for data residency: ISO 3166-1 alpha-2 country codes and the blocs EU
and EEA, with containment (a region in IE is in the EU; the EU is in the EEA).

Plain data and functions: models, forms, the API and the resilience rules read the
vocabulary from here.
"""

from __future__ import annotations

# ISO 3166-1 alpha-2, officially assigned codes.
COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
    BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL
    GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD
    SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
    TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905
)

EU: frozenset[str] = frozenset(
    """
    AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
    """.split()  # noqa: SIM905
)
EEA: frozenset[str] = EU | {"IS", "LI", "NO"}

#: Each bloc and the countries in it.
BLOCS: dict[str, frozenset[str]] = {"EU": EU, "EEA": EEA}

#: Every jurisdiction a residency constraint may name: the blocs first, then countries.
JURISDICTIONS: tuple[str, ...] = (*BLOCS, *sorted(COUNTRIES))

#: Free-text spellings that mean one jurisdiction without doubt (upper case).
#: "Europe" is not one of them: it could mean the EU, the EEA or the continent.
SPELLINGS: dict[str, str] = {
    "UK": "GB",
    "EUROPEAN UNION": "EU",
    "EUROPEAN ECONOMIC AREA": "EEA",
    "USA": "US",
    "UNITED STATES": "US",
    "UNITED KINGDOM": "GB",
}


def country_of(value: str) -> str | None:
    """The country code a free-text value means without doubt, or None."""
    code = SPELLINGS.get(value.strip().upper(), value.strip().upper())
    return code if code in COUNTRIES else None


def jurisdiction_of(value: str) -> str | None:
    """The jurisdiction (country or bloc) a free-text value means without doubt, or None."""
    code = SPELLINGS.get(value.strip().upper(), value.strip().upper())
    return code if code in COUNTRIES or code in BLOCS else None


def within(inner: str, outer: str) -> bool:
    """Whether jurisdiction `inner` (a country or a bloc) lies inside `outer`."""
    if inner == outer:
        return True
    members = BLOCS.get(outer)
    if members is None:
        return False
    if inner in BLOCS:
        return members.issuperset(BLOCS[inner])
    return inner in members


def jurisdictions_of(country: str) -> list[str]:
    """The jurisdictions a place in `country` lies in: the country and its blocs."""
    if not country:
        return []
    return [country, *(bloc for bloc, members in BLOCS.items() if country in members)]


def unknown_message(value: str) -> str:
    return (
        f"“{value}” is not a jurisdiction. Use an ISO 3166-1 alpha-2 country code or a bloc: "
        + ", ".join(JURISDICTIONS)
        + "."
    )
