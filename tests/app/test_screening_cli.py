"""``riskdesk screening``: load a list, screen a name, follow the rescreening it starts."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.cli import cli
from tests.app.test_screening import OFAC_LINE, SMALL_LIST


def test_check_prints_status_and_matches_as_json_and_exits_0(engine):
    result = CliRunner().invoke(cli, ["screening", "check", "--name", "Xhevat Ademi",
                                      "--dob", "1962-12-08", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["status"] == "potential_match"
    top = answer["matches"][0]
    assert (top["entry_id"], top["name"]) == ("7647", "ADEMI, Xhevat")
    assert top["score"] >= 0.85 and "name_similarity" in top["features"]
    clear = CliRunner().invoke(cli, ["screening", "check", "--name", "Alex Example", "--json"])
    assert clear.exit_code == 0
    assert json.loads(clear.output)["status"] == "clear"


def test_check_refuses_a_malformed_date_or_an_overlong_name_with_exit_2(engine):
    result = CliRunner().invoke(cli, ["screening", "check", "--name", "A B", "--dob", "8/12/62"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
    long = CliRunner().invoke(cli, ["screening", "check", "--name", "x" * 201])
    assert long.exit_code == 2 and "200 characters" in long.output


def test_load_reports_a_malformed_line_and_keeps_the_version_in_force(engine, tmp_path):
    good = tmp_path / "sdn.csv"
    good.write_bytes(SMALL_LIST.encode() + b"\x1a")  # OFAC's file ends with a DOS EOF byte
    shrinks = CliRunner().invoke(cli, ["screening", "load", "--list", "ofac-sdn", str(good)])
    assert shrinks.exit_code == 2 and "list_shrinks" in shrinks.output  # 2 against 6,854
    first = CliRunner().invoke(cli, ["screening", "load", "--list", "ofac-sdn", str(good),
                                     "--allow-shrink", "--json"])
    assert first.exit_code == 0, first.output
    loaded = json.loads(first.output)
    assert (loaded["entries"], loaded["problems"]) == (2, [])
    runs = CliRunner().invoke(cli, ["screening", "rescreens", "--json"])
    assert json.loads(runs.output)[0]["state"] == "done"

    bad = tmp_path / "sdn-bad.csv"
    bad.write_bytes((SMALL_LIST + '3,"DOE, Jane","individual"\r\n'
                     + OFAC_LINE.format(ent=4, name="ROE, Jane", dob="1960")).encode())
    refused = CliRunner().invoke(cli, ["screening", "load", "--list", "ofac-sdn", str(bad),
                                       "--allow-shrink"])
    assert refused.exit_code == 2
    assert "line 3" in refused.output and "list_problems" in refused.output
    listed = json.loads(CliRunner().invoke(cli, ["screening", "lists", "--json"]).output)
    assert [v["list_id"] for v in listed] == [loaded["list_id"]]

    again = CliRunner().invoke(cli, ["screening", "load", "--list", "ofac-sdn", str(good)])
    assert again.exit_code == 0 and "nothing loaded" in again.output
    unknown = CliRunner().invoke(cli, ["screening", "load", "--list", "un-list", str(good)])
    assert unknown.exit_code == 2 and "unknown_list" in unknown.output
    twice = tmp_path / "sdn-twice.csv"
    twice.write_bytes((SMALL_LIST + OFAC_LINE.format(ent=2, name="DOE, Jane", dob="1960"))
                      .encode())
    repeated = CliRunner().invoke(cli, ["screening", "load", "--list", "ofac-sdn", str(twice),
                                        "--allow-shrink"])
    assert repeated.exit_code == 2 and "list_duplicate_ids" in repeated.output


def test_an_opensanctions_export_is_screened_beside_the_ofac_list(engine, tmp_path):
    from pathlib import Path

    export = Path(__file__).parents[1] / "risk_models" / "data" / "opensanctions_targets_simple.csv"
    # The test export has an unreadable date and a short line: reported, loaded on request.
    refused = CliRunner().invoke(cli, ["screening", "load", "--list", "opensanctions",
                                       str(export)])
    assert refused.exit_code == 2 and "line 6" in refused.output
    loaded = CliRunner().invoke(cli, ["screening", "load", "--list", "opensanctions",
                                      str(export), "--accept-problems"])
    assert loaded.exit_code == 0, loaded.output
    assert "line 7: expected 15 columns, found 5" in loaded.output
    listed = json.loads(CliRunner().invoke(cli, ["screening", "lists", "--json"]).output)
    assert [(v["list_name"], v["bundled"], v["problems"]) for v in listed] == [
        ("ofac-sdn", True, 0), ("opensanctions", False, 2)]
    found = json.loads(CliRunner().invoke(cli, ["screening", "check", "--name",
                                                "Ivan Sidorov", "--json"]).output)
    assert [(m["list_name"], m["entry_id"]) for m in found["matches"]][:1] == [
        ("opensanctions", "NK-example-person")]
