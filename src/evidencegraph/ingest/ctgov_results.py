"""The results section of a ClinicalTrials.gov API v2 study -> RDF triples.

Participant flow, outcome measures and their analyses, baseline characteristics and
adverse events, mapped onto the arms, outcomes and study that ingest/ctgov.py mapped
from the protocol section (it hands them over as :class:`StudyParts`). Pure: no store.
docs/importing.md has the field-by-field table.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Protocol

from rdflib import XSD, Literal, URIRef

from evidencegraph.ingest.identifiers import concept_iri, slug
from evidencegraph.ingest.json_values import code, decimal, get_list, integer
from evidencegraph.ingest.mapping import DCTERMS, EG, EGV, PROV, RDF, RDFS, TripleSink
from evidencegraph.ingest.vocabulary import normalise_name


class StudyParts(Protocol):
    """What the results mapping needs of the study's mapping: the sink, the study and record
    nodes, the arms by label, the outcomes by normalised title, and how nodes are named."""

    out: TripleSink
    study: URIRef
    record: URIRef
    arms: dict[str, URIRef]
    outcomes: dict[str, URIRef]

    def at(self, *parts: str) -> URIRef: ...

    def outcome(self, node: URIRef, label: str, primary: bool, time_frame: object) -> None: ...


def map_results(study: StudyParts, results: dict[str, Any]) -> None:
    """Map a study's resultsSection into ``study.out``."""
    _ResultsMapper(study, results).map()


#: ClinicalTrials.gov group measure (paramType) -> effect-measure concept.
GROUP_MEASURE = {
    "MEAN": EGV.GroupMean,
    "MEDIAN": EGV.GroupMedian,
    "LEAST_SQUARES_MEAN": EGV.LeastSquaresMean,
    "GEOMETRIC_MEAN": EGV.GeometricMean,
    "GEOMETRIC_LEAST_SQUARES_MEAN": EGV.GeometricMean,
    "COUNT_OF_PARTICIPANTS": EGV.Count,
    "COUNT_OF_UNITS": EGV.CountOfUnits,
    "NUMBER": EGV.ReportedNumber,
}
#: Words in an analysis's parameter type -> effect measure (first match wins).
ANALYSIS_MEASURE = (
    ("odds ratio", EGV.OddsRatio),
    ("risk ratio", EGV.RiskRatio),
    ("relative risk", EGV.RiskRatio),
    ("hazard ratio", EGV.HazardRatio),
    ("risk difference", EGV.RiskDifference),
    ("mean difference", EGV.MeanDifference),
    ("median difference", EGV.MeanDifference),
)


