"""Automated Archive: ARCHIVE_DB.pl read as data, records with their story files, the parser."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from fanarchive_parsers.automated_archive import AutomatedArchiveRecordParser

from fanarchive.config import Config
from fanarchive.document import Document
from fanarchive.errors import ItemError, ParseError
from fanarchive.normalize import NormalizeContext, normalize_story
from fanarchive.sources.automated_archive import (
    AA_MEDIA_TYPE,
    iter_automated_archive_documents,
    looks_like_automated_archive,
)
from fanarchive.sources.perl_data import PerlSyntaxError, iter_hash_entries, parse_value


@pytest.fixture
def aa_dir(tmp_path: Path, fixtures_dir: Path) -> Path:
    target = tmp_path / "aa"
    shutil.copytree(fixtures_dir / "aa", target)
    return target


def records(aa_dir: Path, config: Config) -> tuple[dict[str, Document], list[ItemError]]:
    docs: dict[str, Document] = {}
    errors: list[ItemError] = []
    for item in iter_automated_archive_documents(aa_dir, config):
        if isinstance(item, ItemError):
            errors.append(item)
        else:
            docs[item.locator.rsplit("#", 1)[1]] = item
    return docs, errors


# -- the Perl reader -------------------------------------------------------------------------


def test_perl_literals() -> None:
    assert parse_value(r"""{ 'a' => 'it\'s', "b" => "tab\there \"q\" \x41\x{263A} \$x",
                            c => [1, -2.5, 0x1F, 1_000], d => undef, 'e' => q(a (b) c),
                            f => qq{x\ny}, # comment
                            g => q!bang! }""") == {
        "a": "it's", "b": 'tab\there "q" A\u263a $x', "c": [1, -2.5, 31, 1000], "d": None,
        "e": "a (b) c", "f": "x\ny", "g": "bang"}
    assert parse_value(r"'back\\slash \n stays'") == "back\\slash \\n stays"


def test_code_is_never_run_only_rejected() -> None:
    with pytest.raises(PerlSyntaxError, match="line 1"):
        parse_value("{ 'Title' => system('rm -rf /') }")
    with pytest.raises(PerlSyntaxError):
        parse_value("{ 'Title' => `id` }")
    entries = list(iter_hash_entries(
        "%FILES = (\n'a' => { 'T' => 'x' . `id` },\n'b' => { 'T' => 'ok' },\n);", "FILES"))
    assert entries[0].error is not None and entries[0].key == "a"
    assert entries[1].value == {"T": "ok"}


def test_unescaped_quotes_pod_and_end() -> None:
    text = ("=pod\n'not data\n=cut\n%FILES = (\n"
            "'k' => { 'Title' => 'Buffy's Day', 'Summary' => 'She said 'no', then left' },\n"
            ");\n__END__\n'garbage\n")
    (entry,) = iter_hash_entries(text, "FILES")
    assert entry.value == {"Title": "Buffy's Day", "Summary": "She said 'no', then left"}
    assert entry.line == 5 and len(entry.repairs) == 3


def test_no_hash_is_an_error() -> None:
    with pytest.raises(PerlSyntaxError):
        list(iter_hash_entries("$x = 1;\n", "FILES"))


# -- the source ------------------------------------------------------------------------------


def test_records_become_documents_with_their_story_bytes(aa_dir: Path, config: Config) -> None:
    assert looks_like_automated_archive(aa_dir)
    assert looks_like_automated_archive(aa_dir / "ARCHIVE_DB.pl")
    docs, errors = records(aa_dir, config)
    assert set(docs) == {"following", "xf-one", "missing", "offsite", "oldpath", "escape"}
    (broken,) = errors
    assert broken.code == "aa-record" and broken.locator.endswith("#broken")
    assert "line" in broken.reason

    following = json.loads(docs["following"].content)
    assert docs["following"].media_type == AA_MEDIA_TYPE
    assert following["fields"]["Pairing"] == "B/S"
    assert list(following["fields"])[:3] == ["Title", "Author", "Email"]  # order as written
    (file,) = following["files"]
    assert file["path"] == "archive/katjen/following.html"
    raw = (aa_dir / "archive/katjen/following.html").read_bytes()
    assert base64.b64decode(file["content_base64"]) == raw

    xf = json.loads(docs["xf-one"].content)
    assert xf["fields"]["Author"] == "Dana O'Brien" and xf["repairs"]
    assert base64.b64decode(xf["files"][0]["content_base64"]) == (
        aa_dir / "archive/xf/one.txt").read_bytes()  # cp1252 bytes kept as they are

    old = json.loads(docs["oldpath"].content)
    assert old["files"][0]["path"] == "archive/misc/upper.html"  # server path, other case
    assert old["fields"]["Words"] == 1205 and old["fields"]["Series"] is None

    assert json.loads(docs["missing"].content)["missing"][0]["location"] == "archive/gone/story"
    assert json.loads(docs["escape"].content)["files"] == []  # never outside the archive
    assert json.loads(docs["offsite"].content)["external_url"].startswith("http://www.geo")


def test_size_cap(aa_dir: Path) -> None:
    config = Config(data={"fanarchive": {"limits": {"max_document_bytes": 100}}})
    _, errors = records(aa_dir, config)
    assert {e.code for e in errors} == {"aa-record", "too-large"}


# -- the parser ------------------------------------------------------------------------------


def parse(doc: Document):  # type: ignore[no-untyped-def]
    return AutomatedArchiveRecordParser().parse(doc)


def test_parser_maps_fields_and_text(aa_dir: Path, config: Config) -> None:
    docs, _ = records(aa_dir, config)
    parser = AutomatedArchiveRecordParser()
    assert parser.detect(docs["following"]) == 1.0
    assert parser.detect(Document(content=b"x", locator="a.txt")) == 0.0

    (story,) = parse(docs["following"]).stories
    assert story.fields["title"] == "Following" and story.fields["authors"] == "Katjen"
    assert story.fields["relationships"] == "B/S" and story.fields["categories"] == "BtVS"
    assert story.fields["published"] == "2000-02-01"  # PrintTime wins, as Open Doors reads it
    assert story.raw_headers["Date"] == "01/30/00" and story.raw_headers["FileType"] == "html"
    (chapter,) = story.chapters
    assert chapter.text.startswith("He has left a groove")  # the repeated header block is gone
    assert "Title:" not in chapter.text and "\"I am home, Slayer.\"" in chapter.text
    assert "corner, the same cigarette, the same shadow" in chapter.text

    (xf,) = parse(docs["xf-one"]).stories
    assert xf.fields["title"] == "Mulder's Last Case" and (xf.part, xf.part_of) == (1, 2)
    assert xf.fields["email"] == "DOB@Example.NET"
    # the title/"by" lines repeat the record; the cp1252 dash is decoded
    assert xf.chapters[0].text.startswith("The file was gone. Scully said nothing \u2013 she")
    normalized = normalize_story(xf, NormalizeContext(config=config))
    assert normalized.summary == "Scully doesn't believe a word of it. A case file goes missing."
    assert normalized.published == "1999-12-24"
    assert normalized.rating.canonical == "Mature"
    assert any(f.code == "aa-record-repaired" for f in normalized.quality_flags)


def test_missing_story_file_fails_with_a_reason(aa_dir: Path, config: Config) -> None:
    docs, _ = records(aa_dir, config)
    with pytest.raises(ParseError, match="archive/gone/story") as caught:
        parse(docs["missing"])
    assert caught.value.code == "missing-chapter"
    result = parse(docs["offsite"])
    assert result.page_kind == "bookmark" and result.stories == []


def test_some_files_missing_is_a_flag(aa_dir: Path, config: Config) -> None:
    db = aa_dir / "ARCHIVE_DB.pl"
    db.write_text("%FILES = (\n'two' => { 'Title' => 'Two Files', 'Author' => 'A',\n"
                  "  'Location' => ['archive/misc/upper', 'archive/misc/lost'],\n"
                  "  'FileType' => 'html' },\n);\n1;\n")
    docs, errors = records(aa_dir, config)
    assert errors == []
    (story,) = parse(docs["two"]).stories
    assert len(story.chapters) == 1
    assert [f.code for f in story.flags] == ["missing-chapter"]
