"""The protocol sections of a ClinicalTrials.gov API v2 study that a user queries, as triples.

Eligibility, sites and officials, the sponsors' classes and the responsible party, the
design's purpose and masking, whether each date is actual, the detailed description and
keywords, oversight, typed references and links, NCT id aliases. ``ctgov.py`` maps the
study's identity, arms, interventions and outcomes and calls :class:`ProtocolMapper` for
these; docs/importing.md has the field-by-field table.

The registry's codes (``INDUSTRY``, ``OUTCOMES_ASSESSOR``, ...) are read from the concept
schemes' ``skos:notation`` (``ontology/vocab/ctgov-*.ttl``): the schemes are the one list of
codes and concepts, so a code added there is mapped without a change here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import XSD, Graph, Literal, URIRef

from evidencegraph.ingest.identifiers import (
    article_iri,
    concept_iri,
    normalise_doi,
    normalise_nct,
    normalise_pmid,
)
from evidencegraph.ingest.json_values import get as _get
from evidencegraph.ingest.json_values import get_list as _list
from evidencegraph.ingest.mapping import (
    EG,
    EGV,
    RDF,
    RDFS,
    SKOS,
    TripleSink,
    date_literal,
    decimal_literal,
)
from evidencegraph.ontology.namespace import vocabulary_files

#: Registry age units -> years in one unit (a year of 365.25 days, as the registry's own
#: age groups count them).
AGE_UNITS: dict[str, Decimal] = {
    "year": Decimal(1),
    "month": Decimal(1) / Decimal(12),
    "week": Decimal(7) / Decimal("365.25"),
    "day": Decimal(1) / Decimal("365.25"),
    "hour": Decimal(1) / (Decimal(24) * Decimal("365.25")),
    "minute": Decimal(1) / (Decimal(1440) * Decimal("365.25")),
}
_AGE = re.compile(r"^\s*(\d{1,4}(?:\.\d{1,4})?)\s*([A-Za-z]+?)s?\s*$")
#: Years are kept to four places: a minute is 0.0000019 years, so an age in minutes rounds to
#: 0 only below 3 minutes, and no two ages the registry tells apart collapse.
_YEAR_PLACES = Decimal("0.0001")

#: statusModule dates (ctgov.py maps the date itself) -> the property of whether it is actual.
DATE_KINDS = (
    ("startDateStruct", EG.startDateActual),
    ("primaryCompletionDateStruct", EG.primaryCompletionDateActual),
    ("completionDateStruct", EG.completionDateActual),
)
#: referencesModule reference types -> the registry record's link to the article.
REFERENCE_LINKS = {
    "BACKGROUND": EG.backgroundReference,
    "RESULT": EG.resultReference,
    "DERIVED": EG.derivedReference,
}


@functools.cache
def _registry_schemes() -> Graph:
    """The packaged concept schemes of the registry's codes (``vocab/ctgov-*.ttl``), parsed once."""
    graph = Graph()
    for file in vocabulary_files():
        if file.name.startswith("ctgov-"):
            graph.parse(data=file.read_text(encoding="utf-8"), format="turtle")
    return graph


@functools.cache
def registry_codes(scheme: str) -> Mapping[str, URIRef]:
    """The registry's codes of one packaged concept scheme (``egv:AgencyClassScheme``) -> its
    concepts, from their ``skos:notation``."""
    graph = _registry_schemes()
    return {
        str(notation): concept
        for concept in graph.subjects(SKOS.inScheme, EGV[scheme])
        if isinstance(concept, URIRef)
        for notation in graph.objects(concept, SKOS.notation)
    }


def age_in_years(text: str) -> Decimal | None:
    """``18 Years`` -> 18, ``6 Months`` -> 0.5, ``2 Weeks`` -> 0.0383; None for other text."""
    found = _AGE.match(text)
    if found is None:
        return None
    per_unit = AGE_UNITS.get(found.group(2).lower())
    if per_unit is None:
        return None
    try:
        years = Decimal(found.group(1)) * per_unit
    except InvalidOperation:
        return None
    return years.quantize(_YEAR_PLACES).normalize() if years else Decimal(0)