class _ResultsMapper:
    """The results section: participant flow, baseline, outcome measures and analyses,
    adverse events."""

    def __init__(self, study: StudyParts, results: dict[str, Any]):
        self.study = study
        self.out = study.out
        self.results = results

    def map(self) -> None:
        self._participant_flow()
        self._baseline()
        for index, measure in enumerate(
            get_list(self.results, "outcomeMeasuresModule", "outcomeMeasures"), start=1
        ):
            self._outcome_measure(index, measure)
        self._adverse_events()

    def arm_for(self, title: object) -> URIRef | None:
        """The registered arm a results group stands for, matched by its title."""
        wanted = normalise_name(str(title or ""))
        arms = {normalise_name(label): node for label, node in self.study.arms.items()}
        if wanted in arms:
            return arms[wanted]
        close = [
            node for name, node in arms.items() if wanted and (wanted in name or name in wanted)
        ]
        return close[0] if len(close) == 1 else None

    def _groups(self, groups: list[Any]) -> dict[str, tuple[str, URIRef | None]]:
        return {
            str(group.get("id")): (
                str(group.get("title") or group.get("id")),
                self.arm_for(group.get("title")),
            )
            for group in groups
            if isinstance(group, dict)
        }

    def _participant_flow(self) -> None:
        module = self.results.get("participantFlowModule") or {}
        groups = self._groups(get_list(module, "groups"))
        periods = get_list(module, "periods")
        if not periods:
            return
        for milestone in get_list(periods[0], "milestones"):
            kind = milestone.get("type")
            predicate = {"STARTED": EG.participants, "COMPLETED": EG.participantsCompleted}.get(
                kind
            )
            if predicate is None:
                continue
            for achievement in get_list(milestone, "achievements"):
                _, arm = groups.get(str(achievement.get("groupId")), ("", None))
                count = integer(achievement.get("numSubjects"))
                if arm is not None and count is not None and count >= 0:
                    self.out.add(arm, predicate, Literal(count, datatype=XSD.integer))

    def _outcome_node(self, index: int, measure: dict[str, Any]) -> URIRef:
        title = str(measure.get("title") or f"outcome measure {index}").strip()
        known = self.study.outcomes.get(normalise_name(title))
        if known is not None:
            return known
        node = self.study.at("outcome", f"result-{index}")
        self.study.outcome(node, title, measure.get("type") == "PRIMARY", measure.get("timeFrame"))
        return node

    def _outcome_measure(self, index: int, measure: dict[str, Any]) -> None:
        outcome = self._outcome_node(index, measure)
        groups = self._groups(get_list(measure, "groups"))
        param = code(measure.get("paramType") or "")
        effect = GROUP_MEASURE.get(param)
        dispersion = code(measure.get("dispersionType") or "")
        unit = str(measure.get("unitOfMeasure") or "").strip()
        number = 0
        for class_ in get_list(measure, "classes"):
            for category in get_list(class_, "categories"):
                for value in get_list(category, "measurements"):
                    number += 1
                    node = self.study.at("finding", f"measure-{index}-{number}")
                    labels = [str(class_.get("title") or ""), str(category.get("title") or "")]
                    self._measurement(
                        node,
                        outcome,
                        measure,
                        groups,
                        value,
                        effect,
                        param,
                        dispersion,
                        unit,
                        labels,
                    )
        for number, analysis in enumerate(get_list(measure, "analyses"), start=1):
            node = self.study.at("finding", f"analysis-{index}-{number}")
            self._analysis(node, outcome, measure, groups, analysis)

    def _measurement(
        self,
        node: URIRef,
        outcome: URIRef,
        measure: dict[str, Any],
        groups: dict[str, tuple[str, URIRef | None]],
        value: dict[str, Any],
        effect: URIRef | None,
        param: str,
        dispersion: str,
        unit: str,
        labels: list[str],
    ) -> None:
        out = self.out
        group_title, arm = groups.get(str(value.get("groupId")), (str(value.get("groupId")), None))
        self._finding(node, outcome, measure)
        if effect is None:
            out.add(node, EG.effectMeasure, EGV.OtherEffectMeasure)
            out.unmapped(node, "outcomeMeasures.paramType", param or "(none)")
        else:
            out.add(node, EG.effectMeasure, effect)
        out.add(node, EG.direction, EGV.NotComparative)
        if arm is not None:
            out.add(node, EG.experimentalGroup, arm)
        number = decimal(value.get("value"))
        detail = ""
        if number is not None:
            out.add(node, EG.value, Literal(number))
            out.text(node, EG.unitLabel, unit or "(unit not given)")
            if unit.lower() in ("participants", "participant"):
                out.add(node, EG.unit, EGV.Participants)
        lower, upper = decimal(value.get("lowerLimit")), decimal(value.get("upperLimit"))
        if (
            "CONFIDENCE_INTERVAL" in dispersion
            and lower is not None
            and upper is not None
            and lower <= upper
        ):
            out.add(node, EG.ciLower, Literal(lower))
            out.add(node, EG.ciUpper, Literal(upper))
            found = re.search(r"\d+(?:\.\d+)?", str(measure.get("dispersionType") or ""))
            level = decimal(found.group()) if found else None
            if level is not None and 0 < level < 100:
                out.add(node, EG.confidenceLevel, Literal(level / 100))
        elif lower is not None or upper is not None:
            spread_kind = dispersion.lower().replace("_", " ")
            detail = f" ({spread_kind} {value.get('lowerLimit')} to {value.get('upperLimit')})"
        spread = decimal(value.get("spread"))
        if spread is not None and spread >= 0:
            out.add(node, EG.spread, Literal(spread))
            out.text(node, EG.spreadType, dispersion or "(not given)")
        context = " / ".join(label for label in labels if label)
        kind = param.lower().replace("_", " ") or "value"
        if spread is not None:
            kind += f", {dispersion.lower().replace('_', ' ')} {value.get('spread')}"
        title = str(measure.get("title") or "").strip() + (f" [{context}]" if context else "")
        statement = f"{title}, {group_title}: {value.get('value')} {unit} ({kind}){detail}"
        out.text(node, EG.statement, " ".join(statement.split()))

    def _analysis(
        self,
        node: URIRef,
        outcome: URIRef,
        measure: dict[str, Any],
        groups: dict[str, tuple[str, URIRef | None]],
        analysis: dict[str, Any],
    ) -> None:
        out = self.out
        self._finding(node, outcome, measure)
        param = str(analysis.get("paramType") or "")
        effect = next(
            (concept for words, concept in ANALYSIS_MEASURE if words in param.lower()), None
        )
        if effect is None:
            out.add(node, EG.effectMeasure, EGV.OtherEffectMeasure)
            out.unmapped(node, "analyses.paramType", param or "(none)")
        else:
            out.add(node, EG.effectMeasure, effect)
        titles = []
        for group_id in analysis.get("groupIds") or ():
            title, arm = groups.get(str(group_id), (str(group_id), None))
            titles.append(title)
            if arm is not None:
                out.add(node, EG.comparatorGroup if titles[1:] else EG.experimentalGroup, arm)
        value = decimal(analysis.get("paramValue"))
        if value is not None:
            out.add(node, EG.value, Literal(value))
            out.text(node, EG.unitLabel, param or "(not given)")
        lower, upper = (
            decimal(analysis.get("ciLowerLimit")),
            decimal(analysis.get("ciUpperLimit")),
        )
        if lower is not None and upper is not None and lower <= upper:
            out.add(node, EG.ciLower, Literal(lower))
            out.add(node, EG.ciUpper, Literal(upper))
            level = decimal(analysis.get("ciPctValue"))
            if level is not None and 0 < level < 100:
                out.add(node, EG.confidenceLevel, Literal(level / 100))
        p_text = str(analysis.get("pValue") or "").strip()
        p_value = decimal(p_text.lstrip("<>=≤ "))
        if p_value is not None and 0 <= p_value <= 1:
            out.add(node, EG.pValue, Literal(p_value))
            if p_value >= Decimal("0.05") and not p_text.startswith("<"):
                out.add(node, EG.direction, EGV.NoSignificantDifference)
        parts = [
            f"{str(measure.get('title') or '').strip()}: {' vs '.join(titles) or 'groups'}",
            str(analysis.get("statisticalMethod") or "analysis"),
        ]
        if value is not None:
            parts.append(f"{param} {analysis.get('paramValue')}")
        if lower is not None and upper is not None:
            parts.append(f"{analysis.get('ciPctValue') or '?'}% CI {lower} to {upper}")
        if p_text:
            parts.append(f"p {p_text}")
        out.text(node, EG.statement, ", ".join(parts))

    def _finding(self, node: URIRef, outcome: URIRef, measure: dict[str, Any]) -> None:
        out = self.out
        out.add(node, RDF.type, EG.Finding)
        out.add(node, EG.ofStudy, self.study.study)
        out.add(node, EG.outcome, outcome)
        out.add(node, PROV.wasDerivedFrom, self.study.record)
        out.text(node, EG.timeFrame, measure.get("timeFrame"))

    # -- baseline characteristics

    def _baseline(self) -> None:
        module = self.results.get("baselineCharacteristicsModule") or {}
        measures = get_list(module, "measures")
        if not measures:
            return
        listed = [group for group in get_list(module, "groups") if isinstance(group, dict)]
        groups = self._groups(listed)
        overall = _overall_groups(listed)
        denominators = _denominators(get_list(module, "denoms"))
        population = module.get("populationDescription")
        for index, measure in enumerate(measures, start=1):
            self._baseline_measure(index, measure, groups, overall, denominators, population)

    def _baseline_measure(
        self,
        index: int,
        measure: dict[str, Any],
        groups: dict[str, tuple[str, URIRef | None]],
        overall: set[str],
        module_denominators: dict[str, dict[str, int]],
        population: object,
    ) -> None:
        out, study = self.out, self.study
        node = study.at("baseline", str(index))
        title = str(measure.get("title") or f"baseline characteristic {index}").strip()
        out.add(study.study, EG.hasBaselineCharacteristic, node)
        out.add(node, RDF.type, EG.BaselineCharacteristic)
        out.text(node, RDFS.label, title)
        param = code(measure.get("paramType") or "")
        if param in GROUP_MEASURE:
            out.add(node, EG.parameterType, GROUP_MEASURE[param])
        else:
            out.add(node, EG.parameterType, EGV.OtherEffectMeasure)
            out.unmapped(node, "baselineCharacteristics.paramType", param or "(none)")
        out.text(node, EG.dispersionType, measure.get("dispersionType"))
        unit = str(measure.get("unitOfMeasure") or "").strip()
        out.text(node, EG.unitOfMeasure, unit)
        out.text(
            node,
            DCTERMS.description,
            measure.get("description") or measure.get("populationDescription") or population,
        )
        # the most specific denominators the registry gives: the class's, the measure's,
        # the module's; each a list by units, of which the measure's selected units count
        wanted = str(measure.get("denomUnitsSelected") or "")
        measure_denominators = _denominators(get_list(measure, "denoms")) or module_denominators
        number = 0
        for class_ in get_list(measure, "classes"):
            denominators = _denominators(get_list(class_, "denoms")) or measure_denominators
            counts = denominators.get(wanted) or next(iter(denominators.values()), {})
            for category in get_list(class_, "categories"):
                for value in get_list(category, "measurements"):
                    number += 1
                    group_id = str(value.get("groupId"))
                    self._baseline_value(
                        study.at("baseline", f"{index}-{number}"),
                        node,
                        value,
                        groups.get(group_id, (group_id, None)),
                        group_id in overall,
                        (str(class_.get("title") or ""), str(category.get("title") or "")),
                        counts.get(group_id),
                        (title, param, str(measure.get("dispersionType") or ""), unit),
                    )

    def _baseline_value(
        self,
        node: URIRef,
        characteristic: URIRef,
        value: dict[str, Any],
        group: tuple[str, URIRef | None],
        overall: bool,
        titles: tuple[str, str],
        analysed: int | None,
        measure: tuple[str, str, str, str],
    ) -> None:
        out = self.out
        group_title, arm = group
        out.add(node, RDF.type, EG.BaselineValue)
        out.add(node, EG.characteristic, characteristic)
        out.text(node, EG.groupTitle, group_title)
        if arm is not None:
            out.add(node, EG.forArm, arm)
        if overall:
            out.add(node, EG.allParticipants, Literal(True))
        out.text(node, EG.className, titles[0])
        out.text(node, EG.categoryName, titles[1])
        number = decimal(value.get("value"))
        if number is not None:
            out.add(node, EG.reportedValue, Literal(number))
        spread = decimal(value.get("spread"))
        if spread is not None and spread >= 0:
            out.add(node, EG.dispersionValue, Literal(spread))
        lower, upper = decimal(value.get("lowerLimit")), decimal(value.get("upperLimit"))
        if lower is not None:
            out.add(node, EG.lowerLimit, Literal(lower))
        if upper is not None:
            out.add(node, EG.upperLimit, Literal(upper))
        if analysed is not None:
            out.add(node, EG.analysedCount, Literal(analysed, datatype=XSD.integer))
        title, param, dispersion, unit = measure
        where = " / ".join(part for part in titles if part)
        shown = f"{title}{f' [{where}]' if where else ''}, {group_title}: {value.get('value')}"
        details = [param.lower().replace("_", " ")] if param else []
        if spread is not None:
            details.append(f"{dispersion.lower().replace('_', ' ')} {value.get('spread')}")
        if lower is not None or upper is not None:
            limits = f"{value.get('lowerLimit')} to {value.get('upperLimit')}"
            details.append(f"{dispersion.lower().replace('_', ' ')} {limits}")
        label = f"{shown} {unit}" + (f" ({', '.join(details)})" if details else "")
        out.text(node, RDFS.label, " ".join(label.split()))

    # -- adverse events

    def _adverse_events(self) -> None:
        module = self.results.get("adverseEventsModule") or {}
        listed = [group for group in get_list(module, "eventGroups") if isinstance(group, dict)]
        groups = self._groups(listed)
        outcomes: dict[str, URIRef] = {}
        for kind, key in (("serious", "seriousEvents"), ("other", "otherEvents")):
            events = get_list(module, key)
            if events or any(group.get(f"{kind}NumAffected") is not None for group in listed):
                outcomes[kind] = self._adverse_event_outcome(kind, module)
            for index, event in enumerate(events, start=1):
                term = str(event.get("term") or "").strip()
                if not term:
                    continue
                risk = concept_iri("risk", term)
                self.out.add(risk, RDF.type, EG.Risk)
                self.out.text(risk, RDFS.label, term)
                for stats in get_list(event, "stats"):
                    self._adverse_event(
                        outcomes[kind], kind, index, event, risk, groups, stats, module
                    )
        if any(group.get("deathsNumAffected") is not None for group in listed):
            outcomes["deaths"] = self._adverse_event_outcome("deaths", module)
        for group in listed:
            for kind, outcome in outcomes.items():
                self._group_total(outcome, kind, group, groups, module)

    def _adverse_event_outcome(self, kind: str, module: dict[str, Any]) -> URIRef:
        """The outcome a kind of adverse-event count reports on, with the module's time frame,
        description and (for other events) frequency threshold."""
        if kind == "deaths":
            node, label = self.study.at("outcome", "deaths"), "Deaths (all causes)"
        else:
            node = self.study.at("outcome", f"{kind}-adverse-events")
            label = f"{kind} adverse events".capitalize()
        self.study.outcome(node, label, False, module.get("timeFrame"))
        self.out.text(node, DCTERMS.description, module.get("description"))
        threshold = decimal(module.get("frequencyThreshold"))
        if kind == "other" and threshold is not None and 0 <= threshold <= 100:
            self.out.add(node, EG.frequencyThreshold, Literal(threshold))
        return node

    def _adverse_finding(
        self, node: URIRef, outcome: URIRef, affected: int, at_risk: int | None, arm: URIRef | None
    ) -> None:
        out = self.out
        out.add(node, RDF.type, EG.Finding)
        out.add(node, EG.ofStudy, self.study.study)
        out.add(node, EG.outcome, outcome)
        out.add(node, PROV.wasDerivedFrom, self.study.record)
        out.add(node, EG.effectMeasure, EGV.Count)
        out.add(node, EG.direction, EGV.NotComparative)
        out.add(node, EG.value, Literal(Decimal(affected)))
        out.add(node, EG.unit, EGV.Participants)
        if at_risk is not None and at_risk >= 0:
            out.add(node, EG.denominator, Literal(at_risk, datatype=XSD.integer))
        if arm is not None:
            out.add(node, EG.experimentalGroup, arm)

    def _adverse_event(
        self,
        outcome: URIRef,
        kind: str,
        index: int,
        event: dict[str, Any],
        risk: URIRef,
        groups: dict[str, tuple[str, URIRef | None]],
        stats: dict[str, Any],
        module: dict[str, Any],
    ) -> None:
        affected, at_risk = integer(stats.get("numAffected")), integer(stats.get("numAtRisk"))
        if affected is None:
            return
        out = self.out
        group_id = str(stats.get("groupId"))
        title, arm = groups.get(group_id, (group_id, None))
        node = self.study.at("finding", f"{kind}-event-{index}-{slug(group_id)}")
        self._adverse_finding(node, outcome, affected, at_risk, arm)
        out.add(node, EG.adverseEvent, risk)
        out.text(node, EG.timeFrame, module.get("timeFrame"))
        out.text(node, EG.organSystem, event.get("organSystem"))
        out.text(node, EG.sourceVocabulary, event.get("sourceVocabulary"))
        assessment = code(event.get("assessmentType") or "")
        if assessment in ASSESSMENT:
            out.add(node, EG.systematicAssessment, Literal(ASSESSMENT[assessment]))
        elif assessment:
            out.unmapped(node, "adverseEvents.assessmentType", assessment)
        term = str(event.get("term") or "").strip()
        of = f" of {at_risk}" if at_risk is not None else ""
        out.text(
            node,
            EG.statement,
            f"{kind.capitalize()} adverse event {term}, {title}: {affected}{of} affected",
        )

    def _group_total(
        self,
        outcome: URIRef,
        kind: str,
        group: dict[str, Any],
        groups: dict[str, tuple[str, URIRef | None]],
        module: dict[str, Any],
    ) -> None:
        """A group's count of participants who died, or had any serious or other event."""
        affected = integer(group.get(f"{kind}NumAffected"))
        if affected is None or affected < 0:
            return
        at_risk = integer(group.get(f"{kind}NumAtRisk"))
        group_id = str(group.get("id"))
        title, arm = groups.get(group_id, (group_id, None))
        node = self.study.at("finding", f"{kind}-total-{slug(group_id)}")
        self._adverse_finding(node, outcome, affected, at_risk, arm)
        self.out.text(node, EG.timeFrame, module.get("timeFrame"))
        what = "died (all causes)" if kind == "deaths" else f"had any {kind} adverse event"
        of = f" of {at_risk}" if at_risk is not None else ""
        self.out.text(node, EG.statement, f"Participants who {what}, {title}: {affected}{of}")


