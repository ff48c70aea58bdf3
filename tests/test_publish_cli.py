"""`publish`'s bad input: a clear message, the documented exit code, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph


@pytest.mark.parametrize("kind", ["claimreview", "fhir", "nanopub"])
def test_a_store_without_checked_claims(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["--store", "memory:", "publish", kind, str(out)])
    assert result.exit_code == 3
    assert "holds no checked claim" in result.output
    assert "evidencegraph build" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_out_in_a_folder_that_does_not_exist(built: EvidenceGraph, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "bundle.json"
    result = CliRunner().invoke(
        cli, ["--store", built.store.descriptor, "publish", "fhir", str(missing)]
    )
    assert result.exit_code == 3
    assert "cannot write" in result.output and "no-such-folder" in result.output


def test_a_read_only_folder_keeps_the_old_file(built: EvidenceGraph, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "reviews.json").write_text("old")
    folder.chmod(0o500)
    try:
        result = CliRunner().invoke(
            cli,
            [
                "--store",
                built.store.descriptor,
                "publish",
                "claimreview",
                str(folder / "reviews.json"),
            ],
        )
    finally:
        folder.chmod(0o700)
    if result.exit_code == 0:  # root writes anywhere: nothing to test then
        pytest.skip("running as root, the folder stays writable")
    assert result.exit_code == 3
    assert (folder / "reviews.json").read_text() == "old"
    assert [p.name for p in folder.iterdir()] == ["reviews.json"]


def test_a_claim_that_is_not_checked(built: EvidenceGraph, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            built.store.descriptor,
            "publish",
            "fhir",
            str(tmp_path / "b.json"),
            "--claim",
            "egid:claim/000/fda-approval-1970",
        ],
    )
    assert result.exit_code == 2
    assert "claim/000/fda-approval-1970 is not a checked claim" in result.output


def test_one_claim_only(built: EvidenceGraph) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            built.store.descriptor,
            "publish",
            "claimreview",
            "-",
            "--claim",
            "egid:claim/000/yale-2019-study",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count('"@type": "ClaimReview"') == 1


def test_a_signing_key_that_is_no_key(built: EvidenceGraph, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n")
    out = tmp_path / "n.trig"
    result = CliRunner().invoke(
        cli,
        ["--store", built.store.descriptor, "publish", "nanopub", str(out), "--sign-key", str(key)],
    )
    assert result.exit_code == 3
    assert "holds no RSA private key" in result.output
    assert not out.exists()
