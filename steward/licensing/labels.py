"""Local Contexts Traditional Knowledge (TK) and Biocultural (BC) Labels and Notices.

Communities apply Labels to say, in their own words, how material from them may be used
(https://localcontexts.org/labels/traditional-knowledge-labels/ , /biocultural-labels/);
Notices (https://localcontexts.org/notices/) are put up by researchers and institutions to
mark material in which communities have interests, before any Label is applied. A dataset's
policy carries each as a `Label`: which one, the community that applied it, and that
community's own text, shown as the community wrote it.

The table below names every Label and Notice Steward knows (the 20 TK Labels and 10 BC Labels
of the Local Contexts Hub, and its four Notices) and the rules each carries into the engine.
A Label is the community's statement, not a licence: Steward enforces only what it can check
about a request (its purpose and the requester's kind of organization), and reads each Label
conservatively, towards asking the community rather than assuming consent:

- TK / BC Non-Commercial: commercial use is refused.
- TK Community Use Only: "outside the community" is modelled as any requester who is not a
  member of the owning organization. Commercial use by anyone whose organization type is not
  `community` is refused; every other request needs the organization's approval (another
  community organization is not this community, so it asks too).
- BC Research Use: any purpose but research is refused.
- TK / BC Outreach: any purpose but education (educational outreach) is refused.
- TK Secret / Sacred, TK Culturally Sensitive, TK Women / Men Restricted, TK Women / Men
  General, TK Seasonal: every request needs the organization's approval. Steward cannot check
  a requester's gender, standing in the community or the season, so the community decides.
- TK / BC Multiple Communities: every request needs approval (the Labels say use depends on
  discussion with each of the communities).
- BC Open to Commercialization: commercial requests need approval (the community asks to be a
  party to any commercial negotiation).
- Every other Label (attribution, provenance, clan and family, verification, consent
  verification, creative, community voice, commercial, open to collaboration) and every
  Notice informs: it is shown with the terms and changes no decision.

Members of the owning organization are always allowed (engine.decide), so "everyone" in a
rule below means everyone outside it. A grant skips approval but never a refusal.

Pure: this module imports nothing, not even the engine (which imports it): a rule is written
here as a `LabelRule` in plain values and made an engine `Rule` by `engine.label_rules`.
"""

from dataclasses import dataclass
from enum import StrEnum

from .i18n import gettext_noop

TK_LABELS_URL = "https://localcontexts.org/labels/traditional-knowledge-labels/"
BC_LABELS_URL = "https://localcontexts.org/labels/biocultural-labels/"
NOTICES_URL = "https://localcontexts.org/notices/"

MAX_LABELS = 20
MAX_COMMUNITY = 200
MAX_LABEL_TEXT = 2000


class LabelKind(StrEnum):
    TK_LABEL = "tk_label"
    BC_LABEL = "bc_label"
    NOTICE = "notice"


KIND_NAMES = {
    LabelKind.TK_LABEL: "Traditional Knowledge Label",
    LabelKind.BC_LABEL: "Biocultural Label",
    LabelKind.NOTICE: "Local Contexts Notice",
}
KIND_URLS = {
    LabelKind.TK_LABEL: TK_LABELS_URL,
    LabelKind.BC_LABEL: BC_LABELS_URL,
    LabelKind.NOTICE: NOTICES_URL,
}

# The engine's words (engine.Purpose, engine.OrganizationType, engine.Outcome values).
DENIED = "denied"
NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True)
class LabelRule:
    """A rule a Label carries, in plain values: the requests it applies to (every request when
    all four sets are empty) and what they get. `except_*` names what is left out, so that a
    purpose or an organization type added later is covered rather than let through."""

    reason: str
    effect: str = DENIED  # or NEEDS_APPROVAL
    purposes: frozenset[str] = frozenset()
    except_purposes: frozenset[str] = frozenset()
    organization_types: frozenset[str] = frozenset()
    except_organization_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LabelType:
    id: str
    kind: LabelKind
    name: str
    code: str  # the short code Local Contexts prints on the Label ("TK NC"), for the badge
    description: str  # one line, in Steward's words
    rules: tuple[LabelRule, ...] = ()
    # What the rules mean for a requester, in one sentence ("" when it carries none).
    meaning: str = ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    @property
    def url(self) -> str:
        return KIND_URLS[self.kind]


@dataclass(frozen=True)
class Label:
    """A Label or Notice applied to a dataset: which one (an id of LABELS), the community that
    applied it, and that community's own text."""

    id: str
    community: str
    text: str = ""

    def __post_init__(self):
        if self.id not in LABELS:
            raise ValueError(f"unknown Local Contexts label {self.id!r}")

    @property
    def type(self) -> LabelType:
        return LABELS[self.id]


