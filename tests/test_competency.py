"""The ten competency questions on the curated evidence; expected answers come from FACTS.md."""

from __future__ import annotations

from decimal import Decimal

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.network import project, resolve, shortest_paths
from support import rows

ID = "https://w3id.org/evidencegraph/id/"
KARE = ID + "study/NCT02649231"
DAKWAR = ID + "study/dakwar-2019"
COLUMBIA = ID + "study/NCT04084860"
YOON = ID + "study/yoon-2019"


def test_cq1_flagship_finds_kare_dakwar_and_columbia_not_yoon(built: EvidenceGraph) -> None:
    found = rows(built, "drug-with-psychotherapy")
    trials = {row["trial"] for row in found}
    assert trials == {KARE, DAKWAR, COLUMBIA}
    assert YOON not in trials  # its arm pairs ketamine with naltrexone, not a therapy
    by_trial = {row["trial"]: row for row in found}
    assert "NCT02649231" in by_trial[KARE]["registryIds"]
    assert "2015-000222-11" in by_trial[KARE]["registryIds"]
    assert "relapse" in by_trial[KARE]["therapy"].lower()
    assert "saline" in by_trial[KARE]["comparator"].lower()
    # Dakwar's registry link is inferred, and is shown as such
    assert "NCT02539511" in by_trial[DAKWAR]["registryIds"]
    assert "inferred" in by_trial[DAKWAR]["registryIds"]
    assert "midazolam" in by_trial[DAKWAR]["comparator"].lower()
    assert "motivational enhancement" in by_trial[DAKWAR]["therapy"].lower()
    therapies = by_trial[COLUMBIA]["therapy"].lower()
    assert (
        "motivational enhancement" in therapies
        and "mindfulness-based relapse prevention" in therapies
    )
    assert "midazolam" in by_trial[COLUMBIA]["comparator"].lower()
    assert all(row["sources"] for row in found)


def test_cq1_drug_parameter_is_case_insensitive_and_selective(built: EvidenceGraph) -> None:
    assert {r["trial"] for r in rows(built, "drug-with-psychotherapy", drug="KETAMINE")} == {
        KARE,
        DAKWAR,
        COLUMBIA,
    }
    # midazolam is paired with therapy in the comparator arms of Dakwar and NCT04084860
    assert {r["trial"] for r in rows(built, "drug-with-psychotherapy", drug="midazolam")} == {
        DAKWAR,
        COLUMBIA,
    }
    assert rows(built, "drug-with-psychotherapy", drug="naltrexone") == []


def test_cq2_kare_outcomes_with_values_intervals_and_sources(built: EvidenceGraph) -> None:
    found = rows(built, "outcomes-for-drug")
    kare = [r for r in found if r["study"].startswith("Adjunctive Ketamine")]
    intervals = {
        (Decimal(r["value"]), Decimal(r["ciLower"]), Decimal(r["ciUpper"]))
        for r in kare
        if "ciLower" in r
    }
    assert (Decimal("10.1"), Decimal("1.1"), Decimal("19.0")) in intervals
    assert (Decimal("15.9"), Decimal("3.8"), Decimal("28.1")) in intervals
    assert (Decimal("4.2"), Decimal("-6.7"), Decimal("15.2")) in intervals
    assert (Decimal("0.80"), Decimal("0.31"), Decimal("2.10")) in intervals  # relapse odds ratio
    relapse = [r for r in kare if r["outcome"] == "relapse"]
    assert relapse and all(r["direction"] == "no significant difference" for r in relapse)
    assert all("6 months" in r["timeFrame"] for r in kare if "ciLower" in r)
    assert all(r["source"] for r in found)
    dakwar = [r for r in found if r["study"].startswith("A Single Ketamine Infusion")]
    assert dakwar and all("midazolam" in r["comparator"].lower() for r in dakwar)


def test_cq3_claims_only_from_non_peer_reviewed_sources(built: EvidenceGraph) -> None:
    found = rows(built, "claims-not-peer-reviewed")
    claims = {r["claim"] for r in found}
    assert ID + "claim/000/yale-2019-study" in claims
    assert ID + "claim/000/cost-400-800-per-infusion" in claims
    # backed by a peer-reviewed source: the 96 participants (KARE journal article)
    assert ID + "claim/000/participants-96-severe-aud" not in claims
    assert all(
        "Seed article" in r["source"] or "press release" in r["source"].lower() for r in found
    )


