"""ClinicalTrials.gov API v2 study records -> RDF triples.

Reading: a single study file, a directory of them, an API page
(``{"studies": [...], "nextPageToken": ...}``) or the bulk-download ZIP of one
JSON file per study (members streamed, never unpacked to disk). The retired
"classic" API format is refused with a message saying what to export instead.

Mapping: :func:`map_study` turns one study into triples; it needs no store.
docs/importing.md has the field-by-field table.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import IO, Any

from rdflib import XSD, Graph, Literal, URIRef

from evidencegraph.ingest.ctgov_protocol import ProtocolMapper
from evidencegraph.ingest.ctgov_results import map_results
from evidencegraph.ingest.identifiers import (
    article_iri,
    concept_iri,
    normalise_doi,
    normalise_eudract,
    normalise_isrctn,
    normalise_nct,
    normalise_pmid,
    registry_record_iri,
    slug,
    study_iri,
)
from evidencegraph.ingest.json_shape import Check, ShapeError, compile_shape
from evidencegraph.ingest.json_values import get as _get
from evidencegraph.ingest.json_values import get_list as _list
from evidencegraph.ingest.mapping import (
    DCTERMS,
    EG,
    EGV,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD_DATE,
    Mapped,
    MappingError,
    TripleSink,
    date_literal,
)
from evidencegraph.ingest.mesh import (
    BrowseModule,
    MeshTerm,
    browse_module,
    is_descriptor,
    write_browse_module,
)
from evidencegraph.ingest.records import (
    MIB,
    Limits,
    Record,
    RecordError,
    iter_zip_members,
    read_json,
    size_text,
    too_large,
)
from evidencegraph.ingest.sources import RecordSource
from evidencegraph.ingest.vocabulary import Entry, normalise_name, vocabulary
from evidencegraph.ontology.namespace import vocabulary_files
from evidencegraph.ontology.source_graphs import SourceKind, record_graph

SUFFIXES = (".json", ".zip")
#: The largest real study record seen is about 0.5 MB (NCT04431453, with results), and Oxigraph
#: takes no text over 16 MiB in one N-Triples line; an API page
#: holds up to 1,000 studies. Each JSON document is parsed whole, so the member limit is what
#: bounds memory (about ten times the document).
DEFAULT_LIMITS = Limits(record=8 * MIB, member=256 * MIB)
#: Counted in the inputs to size the progress bar: once per record.
RECORD_MARKER = b'"protocolSection"'

STATUS = {
    "NOT_YET_RECRUITING": EGV.NotYetRecruiting,
    "RECRUITING": EGV.Recruiting,
    "ENROLLING_BY_INVITATION": EGV.EnrollingByInvitation,
    "ACTIVE_NOT_RECRUITING": EGV.ActiveNotRecruiting,
    "SUSPENDED": EGV.Suspended,
    "TERMINATED": EGV.Terminated,
    "COMPLETED": EGV.Completed,
    "WITHDRAWN": EGV.Withdrawn,
    "UNKNOWN": EGV.UnknownStatus,
    "WITHHELD": EGV.Withheld,
    "AVAILABLE": EGV.AvailableForExpandedAccess,
    "NO_LONGER_AVAILABLE": EGV.NoLongerAvailable,
    "TEMPORARILY_NOT_AVAILABLE": EGV.TemporarilyNotAvailable,
    "APPROVED_FOR_MARKETING": EGV.ApprovedForMarketing,
}
PHASES = {
    ("EARLY_PHASE1",): EGV.EarlyPhase1,
    ("PHASE1",): EGV.Phase1,
    ("PHASE2",): EGV.Phase2,
    ("PHASE3",): EGV.Phase3,
    ("PHASE4",): EGV.Phase4,
    ("NA",): EGV.PhaseNotApplicable,
    ("PHASE1", "PHASE2"): EGV.Phase1Phase2,
    ("PHASE2", "PHASE3"): EGV.Phase2Phase3,
}
ALLOCATION = {"RANDOMIZED": EGV.Randomised, "NON_RANDOMIZED": EGV.NonRandomised, "NA": None}
MODEL = {
    "PARALLEL": EGV.ParallelGroup,
    "CROSSOVER": EGV.Crossover,
    "FACTORIAL": EGV.Factorial,
    "SINGLE_GROUP": EGV.SingleGroup,
    "SEQUENTIAL": EGV.SequentialAssignment,
}
MASKING = {
    "NONE": EGV.OpenLabel,
    "SINGLE": EGV.SingleBlind,
    "DOUBLE": EGV.DoubleBlind,
    "TRIPLE": EGV.TripleBlind,
    "QUADRUPLE": EGV.QuadrupleBlind,
}
ARM_ROLE = {
    "EXPERIMENTAL": EGV.ExperimentalArm,
    "ACTIVE_COMPARATOR": EGV.ActiveComparatorArm,
    "PLACEBO_COMPARATOR": EGV.PlaceboComparatorArm,
    "SHAM_COMPARATOR": EGV.ShamComparatorArm,
    "NO_INTERVENTION": EGV.NoInterventionArm,
    "OTHER": EGV.OtherArm,
}
#: ClinicalTrials.gov intervention type -> (class, type concept) when no name is recognised.
INTERVENTION_TYPE = {
    "DRUG": (EG.DrugIntervention, EGV.DrugTreatment),
    "BEHAVIORAL": (EG.BehavioralIntervention, EGV.BehavioralInterventionType),
    "DEVICE": (EG.Intervention, EGV.DeviceIntervention),
    "PROCEDURE": (EG.Intervention, EGV.ProcedureIntervention),
    "BIOLOGICAL": (EG.Intervention, EGV.BiologicalIntervention),
    "DIETARY_SUPPLEMENT": (EG.Intervention, EGV.DietarySupplementIntervention),
    "RADIATION": (EG.Intervention, EGV.RadiationIntervention),
    "GENETIC": (EG.Intervention, EGV.GeneticIntervention),
    "COMBINATION_PRODUCT": (EG.Intervention, EGV.CombinationProductIntervention),
    "DIAGNOSTIC_TEST": (EG.Intervention, EGV.DiagnosticTestIntervention),
    "OTHER": (EG.Intervention, EGV.OtherIntervention),
}
#: Types whose names are checked against the vocabulary of therapy names.
THERAPY_TYPES = frozenset({"BEHAVIORAL", "OTHER", "PROCEDURE"})
#: Types that give a product, so a drug (unless a placebo, or generic care such as "Conventional
#: medicine": the vocabulary's ``generic`` names, unless the registry indexed a MeSH term in it).
DRUG_TYPES = frozenset({"DRUG", "BIOLOGICAL"})
#: Types whose names are checked against the vocabulary of placebo names.
PLACEBO_TYPES = frozenset({"DRUG", "OTHER", "BIOLOGICAL", "DIETARY_SUPPLEMENT"})
_CLASSIC_KEYS = frozenset({"FullStudiesResponse", "FullStudy", "StudyFieldsResponse"})


# --- reading -------------------------------------------------------------------


def read_paths(
    files: Iterable[Path], limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RecordError]:
    """Every study record in the files, in order (API pages and ZIPs expanded).

    A file or ZIP member larger than ``limits.member`` bytes, and a study larger than
    ``limits.record``, is a record error; so is a member that cannot be read.
    """
    for path in files:
        if path.suffix.lower() == ".zip":
            yield from iter_zip_members(path, _member_reader(limits), limits.member)
        else:
            with path.open("rb") as stream:
                yield from _member_reader(limits)(stream, str(path))


def _member_reader(
    limits: Limits,
) -> Callable[[IO[bytes] | bytearray, str], Iterator[Record | RecordError]]:
    def read(source: IO[bytes] | bytearray, origin: str) -> Iterator[Record | RecordError]:
        return _read_member(source, origin, limits)

    return read


def _read_member(
    source: IO[bytes] | bytearray, origin: str, limits: Limits
) -> Iterator[Record | RecordError]:
    if not origin.lower().endswith(".json"):
        yield RecordError(
            origin,
            "not a .json file: ClinicalTrials.gov records are read from .json files "
            "(or .json members of the bulk-download .zip).",
        )
        return
    parsed = read_json(source, origin, limits.member)
    if isinstance(parsed, RecordError):
        yield parsed
        return
    content = parsed.content
    if isinstance(content, dict) and isinstance(content.get("studies"), list):
        studies = [(f"{origin}: studies[{i}]", study) for i, study in enumerate(content["studies"])]
    elif isinstance(content, list):
        studies = [(f"{origin}: [{i}]", study) for i, study in enumerate(content)]
    else:
        if parsed.size > limits.record:
            yield RecordError(origin, _record_too_large(parsed.size, limits.record))
        else:
            yield parsed
        return
    for where, study in studies:
        # a document within the record limit holds no study past it: sizes are measured
        # (as compact JSON) only for the studies of a larger page
        size = len(json.dumps(study, ensure_ascii=False)) if parsed.size > limits.record else 0
        if size > limits.record:
            yield RecordError(where, _record_too_large(size, limits.record))
        else:
            yield Record(where, study, size)


def _record_too_large(size: int, limit: int) -> str:
    return too_large(
        f"the study record ({size_text(size)}; the largest real ones are under 1 MiB)",
        limit,
        "--max-record-size",
        read="it was not imported",
    )


# --- mapping -------------------------------------------------------------------


def map_study(content: object, origin: str) -> Mapped:
    """One API v2 study as triples, with warnings for values the mapping does not know.

    Raises MappingError for a record that is not an API v2 study or has no NCT id.
    """
    if isinstance(content, dict) and _CLASSIC_KEYS & content.keys():
        raise MappingError(
            "ClinicalTrials.gov classic API format; export API v2 JSON instead "
            "(https://clinicaltrials.gov/api/v2/studies/NCT...)."
        )
    if not isinstance(content, dict) or not isinstance(content.get("protocolSection"), dict):
        raise MappingError(
            "not a ClinicalTrials.gov API v2 study: there is no protocolSection object."
        )
    protocol = content["protocolSection"]
    raw_id = _get(protocol, "identificationModule", "nctId")
    nct_id = normalise_nct(raw_id) if isinstance(raw_id, str) else None
    if nct_id is None:
        shown = f" ({raw_id!r} is not NCT and eight digits)" if raw_id else ""
        raise MappingError(f"the study has no NCT id{shown}; every imported study needs one.")
    _check_shape(content, nct_id)
    return _StudyMapper(nct_id, content, origin).map()


@functools.cache
def _shape_check() -> Check:
    """The compiled check of ctgov_shape.json: every field the mapping reads, and its types."""
    text = resources.files("evidencegraph.ingest").joinpath("ctgov_shape.json").read_text()
    return compile_shape(json.loads(text))


def _check_shape(content: dict[str, Any], nct_id: str) -> None:
    """Refuse a study in which a field the mapping reads holds a value of another JSON type.

    Checked once, before mapping, against ``ctgov_shape.json`` (a JSON Schema of exactly the
    fields read below): the mapping can then take each value's type for granted. Raises
    MappingError naming the field (as a JSON path), what it holds and what was expected.
    """
    try:
        _shape_check()(content)
    except ShapeError as error:
        raise MappingError(
            f"the field {error}; the record does not have the shape of a ClinicalTrials.gov "
            "API v2 study. Export it again from ClinicalTrials.gov, or correct that field.",
            nct_id,
        ) from None


class _StudyMapper:
    """Maps one study; holds what the parts need to link to each other."""

    def __init__(self, nct_id: str, content: dict[str, Any], origin: str):
        self.nct_id = nct_id
        self.content = content
        self.protocol: dict[str, Any] = content["protocolSection"]
        self.study = study_iri(nct_id)
        self.record = registry_record_iri(nct_id)
        self.out = TripleSink(
            origin,
            nct_id,
            graph=record_graph("ctgov", nct_id),
            source=str(self.record),
            kind=SourceKind.REGISTRY,
        )
        self.arms: dict[str, URIRef] = {}
        self.outcomes: dict[str, URIRef] = {}
        self.minted: set[URIRef] = set()
        self.vocabulary = vocabulary()
        derived = content.get("derivedSection") or {}
        self.condition_mesh = browse_module(derived.get("conditionBrowseModule"))
        self.intervention_mesh = browse_module(derived.get("interventionBrowseModule"))

    def map(self) -> Mapped:
        self._record()
        self._identification()
        self._status()
        self._sponsors()
        self._design()
        self._conditions()
        self._arms_and_interventions()
        self._intervention_mesh()
        self._outcomes()
        self._references()
        ProtocolMapper(self.out, self.study, self.record, self.protocol, self.at, STATUS).map()
        results = self.content.get("resultsSection")
        if isinstance(results, dict):
            map_results(self, results)
        return self.out.mapped()

    def at(self, *parts: str) -> URIRef:
        """A node the registry describes, under the study: ``study/NCT.../ctgov/arm/placebo``.

        The ``ctgov`` segment keeps the registry's arms, interventions, outcomes and
        findings apart from curated ones of the same trial (``study/NCT.../arm/...``),
        which the registry's labels cannot be matched to reliably: neither overwrites
        the other's values.
        """
        return URIRef(f"{self.study}/ctgov/{'/'.join(parts)}")

    def unique(self, kind: str, name: str) -> URIRef:
        """A node under the study named after ``name``, numbered when the name is taken."""
        base = slug(name)
        candidate, number = self.at(kind, base), 1
        while candidate in self.minted:
            number += 1
            candidate = self.at(kind, f"{base}-{number}")
        self.minted.add(candidate)
        return candidate

    # -- the record and the study's identity

    def _record(self) -> None:
        out, record = self.out, self.record
        out.add(record, RDF.type, EG.RegistryRecord)
        out.text(record, RDFS.label, f"ClinicalTrials.gov record {self.nct_id}")
        out.add(record, EG.sourceType, EGV.RegistryRecordSource)
        out.add(record, EG.peerReviewed, Literal(False))
        out.add(
            record,
            EG.url,
            Literal(f"https://clinicaltrials.gov/study/{self.nct_id}", datatype=XSD.anyURI),
        )
        out.add(record, EG.reports, self.study)
        status = self.protocol.get("statusModule") or {}
        out.add_optional(
            record, DCTERMS.issued, date_literal(_get(status, "studyFirstPostDateStruct", "date"))
        )
        out.add_optional(
            record, DCTERMS.modified, date_literal(_get(status, "lastUpdatePostDateStruct", "date"))
        )
        study = self.study
        is_trial = _get(self.protocol, "designModule", "studyType") == "INTERVENTIONAL"
        if is_trial and not _list(self.protocol, "armsInterventionsModule", "armGroups"):
            is_trial = False
            out.warn("interventional study without arm groups: typed eg:Study, not eg:Trial")
        out.add(study, RDF.type, EG.Trial if is_trial else EG.Study)
        out.add(study, EG.nctId, Literal(self.nct_id))
        out.add(study, PROV.wasDerivedFrom, record)

    def _identification(self) -> None:
        out, study = self.out, self.study
        module = self.protocol.get("identificationModule") or {}
        title = module.get("briefTitle") or module.get("officialTitle")
        out.text(study, DCTERMS.title, title)
        if module.get("officialTitle") and module.get("officialTitle") != title:
            out.text(study, EG.officialTitle, module["officialTitle"])
        out.text(study, EG.acronym, module.get("acronym"))
        out.text(study, EG.orgStudyId, _get(module, "orgStudyIdInfo", "id"))
        for secondary in _list(module, "secondaryIdInfos"):
            self._secondary_id(secondary)
        out.text(
            study, DCTERMS.description, _get(self.protocol, "descriptionModule", "briefSummary")
        )

    def _secondary_id(self, secondary: dict[str, Any]) -> None:
        value = str(secondary.get("id") or "").strip()
        if not value:
            return
        kind = secondary.get("type")
        eudract = normalise_eudract(value) if kind == "EUDRACT_NUMBER" or kind is None else None
        isrctn = normalise_isrctn(value)
        if eudract:
            self.out.text(self.study, EG.eudractNumber, eudract)
        elif isrctn:
            self.out.text(self.study, EG.isrctn, isrctn)
        else:
            self.out.text(self.study, EG.secondaryId, value)

    def _status(self) -> None:
        out, study = self.out, self.study
        module = self.protocol.get("statusModule") or {}
        status = module.get("overallStatus")
        if status:
            out.code(study, EG.overallStatus, "statusModule.overallStatus", status, STATUS)
        out.add_optional(study, EG.startDate, date_literal(_get(module, "startDateStruct", "date")))
        out.add_optional(
            study,
            EG.primaryCompletionDate,
            date_literal(_get(module, "primaryCompletionDateStruct", "date")),
        )
        out.add_optional(
            study, EG.completionDate, date_literal(_get(module, "completionDateStruct", "date"))
        )
        submitted = date_literal(module.get("studyFirstSubmitDate"))
        if submitted is not None and submitted.datatype == XSD_DATE:
            out.add(study, EG.registrationDate, submitted)

    def _sponsors(self) -> None:
        module = self.protocol.get("sponsorCollaboratorsModule") or {}
        lead = _get(module, "leadSponsor", "name")
        if lead:
            self.out.add(self.study, EG.sponsor, self.organisation(lead))
        for collaborator in _list(module, "collaborators"):
            if collaborator.get("name"):
                self.out.add(self.study, EG.collaborator, self.organisation(collaborator["name"]))

    def organisation(self, name: str) -> URIRef:
        node = concept_iri("org", name)
        self.out.add(node, RDF.type, EG.Organization)
        self.out.text(node, RDFS.label, name.strip())
        return node

    def _design(self) -> None:
        out, study = self.out, self.study
        module = self.protocol.get("designModule") or {}
        study_type = module.get("studyType")
        if study_type == "OBSERVATIONAL":
            out.add(study, EG.studyDesign, EGV.Observational)
        elif study_type == "EXPANDED_ACCESS":
            out.add(study, EG.studyDesign, EGV.ExpandedAccess)
        elif study_type not in (None, "INTERVENTIONAL"):
            out.unmapped(study, "designModule.studyType", study_type)
        phases = tuple(module.get("phases") or ())
        if phases:
            out.code(study, EG.phase, "designModule.phases", phases, PHASES)
        info = module.get("designInfo") or {}
        for field_name, table, value in (
            ("allocation", ALLOCATION, info.get("allocation")),
            ("interventionModel", MODEL, info.get("interventionModel")),
            ("maskingInfo.masking", MASKING, _get(info, "maskingInfo", "masking")),
        ):
            if value:
                out.code(study, EG.studyDesign, f"designInfo.{field_name}", value, table)
        enrolment = _get(module, "enrollmentInfo", "count")
        if isinstance(enrolment, int) and enrolment >= 0:
            out.add(study, EG.enrolment, Literal(enrolment, datatype=XSD.integer))
            kind = _get(module, "enrollmentInfo", "type")
            if kind in ("ACTUAL", "ESTIMATED", "ANTICIPATED"):
                out.add(study, EG.enrolmentActual, Literal(kind == "ACTUAL"))

    # -- conditions, arms, interventions, outcomes

    def _conditions(self) -> None:
        """Free-text conditions, the registry's MeSH conditions, and which text it found each
        MeSH term in (``eg:meshTerm``: its indexing, which may be broader or narrower than the
        text, so neither skos:exactMatch nor a SKOS hierarchy link)."""
        mesh: BrowseModule = self.condition_mesh
        for name in _list(self.protocol, "conditionsModule", "conditions"):
            if isinstance(name, str) and name.strip():
                node = self.condition(name)
                self.out.add(self.study, EG.studiesCondition, node)
                for term in mesh.found_in(name):
                    self.out.add(node, EG.meshTerm, term.iri)
        for term in mesh.terms:
            self.out.add(self.study, EG.studiesCondition, self.condition(term.term, term))
        write_browse_module(self.out, self.study, mesh, EG.conditionMesh, EG.conditionMeshAncestor)

    def condition(self, name: str, mesh: MeshTerm | None = None) -> URIRef:
        entry = (self.vocabulary.by_mesh(mesh.ui) if mesh else None) or self.vocabulary.exact(
            "condition", name
        )
        return self._concept(EG.Condition, "condition", name, entry, mesh)

    def _concept(
        self, cls: URIRef, kind: str, name: str, entry: Entry | None, mesh: MeshTerm | None
    ) -> URIRef:
        """A drug or condition node: the vocabulary's, else one named after ``name``. A MeSH
        term it is (the registry's) gives its id (a descriptor's, in NLM's form) and
        skos:exactMatch to NLM's IRI; the id never depends on which record came first."""
        out = self.out
        mesh_id = mesh.ui if mesh else None
        if entry is not None:
            node, label, mesh_id = entry.iri, entry.label, entry.mesh_id or mesh_id
        else:
            node, label = concept_iri(kind, name), name.strip()
        out.add(node, RDF.type, cls)
        out.text(node, RDFS.label, label)
        if mesh_id and is_descriptor(mesh_id):
            out.text(node, EG.meshId, mesh_id)
        if mesh is not None:
            out.add(node, SKOS.exactMatch, mesh.iri)
        return node

    def _arms_and_interventions(self) -> None:
        module = self.protocol.get("armsInterventionsModule") or {}
        by_label: dict[str, URIRef] = {}
        for arm in _list(module, "armGroups"):
            label = str(arm.get("label") or "").strip()
            if not label:
                continue
            node = self.unique("arm", label)
            self.arms[label] = node
            by_label[normalise_name(label)] = node
            self.out.add(self.study, EG.hasArm, node)
            self.out.add(node, RDF.type, EG.Arm)
            self.out.text(node, RDFS.label, label)
            self.out.text(node, DCTERMS.description, arm.get("description"))
            role = arm.get("type") or "OTHER"
            if role not in ARM_ROLE:
                self.out.unmapped(node, "armGroups.type", role)
                role = "OTHER"
            self.out.add(node, EG.armRole, ARM_ROLE[role])
        # "TYPE name" -> every intervention of that type and name: a record may list two
        # (NCT05819710 has two "TS-142", one per dose arm), each with its own arm labels
        by_name: dict[str, list[tuple[URIRef, set[str]]]] = {}
        for intervention in _list(module, "interventions"):
            name = str(intervention.get("name") or "").strip()
            if not name:
                continue
            node = self.unique("intervention", name)
            kind = str(intervention.get("type") or "OTHER")
            # every intervention belongs to the study, whether or not an arm names it: a
            # record without arm groups (44 of 545 real ones) has nothing else to link it by
            self.out.add(self.study, EG.studiesIntervention, node)
            self._intervention(node, name, kind, intervention)
            own_arms: set[str] = set()
            for arm_label in intervention.get("armGroupLabels") or ():
                arm = by_label.get(normalise_name(str(arm_label)))
                if arm is None:
                    self.out.warn(f"intervention {name!r} names an unknown arm {arm_label!r}")
                else:
                    own_arms.add(normalise_name(str(arm_label)))
                    self.out.add(arm, EG.receives, node)
            key = f"{normalise_name(kind)} {normalise_name(name)}"
            by_name.setdefault(key, []).append((node, own_arms))
        for arm in _list(module, "armGroups"):
            label = normalise_name(str(arm.get("label") or ""))
            arm_node = by_label.get(label)
            if arm_node is None:
                continue
            for entry in arm.get("interventionNames") or ():
                named = self._named_intervention(by_name.get(normalise_name(str(entry)), []), label)
                if named is not None:
                    self.out.add(arm_node, EG.receives, named)

    def _named_intervention(
        self, candidates: list[tuple[URIRef, set[str]]], arm_label: str
    ) -> URIRef | None:
        """The intervention an arm's ``interventionNames`` entry stands for, or None.

        An intervention that lists the arm itself is already linked; a name of one
        intervention is that one; of several (two "Oxygen"), only one that lists no arm at
        all may be meant, and none is chosen when that is not exactly one.
        """
        if any(arm_label in arms for _, arms in candidates):
            return None
        if len(candidates) == 1:
            return candidates[0][0]
        unassigned = [node for node, arms in candidates if not arms]
        if len(unassigned) == 1:
            return unassigned[0]
        if candidates:
            self.out.warn(
                f"arm {arm_label!r} names one of {len(candidates)} interventions of one name "
                "and none lists the arm: no intervention linked by that name"
            )
        return None

    def _intervention(self, node: URIRef, name: str, kind: str, data: dict[str, Any]) -> None:
        out = self.out
        other_names = [str(n).strip() for n in data.get("otherNames") or () if str(n).strip()]
        names = [name, *other_names]
        out.text(node, RDFS.label, name)
        for other in other_names:
            out.text(node, SKOS.altLabel, other)
        out.text(node, DCTERMS.description, data.get("description"))
        if kind not in INTERVENTION_TYPE:
            out.unmapped(node, "interventions.type", kind)
        cls, concept = INTERVENTION_TYPE.get(kind, INTERVENTION_TYPE["OTHER"])
        therapy = self.vocabulary.longest_match("therapy", names) if kind in THERAPY_TYPES else None
        drug: URIRef | None = None
        if kind in PLACEBO_TYPES and self._is_placebo(name, names):
            cls, concept = EG.Placebo, EGV.Placebo
        elif therapy is not None:
            concept = therapy.iri
            cls = EG.Psychotherapy if _is_psychotherapy(concept) else EG.BehavioralIntervention
        elif kind in DRUG_TYPES:
            drug = self._drug(name, other_names)
            if drug is not None:
                cls, concept = EG.DrugIntervention, EGV.DrugTreatment
            else:
                cls = EG.Intervention
        out.add(node, RDF.type, cls)
        out.add(node, EG.interventionType, concept)
        if drug is not None:
            out.add(node, EG.drug, drug)

    def _intervention_mesh(self) -> None:
        write_browse_module(
            self.out,
            self.study,
            self.intervention_mesh,
            EG.interventionMesh,
            EG.interventionMeshAncestor,
        )

    def _is_placebo(self, name: str, names: list[str]) -> bool:
        """A placebo name, unless a drug is named beside it as an alternative.

        "Naltrexone placebo" and "placebo for ketamine" are placebos; "Ketamine or
        placebo" names the drug of a blinded arm.
        """
        if not self.vocabulary.longest_match("placebo", names):
            return False
        if not self.vocabulary.longest_match("drug", names):
            return True
        words = normalise_name(name).split()
        return not {"or", "and", "vs", "versus", "plus", "with"} & set(words)

    def _drug(self, name: str, other_names: list[str]) -> URIRef | None:
        """The drug a DRUG or BIOLOGICAL intervention gives, or None for generic care.

        In order: the vocabulary's drug for a name; the intervention MeSH term the registry
        derived that a name contains (the drug is then named after the term, so trials of
        one drug under different product names meet); None when a name is generic care
        (the vocabulary's ``generic`` names: "Conventional medicine", "Standard of care");
        else a drug named after the intervention (an investigational product such as GET73,
        which MeSH does not have yet).
        """
        vocab, names = self.vocabulary, [name, *other_names]
        entry = vocab.exact("drug", name)
        for other in other_names:
            entry = entry or vocab.exact("drug", other)
        entry = entry or vocab.longest_match("drug", names)
        term = self.intervention_mesh.naming(names)
        if entry is not None:
            # the term is the vocabulary drug's only when the vocabulary says so (its id, or
            # the term is one of its names): "Midazolam then ketamine" names two drugs
            same = term is not None and (
                term.ui == entry.mesh_id or vocab.exact("drug", term.term) == entry
            )
            return self._concept(EG.Drug, "drug", name, entry, term if same else None)
        if term is not None:
            # the vocabulary's drug when it has the term's id under names of its own (MDMA's
            # MeSH term is "N-Methyl-3,4-methylenedioxyamphetamine")
            return self._concept(EG.Drug, "drug", term.term, vocab.by_mesh(term.ui), term)
        if vocab.longest_match("generic", names) is not None:
            return None
        return self._concept(EG.Drug, "drug", name, None, None)

    def _outcomes(self) -> None:
        module = self.protocol.get("outcomesModule") or {}
        for kind, primary in (("primary", True), ("secondary", False), ("other", False)):
            for index, outcome in enumerate(_list(module, f"{kind}Outcomes"), start=1):
                measure = str(outcome.get("measure") or "").strip()
                if not measure:
                    continue
                node = self.at("outcome", f"{kind}-{index}")
                self.outcomes.setdefault(normalise_name(measure), node)
                self.outcome(node, measure, primary, outcome.get("timeFrame"))
                self.out.text(node, DCTERMS.description, outcome.get("description"))

    def outcome(self, node: URIRef, label: str, primary: bool, time_frame: object) -> None:
        out = self.out
        out.add(self.study, EG.hasOutcome, node)
        out.add(node, RDF.type, EG.Outcome)
        out.text(node, RDFS.label, label)
        out.add(node, EG.isPrimaryOutcome, Literal(primary))
        out.text(node, EG.timeFrame, time_frame)

    def _references(self) -> None:
        for reference in _list(self.protocol, "referencesModule", "references"):
            pmid = normalise_pmid(str(reference.get("pmid") or ""))
            doi = normalise_doi(str(reference.get("doi") or ""))
            if not pmid and not doi:
                continue
            article = article_iri(pmid, doi)
            self.out.text(article, EG.pmid, pmid)
            self.out.text(article, EG.doi, doi)
            self.out.text(article, DCTERMS.bibliographicCitation, reference.get("citation"))
            if reference.get("type") in ("RESULT", "DERIVED"):
                self.out.add(article, EG.reports, self.study)
            else:
                self.out.add(self.record, DCTERMS.references, article)


def _is_psychotherapy(concept: URIRef) -> bool:
    return concept in _psychotherapy_concepts()


@functools.cache
def _psychotherapy_concepts() -> frozenset[URIRef]:
    """egv:Psychotherapy and every concept narrower than it, from the packaged concept scheme
    of intervention types (the model is the ontology package's, read here as data)."""
    scheme = Graph()
    for file in vocabulary_files():
        if file.name == "intervention-type.ttl":
            scheme.parse(data=file.read_text(encoding="utf-8"), format="turtle")
    return frozenset(
        node
        for node in scheme.transitive_subjects(SKOS.broader, EGV.Psychotherapy)
        if isinstance(node, URIRef)
    )


#: The registry's source: ``evidencegraph import ctgov``.
SOURCE = RecordSource(
    name="ctgov",
    description="""Import ClinicalTrials.gov API v2 study JSON.

    PATHS are study files, API pages ({"studies": [...]}), directories of them,
    or the bulk-download ZIP of one JSON file per study (read without unpacking).
    """,
    suffixes=SUFFIXES,
    default_limits=DEFAULT_LIMITS,
    record_marker=RECORD_MARKER,
    reader=read_paths,
    mapper=map_study,
)