COMMERCIAL = frozenset({"commercial"})

_NOT_COMMERCIAL = LabelRule(
    reason=gettext_noop("The community does not allow commercial use."), purposes=COMMERCIAL
)
_ASK_FIRST = LabelRule(
    reason=gettext_noop("The community must approve every use outside it."), effect=NEEDS_APPROVAL
)
_OUTREACH_ONLY = LabelRule(
    reason=gettext_noop("The community allows only educational outreach (declare education)."),
    except_purposes=frozenset({"education"}),
)
_ASK_ALL_COMMUNITIES = LabelRule(
    reason=gettext_noop(
        "Several communities share responsibility for this material: they must approve each use."
    ),
    effect=NEEDS_APPROVAL,
)


def _label(label_id, kind, name, code, description, *rules, meaning=""):
    return LabelType(label_id, kind, name, code, description, tuple(rules), meaning)


TK, BC, NOTICE = LabelKind.TK_LABEL, LabelKind.BC_LABEL, LabelKind.NOTICE

_TABLE = (
    # Traditional Knowledge Labels: provenance.
    _label(
        "tk-attribution",
        TK,
        "TK Attribution",
        "TK A",
        gettext_noop("Names who should be credited for this material; credit them in any use."),
    ),
    _label(
        "tk-clan",
        TK,
        "TK Clan",
        "TK CL",
        gettext_noop("Says that a clan holds responsibility for this material and its use."),
    ),
    _label(
        "tk-family",
        TK,
        "TK Family",
        "TK F",
        gettext_noop("Says that a family holds responsibility for this material and its use."),
    ),
    _label(
        "tk-multiple-communities",
        TK,
        "TK Multiple Communities",
        "TK MC",
        gettext_noop("Says that several communities share custodianship of this material."),
        _ASK_ALL_COMMUNITIES,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-community-voice",
        TK,
        "TK Community Voice",
        "TK CV",
        gettext_noop("Marks the community's own account of this material, in its own words."),
    ),
    _label(
        "tk-creative",
        TK,
        "TK Creative",
        "TK CR",
        gettext_noop("Recognises the creative work of the community members behind this material."),
    ),
    # Traditional Knowledge Labels: protocols.
    _label(
        "tk-verified",
        TK,
        "TK Verified",
        "TK V",
        gettext_noop(
            "The community has checked how this material is presented and is satisfied with it."
        ),
    ),
    _label(
        "tk-non-verified",
        TK,
        "TK Non-Verified",
        "TK NV",
        gettext_noop("The community has concerns about how accurately this material is presented."),
    ),
    _label(
        "tk-seasonal",
        TK,
        "TK Seasonal",
        "TK S",
        gettext_noop(
            "This material is traditionally used or heard only at certain times of the year."
        ),
        _ASK_FIRST,
        meaning=gettext_noop(
            "Every request needs approval first: the community says when it may be used."
        ),
    ),
    _label(
        "tk-women-general",
        TK,
        "TK Women General",
        "TK WG",
        gettext_noop("This material is traditionally shared among women of the community."),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-men-general",
        TK,
        "TK Men General",
        "TK MG",
        gettext_noop("This material is traditionally shared among men of the community."),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-women-restricted",
        TK,
        "TK Women Restricted",
        "TK WR",
        gettext_noop("This material is restricted to particular women of the community."),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-men-restricted",
        TK,
        "TK Men Restricted",
        "TK MR",
        gettext_noop("This material is restricted to particular men of the community."),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-culturally-sensitive",
        TK,
        "TK Culturally Sensitive",
        "TK CS",
        gettext_noop("This material is culturally sensitive and calls for care in any use."),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "tk-secret-sacred",
        TK,
        "TK Secret / Sacred",
        "TK SS",
        gettext_noop(
            "This material holds secret or sacred knowledge, never meant to be freely available."
        ),
        _ASK_FIRST,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    # Traditional Knowledge Labels: permissions.
    _label(
        "tk-outreach",
        TK,
        "TK Outreach",
        "TK O",
        gettext_noop("The community shares this material for educational outreach."),
        _OUTREACH_ONLY,
        meaning=gettext_noop("Requests for any purpose but education are refused."),
    ),
    _label(
        "tk-non-commercial",
        TK,
        "TK Non-Commercial",
        "TK NC",
        gettext_noop("The community allows only non-commercial use of this material."),
        _NOT_COMMERCIAL,
        meaning=gettext_noop("Requests for commercial use are refused."),
    ),
    _label(
        "tk-commercial",
        TK,
        "TK Commercial",
        "TK C",
        gettext_noop("The community allows commercial use and asks for fair, reciprocal exchange."),
    ),
    _label(
        "tk-community-use-only",
        TK,
        "TK Community Use Only",
        "TK CO",
        gettext_noop("This material is meant to circulate within the community."),
        LabelRule(
            reason=gettext_noop("Commercial use outside the community is not allowed."),
            purposes=COMMERCIAL,
            except_organization_types=frozenset({"community"}),
        ),
        _ASK_FIRST,
        meaning=gettext_noop(
            "Every request needs approval first; commercial requests from organizations"
            " that are not community organizations are refused."
        ),
    ),
    _label(
        "tk-open-to-collaboration",
        TK,
        "TK Open to Collaboration",
        "TK CB",
        gettext_noop("The community welcomes research collaboration and partnership."),
    ),
    # Biocultural Labels: provenance.
    _label(
        "bc-provenance",
        BC,
        "BC Provenance",
        "BC P",
        gettext_noop(
            "Names the community this biocultural material comes from and its rights in it."
        ),
    ),
    _label(
        "bc-multiple-communities",
        BC,
        "BC Multiple Communities",
        "BC MC",
        gettext_noop("Says that several communities share responsibility for this material."),
        _ASK_ALL_COMMUNITIES,
        meaning=gettext_noop("Every request needs approval first."),
    ),
    _label(
        "bc-clan",
        BC,
        "BC Clan",
        "BC CL",
        gettext_noop("Says that a clan holds responsibility for this biocultural material."),
    ),
    # Biocultural Labels: protocols.
    _label(
        "bc-consent-verified",
        BC,
        "BC Consent Verified",
        "BC CV",
        gettext_noop("The community has consent conditions in place for use of this material."),
    ),
    _label(
        "bc-consent-non-verified",
        BC,
        "BC Consent Non-Verified",
        "BC CNV",
        gettext_noop("Consent for use of this material has not been verified with the community."),
    ),
    # Biocultural Labels: permissions.
    _label(
        "bc-research-use",
        BC,
        "BC Research Use",
        "BC R",
        gettext_noop("The community allows this material to be used for research."),
        LabelRule(
            reason=gettext_noop("The community allows only research use."),
            except_purposes=frozenset({"research"}),
        ),
        meaning=gettext_noop("Requests for any purpose but research are refused."),
    ),
    _label(
        "bc-non-commercial",
        BC,
        "BC Non-Commercial",
        "BC NC",
        gettext_noop("The community allows only non-commercial use of this material."),
        _NOT_COMMERCIAL,
        meaning=gettext_noop("Requests for commercial use are refused."),
    ),
    _label(
        "bc-outreach",
        BC,
        "BC Outreach",
        "BC O",
        gettext_noop("The community shares this material for educational outreach."),
        _OUTREACH_ONLY,
        meaning=gettext_noop("Requests for any purpose but education are refused."),
    ),
    _label(
        "bc-open-to-collaboration",
        BC,
        "BC Open to Collaboration",
        "BC CB",
        gettext_noop("The community welcomes research collaboration and partnership."),
    ),
    _label(
        "bc-open-to-commercialization",
        BC,
        "BC Open to Commercialization",
        "BC OC",
        gettext_noop(
            "The community is open to commercial use, negotiated with it as a primary party."
        ),
        LabelRule(
            reason=gettext_noop(
                "The community negotiates any commercial use: it must approve it first."
            ),
            effect=NEEDS_APPROVAL,
            purposes=COMMERCIAL,
        ),
        meaning=gettext_noop("Requests for commercial use need approval first."),
    ),
    # Notices.
    _label(
        "tk-notice",
        NOTICE,
        "TK Notice",
        "TK Notice",
        gettext_noop(
            "Traditional Knowledge in this material may carry community rights and protocols."
        ),
    ),
    _label(
        "bc-notice",
        NOTICE,
        "BC Notice",
        "BC Notice",
        gettext_noop("This material may carry community rights in biocultural knowledge and data."),
    ),
    _label(
        "attribution-incomplete-notice",
        NOTICE,
        "Attribution Incomplete Notice",
        "Attribution Incomplete",
        gettext_noop("The record of who this material comes from is incomplete or wrong."),
    ),
    _label(
        "open-to-collaborate-notice",
        NOTICE,
        "Open to Collaborate Notice",
        "Open to Collaborate",
        gettext_noop("The holder of this material welcomes collaboration with communities."),
    ),
)

# Every Label and Notice, by id, in the table's order.
LABELS: dict[str, LabelType] = {label.id: label for label in _TABLE}