def test_cq4_misreported_and_unsupported_claims_with_what_the_primary_source_says(
    built: EvidenceGraph,
) -> None:
    found = rows(built, "misreported-claims")
    by_claim: dict[str, list[dict[str, str]]] = {}
    for row in found:
        by_claim.setdefault(row["claim"], []).append(row)
    rate = by_claim[ID + "claim/000/result-86-abstinence-rate"]
    assert rate[0]["status"] == "misreported"
    assert any("86" in r.get("primarySays", "") and "days" in r["primarySays"] for r in rate)
    awakn = by_claim[ID + "claim/000/awakn-trial-uk-2021"]
    assert awakn[0]["status"] == "misreported"
    note = awakn[0]["note"]
    assert "Medical Research Council" in note or "MRC" in note
    assert "University College London" in note or "UCL" in note
    for unsupported in ("yale-2019-study", "nyu-langone-ongoing-trial"):
        assert by_claim[ID + f"claim/000/{unsupported}"][0]["status"] == "unsupported"
    yale = by_claim[ID + "claim/000/yale-2019-study"]
    assert any("closest real study" in r.get("primarySays", "") for r in yale)
    placebo = by_claim[ID + "claim/002/ajp-study-drinking-days-vs-placebo"]
    assert placebo[0]["status"] == "ambiguous referent"
    assert any("midazolam" in r.get("primarySays", "").lower() for r in placebo)


def test_cq5_commercial_interest(built: EvidenceGraph) -> None:
    found = rows(built, "commercial-interests")
    parties = {r["party"]: r for r in found}
    assert parties["GJDSG"]["kind"] == "brand mention"
    assert "brought to you by GJDSG" in parties["GJDSG"]["quote"]
    assert parties["GJDSG"]["peerReviewed"] == "false"


def test_cq6_best_evidence_is_moderate_from_kare_and_dakwar(built: EvidenceGraph) -> None:
    (answer,) = rows(built, "best-evidence")
    assert answer["bestLevel"] == "moderate certainty"
    assert (
        "Adjunctive Ketamine" in answer["studies"]
        and "Single Ketamine Infusion" in answer["studies"]
    )
    assert int(answer["participants"]) == 96 + 40  # KARE randomised 96, Dakwar 40


def test_cq7_ongoing_trials(built: EvidenceGraph) -> None:
    found = {r["trial"]: r for r in rows(built, "ongoing-trials")}
    assert COLUMBIA in found
    assert KARE not in found and DAKWAR not in found  # completed
    assert ID + "study/NCT05661669" not in found  # withdrawn


def test_cq8_risks_and_who_names_them(built: EvidenceGraph) -> None:
    found = rows(built, "risks")
    named = {r["risk"] for r in found}
    assert {
        "addiction potential",
        "hallucinations",
        "nausea",
        "dizziness",
        "confusion",
        "unregulated providers",
    } <= named
    assert any("cost" in risk for risk in named)
    assert {r["source"][:14] for r in found} == {"Seed article 0"}
    assert any("002" in r["source"] and "dependency" in r["quote"] for r in found)


def test_cq9_other_treatments(built: EvidenceGraph) -> None:
    named = {r["treatment"].lower() for r in rows(built, "other-treatments")}
    assert {
        "naltrexone",
        "acamprosate",
        "cognitive behavioural therapy",
        "motivational interviewing",
        "12-step programme",
        "smart recovery",
        "ketamine-assisted psychotherapy",
        "outpatient infusion programme",
    } <= named
    assert "ketamine" not in named


def test_cq10_links_and_network_path_from_ketamine_to_days_abstinent(built: EvidenceGraph) -> None:
    links = rows(built, "intervention-outcome-links")
    assert any(r["outcome"] == "percentage of days abstinent" for r in links)
    projection = project(built.store)
    start = resolve(projection, "ketamine")
    end = resolve(projection, "percentage of days abstinent")
    assert start == ID + "drug/ketamine"
    assert shortest_paths(projection, start, end)
    # Set the claims aside and the path runs through the trial's own structure.
    claims = [n for n, data in projection.nodes(data=True) if data["type"] == "eg:Claim"]
    structure = projection.subgraph(set(projection) - set(claims))
    paths = shortest_paths(structure, start, end)  # type: ignore[arg-type]
    assert paths
    predicates = [step.predicate for step in paths[0]]
    assert predicates[:2] == ["eg:drug", "eg:receives"]
    assert predicates[-1] in {"eg:outcome", "eg:hasOutcome"}