#: The registry's assessment type -> whether the event was assessed systematically.
ASSESSMENT = {"SYSTEMATIC_ASSESSMENT": True, "NON_SYSTEMATIC_ASSESSMENT": False}


def _overall_groups(groups: list[dict[str, Any]]) -> set[str]:
    """The ids of the baseline groups that stand for all participants: the registry's total
    group (the last, titled Total or described as the total of all reporting groups), or the
    only group there is."""
    if len(groups) == 1:
        return {str(groups[0].get("id"))}
    if not groups:
        return set()
    last = groups[-1]
    title = normalise_name(str(last.get("title") or ""))
    description = str(last.get("description") or "").strip().lower()
    if title.startswith("total") or description.startswith("total of all reporting groups"):
        return {str(last.get("id"))}
    return set()


def _denominators(denoms: list[Any]) -> dict[str, dict[str, int]]:
    """The registry's denominators: units -> group id -> count (counts that are not whole
    numbers of zero or more are left out)."""
    by_units: dict[str, dict[str, int]] = {}
    for denom in denoms:
        if not isinstance(denom, dict):
            continue
        counts = by_units.setdefault(str(denom.get("units") or ""), {})
        for count in get_list(denom, "counts"):
            value = integer(count.get("value")) if isinstance(count, dict) else None
            if value is not None and value >= 0:
                counts[str(count.get("groupId"))] = value
    return by_units
