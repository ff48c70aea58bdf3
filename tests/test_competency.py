"""The ten competency questions on the curated evidence; expected answers come from FACTS.md."""

from __future__ import annotations

from decimal import Decimal

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.network import project, resolve, shortest_paths, without_claims
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
    by_claim = {row["claim"]: row for row in rows(built, "misreported-claims")}
    rate = by_claim[ID + "claim/000/result-86-abstinence-rate"]
    assert rate["status"] == "misreported"
    assert "86" in rate["primarySays"] and "days" in rate["primarySays"]
    awakn = by_claim[ID + "claim/000/awakn-trial-uk-2021"]
    assert awakn["status"] == "misreported"
    # the primary record says who ran it: UCL sponsored, the Medical Research Council funded
    assert "University College London" in awakn["primarySays"]
    assert "Medical Research Council" in awakn["primarySays"]
    for unsupported in ("yale-2019-study", "nyu-langone-ongoing-trial"):
        assert by_claim[ID + f"claim/000/{unsupported}"]["status"] == "unsupported"
    assert "closest real study" in by_claim[ID + "claim/000/yale-2019-study"]["primarySays"]
    placebo = by_claim[ID + "claim/002/ajp-study-drinking-days-vs-placebo"]
    assert placebo["status"] == "ambiguous referent"
    assert "midazolam" in placebo["primarySays"].lower()
    # claims the evidence bears out are not listed
    assert ID + "claim/000/participants-96-severe-aud" not in by_claim


def test_cq5_commercial_interest(built: EvidenceGraph) -> None:
    found = rows(built, "commercial-interests")
    parties = {r["party"]: r for r in found}
    # the brand behind article 000, and the company's own release on KARE (FACTS.md (a))
    assert set(parties) == {"GJDSG", "Awakn Life Sciences"}
    assert parties["GJDSG"]["kind"] == "brand mention"
    assert "brought to you by GJDSG" in parties["GJDSG"]["quote"]
    assert parties["GJDSG"]["peerReviewed"] == "false"
    assert parties["Awakn Life Sciences"]["kind"] == "company release"


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
    # FACTS.md: NCT04084860 is ongoing; KET-DUAL (NCT07247370) is not yet recruiting
    assert set(found) == {COLUMBIA, ID + "study/NCT07247370"}
    assert found[ID + "study/NCT07247370"]["status"] == "not yet recruiting"
    assert found[ID + "study/NCT07247370"]["verification"] == "unverified"
    assert found[COLUMBIA]["verification"] == "confirmed"


def test_cq8_risks_and_who_names_them(built: EvidenceGraph) -> None:
    found = rows(built, "risks")
    named = {r["risk"] for r in found}
    # the risks FACTS.md lists as named in article 000
    assert {
        "addiction potential",
        "hallucinations",
        "nausea",
        "dizziness",
        "confusion",
        "unregulated providers",
    } <= named
    assert any("cost" in risk for risk in named)
    seed_labels = {
        str(row["label"])
        for row in built.query(
            "SELECT ?label WHERE { ?s a <https://w3id.org/evidencegraph/ontology#WebArticle> ; "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        ).rows
    }
    assert {r["source"] for r in found} == seed_labels
    assert any("dependency" in r["quote"] for r in found if "002" in r["source"])


def test_cq9_other_treatments(built: EvidenceGraph) -> None:
    named = {r["treatment"].lower() for r in rows(built, "other-treatments")}
    # the treatments FACTS.md lists as named in the articles, less the forms of ketamine itself
    assert {
        "naltrexone",
        "acamprosate",
        "cognitive behavioural therapy",
        "motivational interviewing",
        "12-step programme",
        "smart recovery",
    } <= named
    assert "ketamine" not in named
    assert "ketamine-assisted psychotherapy" not in named


def test_cq10_links_and_network_path_from_ketamine_to_days_abstinent(built: EvidenceGraph) -> None:
    links = rows(built, "intervention-outcome-links")
    assert any(r["outcome"] == "percentage of days abstinent" for r in links)
    projection = project(built.store)
    start = resolve(projection, "ketamine")
    end = resolve(projection, "percentage of days abstinent")
    assert start == ID + "drug/ketamine"
    assert shortest_paths(projection, start, end)
    # Set the claims aside and the path runs through the trial's own structure.
    paths = shortest_paths(without_claims(projection), start, end)
    assert paths
    predicates = [step.predicate for step in paths[0]]
    assert predicates[:2] == ["eg:drug", "eg:receives"]
    assert predicates[-1] in {"eg:outcome", "eg:hasOutcome"}
