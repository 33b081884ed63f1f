"""The predefined licences that MDC clients know by abbreviation (SPDX ids where one exists),
with the machine-readable facts the usage-policy engine needs.

Any other abbreviation is a custom licence: the dataset then names it and may link to it, and
its facts default to "attribution required, everything else allowed" unless the dataset says
otherwise (`terms_for(..., facts=...)`).

The facts are deliberately coarse: `share_alike` means that what you share or derive must stay
under the same licence (the copyleft licences too, MPL-2.0 file by file); `commercial_use` and
`derivatives` say whether the licence allows them at all. The engine refuses commercial use
when the licence does not allow it; the other facts are shown to the user.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .engine import Audience, LicenceTerms, OrganizationType, Outcome, Purpose, Rule
from .i18n import gettext_noop

# Nwulite Obodo Open Data License 1.0: free and open to users in Africa; commercial users
# elsewhere must first agree compensation (a royalty or other benefit) with the licensor.
NOODL_RULES: tuple[Rule, ...] = (
    Rule(
        audience=Audience(
            places=frozenset({"AFRICA"}),
            outside_places=True,
            organization_types=frozenset({OrganizationType.COMPANY}),
            purposes=frozenset({Purpose.COMMERCIAL}),
        ),
        reason=gettext_noop(
            "Companies outside Africa that use the data commercially must first agree"
            " compensation with the licensor."
        ),
        source="NOODL-1.0",
        effect=Outcome.NEEDS_APPROVAL,
    ),
)


@dataclass(frozen=True)
class Licence:
    abbreviation: str
    name: str
    url: str
    attribution: bool = True
    share_alike: bool = False
    commercial_use: bool = True
    derivatives: bool = True
    rules: tuple[Rule, ...] = ()

    @property
    def terms(self) -> LicenceTerms:
        return LicenceTerms(
            identifier=self.abbreviation,
            name=self.name,
            attribution=self.attribution,
            share_alike=self.share_alike,
            commercial_use=self.commercial_use,
            derivatives=self.derivatives,
            rules=self.rules,
        )


PREDEFINED: dict[str, Licence] = {
    lic.abbreviation: lic
    for lic in [
        Licence("Apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
        Licence(
            "BSD-3-Clause",
            'BSD 3-Clause "New" or "Revised" License',
            "https://opensource.org/license/bsd-3-clause",
        ),
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/",
        ),
        Licence(
            "CC-BY-ND-4.0",
            "Creative Commons Attribution-NoDerivatives 4.0 International",
            "https://creativecommons.org/licenses/by-nd/4.0/",
            derivatives=False,
        ),
        Licence(
            "CC-BY-NC-4.0",
            "Creative Commons Attribution-NonCommercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/",
            commercial_use=False,
        ),
        Licence(
            "CC-BY-NC-SA-4.0",
            "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/",
            share_alike=True,
            commercial_use=False,
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            share_alike=True,
        ),
        # ShareAlike 1.0 had no attribution clause (CC dropped the licence in 2004).
        Licence(
            "CC-SA-1.0",
            "Creative Commons ShareAlike 1.0",
            "https://creativecommons.org/licenses/sa/1.0/",
            attribution=False,
            share_alike=True,
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            attribution=False,
        ),
        Licence(
            "EUPL-1.2",
            "European Union Public Licence 1.2",
            "https://eupl.eu/1.2/en/",
            share_alike=True,
        ),
        Licence(
            "AGPL-3.0",
            "GNU Affero General Public License v3.0",
            "https://www.gnu.org/licenses/agpl-3.0.html",
            share_alike=True,
        ),
        Licence(
            "GFDL-1.3",
            "GNU Free Documentation License v1.3",
            "https://www.gnu.org/licenses/fdl-1.3.html",
            share_alike=True,
        ),
        Licence(
            "GPL-3.0",
            "GNU General Public License v3.0",
            "https://www.gnu.org/licenses/gpl-3.0.html",
            share_alike=True,
        ),
        Licence(
            "LGPLLR",
            "Lesser General Public License For Linguistic Resources",
            "https://www-igm.univ-mlv.fr/~unitex/lgpllr.html",
            share_alike=True,
        ),
        Licence("MIT", "MIT License", "https://opensource.org/license/mit"),
        Licence(
            "MPL-2.0",
            "Mozilla Public License 2.0",
            "https://www.mozilla.org/en-US/MPL/2.0/",
            share_alike=True,
        ),
        Licence(
            "NLOD-2.0",
            "Norwegian Licence for Open Government Data 2.0",
            "https://data.norge.no/nlod/en/2.0",
        ),
        Licence(
            "NOODL-1.0",
            "Nwulite Obodo Open Data License 1.0",
            "https://licensingafricandatasets.com/nwulite-obodo-license",
            rules=NOODL_RULES,
        ),
        Licence(
            "ODC-By-1.0",
            "Open Data Commons Attribution License v1.0",
            "https://opendatacommons.org/licenses/by/1-0/",
        ),
        Licence(
            "ODbL-1.0",
            "Open Data Commons Open Database License v1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
            share_alike=True,
        ),
        Licence(
            "OGL-Canada-2.0",
            "Open Government Licence - Canada 2.0",
            "https://open.canada.ca/en/open-government-licence-canada",
        ),
        Licence(
            "OGL-UK-3.0",
            "Open Government Licence v3.0",
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        ),
        # Without its license options (which a custom licence can express), the OPL allows
        # modified versions and commercial distribution.
        Licence("OPUBL-1.0", "Open Publication License v1.0", "https://opencontent.org/openpub/"),
        Licence(
            "OGDL-Taiwan-1.0",
            "Taiwan Open Government Data License, version 1.0",
            "https://data.gov.tw/license",
        ),
        Licence("Unlicense", "The Unlicense", "https://unlicense.org/", attribution=False),
    ]
}

_PREDEFINED_TERMS: dict[str, LicenceTerms] = {key: lic.terms for key, lic in PREDEFINED.items()}

# The facts a custom licence may state.
FACTS = ("attribution", "share_alike", "commercial_use", "derivatives")


def licence_name(abbreviation: str, custom_name: str = "") -> str:
    """The licence's full name: the predefined one, else what the dataset gave."""
    known = PREDEFINED.get(abbreviation)
    return known.name if known else (custom_name or abbreviation)


def terms_for(
    abbreviation: str, *, custom_name: str = "", facts: Mapping[str, bool] | None = None
) -> LicenceTerms:
    """The engine's view of a licence.

    A predefined licence has fixed facts and `facts` is ignored. A custom one requires
    attribution and allows commercial use and derivatives, unless `facts` (keys from `FACTS`)
    say otherwise.
    """
    known = _PREDEFINED_TERMS.get(abbreviation)
    if known is not None:
        return known
    terms = LicenceTerms(identifier=abbreviation, name=custom_name or abbreviation)
    if facts:
        unknown = set(facts) - set(FACTS)
        if unknown:
            raise ValueError(f"unknown licence facts: {', '.join(sorted(unknown))}")
        terms = replace(terms, **{key: bool(value) for key, value in facts.items()})
    return terms
