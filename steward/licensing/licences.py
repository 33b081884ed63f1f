"""The predefined licences that MDC clients know by abbreviation (SPDX ids where one exists).

Any other abbreviation is a custom licence: the dataset then names it and may link to it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    abbreviation: str
    name: str
    url: str


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
        ),
        Licence(
            "CC-BY-NC-4.0",
            "Creative Commons Attribution-NonCommercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/",
        ),
        Licence(
            "CC-BY-NC-SA-4.0",
            "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        ),
        Licence(
            "CC-BY-SA-4.0",
            "Creative Commons Attribution-ShareAlike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/",
        ),
        Licence(
            "CC-SA-1.0",
            "Creative Commons ShareAlike 1.0",
            "https://creativecommons.org/licenses/sa/1.0/",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
        Licence("EUPL-1.2", "European Union Public Licence 1.2", "https://eupl.eu/1.2/en/"),
        Licence(
            "AGPL-3.0",
            "GNU Affero General Public License v3.0",
            "https://www.gnu.org/licenses/agpl-3.0.html",
        ),
        Licence(
            "GFDL-1.3",
            "GNU Free Documentation License v1.3",
            "https://www.gnu.org/licenses/fdl-1.3.html",
        ),
        Licence(
            "GPL-3.0",
            "GNU General Public License v3.0",
            "https://www.gnu.org/licenses/gpl-3.0.html",
        ),
        Licence(
            "LGPLLR",
            "Lesser General Public License For Linguistic Resources",
            "https://www-igm.univ-mlv.fr/~unitex/lgpllr.html",
        ),
        Licence("MIT", "MIT License", "https://opensource.org/license/mit"),
        Licence("MPL-2.0", "Mozilla Public License 2.0", "https://www.mozilla.org/en-US/MPL/2.0/"),
        Licence(
            "NLOD-2.0",
            "Norwegian Licence for Open Government Data 2.0",
            "https://data.norge.no/nlod/en/2.0",
        ),
        Licence(
            "NOODL-1.0",
            "Nwulite Obodo Open Data License 1.0",
            "https://licensingafricandatasets.com/nwulite-obodo-license",
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
        Licence("OPUBL-1.0", "Open Publication License v1.0", "https://opencontent.org/openpub/"),
        Licence(
            "OGDL-Taiwan-1.0",
            "Taiwan Open Government Data License, version 1.0",
            "https://data.gov.tw/license",
        ),
        Licence("Unlicense", "The Unlicense", "https://unlicense.org/"),
    ]
}


def licence_name(abbreviation: str, custom_name: str = "") -> str:
    """The licence's full name: the predefined one, else what the dataset gave."""
    known = PREDEFINED.get(abbreviation)
    return known.name if known else (custom_name or abbreviation)
