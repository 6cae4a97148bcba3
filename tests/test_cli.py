"""The command line contract: exit codes, one-line errors, status, parsers, db upgrade."""

from __future__ import annotations

from pathlib import Path

import pytest

from fanarchive.cli import main


def test_missing_path_exits_1_with_one_line_reason(sqlite_url: str, capsys) -> None:
    assert main(["--db", sqlite_url, "import", "/no/such/place"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["fanarchive: /no/such/place: no such file or folder"]


def test_bad_option_exits_1(sqlite_url: str, capsys) -> None:
    assert main(["--db", sqlite_url, "import", "--no-such-option", "x"]) == 1
    assert "No such option" in capsys.readouterr().err


def test_unknown_parser_exits_1(sqlite_url: str, seed_file: Path, capsys) -> None:
    assert main(["--db", sqlite_url, "import", str(seed_file), "--parser", "nope"]) == 1
    assert "no parser named 'nope'" in capsys.readouterr().err


def test_unreachable_database_exits_1(capsys) -> None:
    code = main(["--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/x", "status"])
    assert code == 1
    err = capsys.readouterr().err
    assert "cannot reach database" in err
    assert "secret" not in err


def test_db_upgrade_then_up_to_date(sqlite_url: str, capsys) -> None:
    assert main(["--db", sqlite_url, "db", "upgrade"]) == 0
    assert "Upgraded" in capsys.readouterr().out
    assert main(["--db", sqlite_url, "db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_parsers_lists_builtin_plaintext(capsys) -> None:
    assert main(["parsers"]) == 0
    assert "plaintext" in capsys.readouterr().out


def test_status_shows_runs_and_errors(sqlite_url: str, tmp_path: Path, seed_file: Path,
                                      capsys) -> None:
    (tmp_path / "seed" / "empty.txt").write_bytes(b"")
    assert main(["--db", sqlite_url, "import", "-q", str(seed_file.parent)]) == 0
    out = capsys.readouterr().out
    assert "1 new" in out and "1 failed" in out
    assert main(["--db", sqlite_url, "status"]) == 0
    out = capsys.readouterr().out
    assert "1 stories" in out
    assert "empty.txt" in out


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_missing_folder_is_a_clear_error(sqlite_url: str, fmt: str, capsys) -> None:
    assert main(["--db", sqlite_url, "export", "--format", fmt, "-o", "/no/such/dir/x"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_default_database_lives_in_the_data_folder(tmp_path: Path, monkeypatch,
                                                   seed_file: Path) -> None:
    monkeypatch.delenv("FANARCHIVE_DB", raising=False)
    monkeypatch.setenv("FANARCHIVE_HOME", str(tmp_path / "home"))
    assert main(["import", "-q", str(seed_file)]) == 0
    assert (tmp_path / "home" / "fanarchive.sqlite3").exists()


def test_status_hints_at_gated_stories(sqlite_url: str, site_factory, capsys) -> None:
    site = site_factory("efiction", stories=8, max_chapters=2)
    assert main(["--db", sqlite_url, "import", "-q", site.url + "/", "--delay", "0",
                 "--allow-private", "--ignore-crawl-delay"]) == 0
    capsys.readouterr()
    assert main(["--db", sqlite_url, "status"]) == 0
    out = capsys.readouterr().out
    assert "stories gated in run 1" in out and "--adult" in out
    assert "need a login" in out