def _decimal(value: object) -> Decimal | None:
    """A coordinate: a JSON number (the shape lets nothing else through), finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = Decimal(str(value))
    return number if number.is_finite() else None


class ProtocolMapper:
    """Maps the protocol sections listed in the module's docstring into ``out``.

    ``at`` mints a node under the study (``study/NCT…/ctgov/site/1``); ``status_codes`` is
    the overall status table, which the sites' statuses and the last known status share.
    """

    def __init__(
        self,
        out: TripleSink,
        study: URIRef,
        record: URIRef,
        protocol: dict[str, Any],
        at: Callable[..., URIRef],
        status_codes: Mapping[str, URIRef | None],
    ):
        self.out, self.study, self.record, self.protocol = out, study, record, protocol
        self.at, self.status_codes = at, status_codes
        #: the people this record names, by their name as written
        self.people: dict[str, URIRef] = {}

    def map(self) -> None:
        self._aliases()
        self._status()
        self._description()
        self._eligibility()
        self._locations()
        self._officials()
        self._sponsors()
        self._design()
        self._oversight()
        self._references()

    def _code(
        self, subject: URIRef, predicate: URIRef, field: str, code: object, scheme: str
    ) -> None:
        if isinstance(code, str) and code.strip():
            self.out.code(subject, predicate, field, code.strip(), registry_codes(scheme))

    def _boolean(self, predicate: URIRef, value: object) -> None:
        if isinstance(value, bool):
            self.out.add(self.study, predicate, Literal(value))

    # -- identification, status, description

    def _aliases(self) -> None:
        for alias in _list(self.protocol, "identificationModule", "nctIdAliases"):
            nct = normalise_nct(alias) if isinstance(alias, str) else None
            if nct is not None:
                self.out.text(self.study, EG.nctIdAlias, nct)
            elif isinstance(alias, str) and alias.strip():
                self.out.warn(f"NCT id alias {alias!r} is not NCT and eight digits: left out")

    def _status(self) -> None:
        module = self.protocol.get("statusModule") or {}
        for key, actual_property in DATE_KINDS:
            kind = _get(module, key, "type")
            # only beside a date the study holds: "actual" of no date says nothing
            if date_literal(_get(module, key, "date")) is None or not isinstance(kind, str):
                continue
            if kind in ("ACTUAL", "ESTIMATED", "ANTICIPATED"):
                self.out.add(self.study, actual_property, Literal(kind == "ACTUAL"))
            else:
                self.out.unmapped(self.study, f"statusModule.{key}.type", kind)
        self.out.text(self.study, EG.whyStopped, module.get("whyStopped"))
        last_known = module.get("lastKnownStatus")
        if isinstance(last_known, str) and last_known:
            self.out.code(
                self.study,
                EG.lastKnownStatus,
                "statusModule.lastKnownStatus",
                last_known,
                self.status_codes,
            )
        self.out.add_optional(
            self.study, EG.statusVerifiedDate, date_literal(module.get("statusVerifiedDate"))
        )

    def _description(self) -> None:
        self.out.text(
            self.study,
            EG.detailedDescription,
            _get(self.protocol, "descriptionModule", "detailedDescription"),
        )
        for keyword in _list(self.protocol, "conditionsModule", "keywords"):
            self.out.text(self.study, EG.keyword, keyword)

    # -- eligibility

    def _eligibility(self) -> None:
        out, study = self.out, self.study
        module = self.protocol.get("eligibilityModule") or {}
        out.text(study, EG.eligibilityCriteria, module.get("eligibilityCriteria"))
        self._code(study, EG.eligibleSex, "eligibilityModule.sex", module.get("sex"), "SexScheme")
        self._boolean(EG.healthyVolunteers, module.get("healthyVolunteers"))
        for key, text_property, years_property in (
            ("minimumAge", EG.minimumAge, EG.minimumAgeYears),
            ("maximumAge", EG.maximumAge, EG.maximumAgeYears),
        ):
            text = module.get(key)
            if not isinstance(text, str) or not text.strip():
                continue
            out.text(study, text_property, text)
            years = age_in_years(text)
            if years is None:
                out.warn(
                    f"eligibilityModule.{key} {text!r} is no age in years, months, weeks, days, "
                    "hours or minutes: kept as text only"
                )
            else:
                out.add(study, years_property, Literal(years, datatype=XSD.decimal))
        for group in _list(module, "stdAges"):
            self._code(study, EG.ageGroup, "eligibilityModule.stdAges", group, "AgeGroupScheme")

    # -- sites and officials

    def _locations(self) -> None:
        out = self.out
        for number, location in enumerate(
            _list(self.protocol, "contactsLocationsModule", "locations"), start=1
        ):
            place = [location.get(k) for k in ("city", "state", "country")]
            label = location.get("facility") or ", ".join(p for p in place if p)
            if not isinstance(label, str) or not label.strip():
                out.warn(f"location {number} names no facility, city or country: left out")
                continue
            # numbered within the record: a facility's name is no identity (many are
            # "Research Site"), and a site's status belongs to this study
            site = self.at("site", str(number))
            out.add(self.study, EG.location, site)
            out.add(site, RDF.type, EG.StudySite)
            out.text(site, RDFS.label, label)
            out.text(site, EG.facility, location.get("facility"))
            for key, predicate in (
                ("city", EG.city),
                ("state", EG.state),
                ("zip", EG.postalCode),
                ("country", EG.country),
            ):
                out.text(site, predicate, location.get(key))
            status = location.get("status")
            if isinstance(status, str) and status:
                out.code(site, EG.siteStatus, "locations.status", status, self.status_codes)
            latitude = _decimal(_get(location, "geoPoint", "lat"))
            longitude = _decimal(_get(location, "geoPoint", "lon"))
            if latitude is not None and longitude is not None:
                if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                    out.add(site, EG.latitude, decimal_literal(latitude))
                    out.add(site, EG.longitude, decimal_literal(longitude))
                else:
                    out.warn(
                        f"location {number}: geoPoint {latitude}, {longitude} is off the globe: "
                        "left out"
                    )

    def _officials(self) -> None:
        out = self.out
        for number, official in enumerate(
            _list(self.protocol, "contactsLocationsModule", "overallOfficials"), start=1
        ):
            name = official.get("name")
            if not isinstance(name, str) or not name.strip():
                continue
            # a person as this record names them: no identity across records is claimed
            person = self.person("official", str(number), name, official.get("affiliation"))
            out.add(self.study, EG.overallOfficial, person)
            role = official.get("role")
            self._code(person, EG.officialRole, "overallOfficials.role", role, "OfficialRoleScheme")
            if role == "PRINCIPAL_INVESTIGATOR":
                out.add(self.study, EG.investigator, person)

    def person(self, kind: str, number: str, name: str, affiliation: object) -> URIRef:
        """A person named by this record, minted under the study (``…/ctgov/official/1``).

        One name written alike twice in the record (an official who is also the responsible
        party) is one node; across records nothing is merged.
        """
        node = self.people.get(name.strip())
        if node is None:
            node = self.at(kind, number) if number else self.at(kind)
            self.people[name.strip()] = node
        self.out.add(node, RDF.type, EG.Person)
        self.out.text(node, RDFS.label, name)
        self.out.text(node, EG.affiliationText, affiliation)
        return node

    # -- sponsors, design, oversight

    def _sponsors(self) -> None:
        module = self.protocol.get("sponsorCollaboratorsModule") or {}
        lead = module.get("leadSponsor") or {}
        for party in [lead, *_list(module, "collaborators")]:
            name = party.get("name")
            if isinstance(name, str) and name.strip():
                # the node ctgov.py's organisation() mints for the same name
                self._code(
                    concept_iri("org", name),
                    EG.agencyClass,
                    "sponsorCollaboratorsModule.class",
                    party.get("class"),
                    "AgencyClassScheme",
                )
        responsible = module.get("responsibleParty") or {}
        kind = responsible.get("type")
        self._code(
            self.study,
            EG.responsiblePartyType,
            "responsibleParty.type",
            kind,
            "ResponsiblePartyTypeScheme",
        )
        name = responsible.get("investigatorFullName")
        lead_name = lead.get("name")
        if isinstance(name, str) and name.strip():
            person = self.person(
                "responsible-party", "", name, responsible.get("investigatorAffiliation")
            )
            self.out.text(person, EG.positionTitle, responsible.get("investigatorTitle"))
            self.out.add(self.study, EG.responsibleParty, person)
        elif kind == "SPONSOR" and isinstance(lead_name, str) and lead_name.strip():
            self.out.add(self.study, EG.responsibleParty, concept_iri("org", lead_name))

    def _design(self) -> None:
        study = self.study
        info = _get(self.protocol, "designModule", "designInfo") or {}
        self._code(
            study,
            EG.primaryPurpose,
            "designInfo.primaryPurpose",
            info.get("primaryPurpose"),
            "PrimaryPurposeScheme",
        )
        for role in _list(info, "maskingInfo", "whoMasked"):
            self._code(study, EG.maskedRole, "maskingInfo.whoMasked", role, "MaskedRoleScheme")
        self._code(
            study,
            EG.observationalModel,
            "designInfo.observationalModel",
            info.get("observationalModel"),
            "ObservationalModelScheme",
        )
        self._code(
            study,
            EG.timePerspective,
            "designInfo.timePerspective",
            info.get("timePerspective"),
            "TimePerspectiveScheme",
        )

    def _oversight(self) -> None:
        module = self.protocol.get("oversightModule") or {}
        self._boolean(EG.fdaRegulatedDrug, module.get("isFdaRegulatedDrug"))
        self._boolean(EG.fdaRegulatedDevice, module.get("isFdaRegulatedDevice"))
        self._boolean(EG.dataMonitoringCommittee, module.get("oversightHasDmc"))

    # -- references and links

    def _references(self) -> None:
        module = self.protocol.get("referencesModule") or {}
        for reference in _list(module, "references"):
            pmid = normalise_pmid(str(reference.get("pmid") or ""))
            doi = normalise_doi(str(reference.get("doi") or ""))
            kind = reference.get("type")
            link = REFERENCE_LINKS.get(kind) if isinstance(kind, str) else None
            if not (pmid or doi):
                continue  # ctgov.py keeps only the references it can name (a PMID or a DOI)
            if link is None:
                if kind is not None:
                    self.out.unmapped(self.record, "references.type", kind)
                continue
            # the article node ctgov.py mints for the same reference
            self.out.add(self.record, link, article_iri(pmid, doi))
        for number, see_also in enumerate(_list(module, "seeAlsoLinks"), start=1):
            url = see_also.get("url")
            if not isinstance(url, str) or not url.strip():
                continue
            node = self.at("link", str(number))
            self.out.add(self.record, EG.seeAlsoLink, node)
            self.out.add(node, RDF.type, EG.WebLink)
            self.out.text(node, RDFS.label, see_also.get("label") or url)
            self.out.add(node, EG.linkUrl, Literal(url.strip(), datatype=XSD.anyURI))
