"""The story the project was designed around, through the whole pipeline and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from fanarchive.cli import main
from fanarchive.export.schema import validate_record


def _export(db: str, out: Path) -> list[dict]:
    assert main(["--db", db, "export", "--format", "jsonl", "-o", str(out)]) == 0
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


def test_seed_story_exports_every_field(seed_file: Path, sqlite_url: str, tmp_path: Path) -> None:
    code = main(["--db", sqlite_url, "import", str(seed_file), "-q",
                 "--fandom", "Buffy the Vampire Slayer"])
    assert code == 0
    [record] = _export(sqlite_url, tmp_path / "out.jsonl")
    validate_record(record)

    assert record["title"] == "Following"
    assert record["authors"] == [{"name": "Katjen", "email": None}]
    assert record["rating"] == {"raw": "Strong PG13", "canonical": "Teen And Up Audiences"}
    assert record["fandoms"] == ["Buffy the Vampire Slayer"]
    assert record["relationships"] == ["Buffy Summers/Spike"]
    assert record["summary"] == (
        "Tag to Tabula Rasa - Spike's thoughts and maybe if I get around to it, "
        "Buffy's as well"
    )
    assert record["notes"] == 'Lyrics from "Following" by the Bangles'
    assert record["disclaimer"] == "Me no own. You no sue, okay?"

    epigraph = record["epigraph"]
    assert epigraph.startswith("You think I'm crazy or something")
    assert epigraph.rstrip().endswith("Why do your eyes follow me the way they do")

    [chapter] = record["chapters"]
    assert chapter["text"].startswith("He has left a groove in the tree")
    assert chapter["text"].endswith("She comes to him now.")
    assert "You think I'm crazy" not in chapter["text"]
    assert "Disclaimer" not in chapter["text"]
    assert record["word_count"] == chapter["word_count"] > 2500

    flags = {f["code"]: f["detail"] for f in record["quality_flags"]}
    assert "punctuation-lost" in flags
    for joined in ("thereand", "youbut", "backcoming"):
        assert joined in flags["punctuation-lost"]
    assert "chainsmoking" not in flags["punctuation-lost"]
    # Damage is flagged, never repaired: the bytes' words stay as they were.
    assert "be thereand now nothing" in chapter["text"]

    assert record["raw_headers"]["Rating"] == "Strong PG13"
    assert record["raw_headers"]["Pairing"] == "B/S"
    [source] = record["sources"]
    assert source["path"] == str(seed_file)
    assert source["parser"] == "plaintext"
    assert len(source["sha256"]) == 64


def test_reimport_is_idempotent(seed_file: Path, sqlite_url: str, tmp_path: Path,
                                capsys) -> None:
    from sqlalchemy import create_engine, text

    assert main(["--db", sqlite_url, "import", str(seed_file), "-q"]) == 0
    engine = create_engine(sqlite_url)
    tables = ("stories", "revisions", "chapters", "texts", "blobs", "documents",
              "story_sources", "authors", "tags", "quality_flags")

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"select count(*) from {t}")).scalar_one() for t in tables}

    before = counts()
    capsys.readouterr()
    assert main(["--db", sqlite_url, "import", str(seed_file), "-q"]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert counts() == before
    first = _export(sqlite_url, tmp_path / "a.jsonl")
    second = _export(sqlite_url, tmp_path / "b.jsonl")
    assert first == second
    engine.dispose()
