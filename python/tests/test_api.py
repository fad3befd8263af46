"""The package gives the CLI's bytes: classify, score (dicts, lines, Arrow) and report, on the
seeds and on awkward rows, compared with the claimtrack binary's output."""

import json
import pathlib
import random

import pytest

import claimtrack

FORMATS = ["md", "json", "csv", "html"]

# Awkward rows: separators and controls inside text, CR LF, a BOM, a NUL, empty text (skipped
# with a warning), a numeric id, no id, non-ASCII outlets, metadata fields.
AWKWARD = [
    {"id": "sep", "outlet": "Le Monde", "date": "2024-02-01",
     "text": "Putin is open to talks,\u2028officials said.\u2029Analysts doubted it.\u0085US officials denied any overture."},
    {"id": "crlf", "outlet": "Süddeutsche Zeitung", "title": "Über Kanäle",
     "text": "Putin signalled he is open to a ceasefire.\r\n\r\nThe White House said it was unaware of any such message.\r\n"},
    {"id": "bom", "outlet": "Новая газета", "country": "ru",
     "text": "\ufeffKremlin intermediaries floated a ceasefire. Experts called it a ploy."},
    {"id": "nul", "outlet": "Le Monde", "text": "Officials\u0000 said Putin wants talks. Others were skeptical."},
    {"id": "empty", "outlet": "Le Monde", "text": ""},
    {"id": 42, "outlet": "東京新聞", "date": "2024-02-31", "text": "Putin may be open to talks, a source said."},
    {"outlet": "Le Monde", "text": "An article without an id.  It has two sentences."},
]


def jsonl(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def test_classify_matches_cli_on_awkward_sentences(cli, tmp_path):
    texts = [
        "Putin has signalled through back channels that he is open to talks.",
        "US officials said they were unaware of any such overture.",
        "Line\u2028separator and\u2029paragraph separator and \u0085 NEL.",
        "CR LF inside\r\nthe text, a BOM \ufeff and a NUL \u0000.",
        "",
        "Experts doubted that the Kremlin was sincere, calling it a ploy.",
    ]
    (tmp_path / "s.jsonl").write_bytes(jsonl({"text": t} for t in texts))
    code, out, err = cli("classify", "s.jsonl")
    assert code == 0, err
    lines = claimtrack.classify_lines(texts)
    assert "".join(l + "\n" for l in lines).encode() == out
    dicts = claimtrack.classify(texts, threads=2)
    assert [d["label"] for d in dicts] == [json.loads(l)["label"] for l in out.splitlines()]
    assert set(dicts[0]["probs"]) == set(claimtrack.LABELS)
    assert abs(sum(dicts[0]["probs"].values()) - 1.0) < 1e-9


def test_classify_article_decodes_like_cli(cli, tmp_path):
    texts = [
        "Putin sends signals he is open to a ceasefire, officials say.",
        "The White House denied receiving any such message.",
        "Analysts were skeptical.",
    ]
    (tmp_path / "a.jsonl").write_bytes(jsonl({"text": t, "article": "x"} for t in texts))
    code, out, err = cli("classify", "a.jsonl")
    assert code == 0, err
    got = claimtrack.classify(texts, article=True)
    want = [json.loads(l) for l in out.splitlines()]
    for g, w in zip(got, want):
        w.pop("article")
        assert g == w
    assert len(got) == len(want) == 3


def test_score_matches_cli_on_awkward_rows(cli, tmp_path):
    data = jsonl(AWKWARD)
    (tmp_path / "articles.jsonl").write_bytes(data)
    code, out, err = cli("score", "-q", "articles.jsonl")
    assert code == 0, err
    with pytest.warns(claimtrack.ClaimtrackWarning, match="no text"):
        got = claimtrack.score_jsonl(AWKWARD)
    assert got == out
    with pytest.warns(claimtrack.ClaimtrackWarning):
        dicts = claimtrack.score(AWKWARD)
    assert [d["json"] + "\n" for d in dicts] == out.decode().splitlines(keepends=True)
    assert [d["id"] for d in dicts] == ["sep", "crlf", "bom", "nul", "42", "articles:7"]
    assert dicts[1]["outlet"] == "Süddeutsche Zeitung"
    for d in dicts:
        assert -1.0 <= d["framing"]["score"] <= 1.0


def test_score_of_file_bytes_with_bom_and_crlf_matches_cli(cli, tmp_path):
    data = b"\xef\xbb\xbf" + jsonl(AWKWARD[:4]).replace(b"\n", b"\r\n")
    (tmp_path / "feed.jsonl").write_bytes(data)
    code, out, err = cli("score", "-q", "feed.jsonl")
    assert code == 0, err
    assert claimtrack.score_jsonl(data, source="feed.jsonl") == out


def test_duplicate_ids_are_an_error_like_cli(cli, tmp_path):
    rows = [{"id": "a", "text": "Putin is open to talks."}, {"id": "a", "text": "Denied."}]
    (tmp_path / "articles.jsonl").write_bytes(jsonl(rows))
    code, _, err = cli("score", "-q", "articles.jsonl")
    assert code == 2 and "articles.jsonl:2" in err
    with pytest.raises(ValueError, match=r"articles\.jsonl:2.*already used by articles\.jsonl:1"):
        claimtrack.score(rows)


def test_seed_files_score_and_report_match_cli(cli, seeds, tmp_path):
    files = claimtrack.input_files(seeds)
    assert [i for _, i in files] == sorted(p.stem for p in seeds.glob("*.txt"))
    lines = claimtrack.score_files(claimtrack.read_files(files), raw=True)
    code, out, err = cli("score", "-q", seeds)
    assert code == 0, err
    assert "".join(l + "\n" for l in lines).encode() == out
    # Parts in any order and split, with and without final newlines, give the CLI's report.
    parts = [lines[:2], "\n".join(lines[2:]).encode()]
    for fmt in FORMATS:
        code, want, err = cli("report", "-q", "--format", fmt, seeds)
        assert code == 0, err
        assert claimtrack.report(parts, format=fmt) == want, fmt
        assert claimtrack.report(parts[::-1], format=fmt) == want, fmt


def test_report_from_scores_matches_cli_with_options(cli, tmp_path):
    with pytest.warns(claimtrack.ClaimtrackWarning):
        scored = claimtrack.score(AWKWARD)
    shuffled = scored[:]
    random.Random(7).shuffle(shuffled)
    a, b = shuffled[:3], shuffled[3:]
    (tmp_path / "a.jsonl").write_text("".join(d["json"] + "\n" for d in a), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("".join(d["json"] + "\n" for d in b), encoding="utf-8")
    cases = [
        (["--format", "md"], dict(format="markdown")),
        (["--format", "json", "--group-by", "country", "--period", "week"],
         dict(format="json", group_by="country", period="week")),
        (["--format", "csv", "--per-article"], dict(format="csv", per_article=True)),
        (["--format", "csv", "--table", "summary"], dict(format="csv", table="summary")),
        (["--format", "html", "--highlight", "Le Monde", "--seed", "3", "--bootstrap", "200"],
         dict(format="html", highlight=["Le Monde"], seed=3, bootstrap=200)),
    ]
    for args, kwargs in cases:
        code, want, err = cli("report", "-q", "--from-scores", "a.jsonl", "b.jsonl", *args)
        assert code == 0, err
        with pytest.warns(claimtrack.ClaimtrackWarning, match="2024-02-31"):
            assert claimtrack.report([b, a], **kwargs) == want, args


def test_custom_model_bytes_match_cli_model_file(cli, tmp_path):
    model = pathlib.Path(__file__).resolve().parents[2] / "models" / "default.json"
    (tmp_path / "m.json").write_bytes(model.read_bytes())
    (tmp_path / "articles.jsonl").write_bytes(jsonl(AWKWARD[:3]))
    code, out, err = cli("score", "-q", "--model", "m.json", "--no-decode", "articles.jsonl")
    assert code == 0, err
    got = claimtrack.score_jsonl(AWKWARD[:3], model=model.read_bytes(), model_name="m.json",
                                 decode=False)
    assert got == out
    assert b"m.json (sha256 " in got


def test_bad_model_bytes_are_a_clear_error():
    with pytest.raises(ValueError, match="cannot load the model"):
        claimtrack.classify(["x"], model=b"{\"not\": \"a model\"}")


def test_score_arrow_columns_and_lines(tmp_path):
    pa = pytest.importorskip("pyarrow", reason="pyarrow is not installed")
    rows = [r for r in AWKWARD if r.get("text") and "id" in r and isinstance(r["id"], str)]
    table = pa.Table.from_pylist([{k: r.get(k) for k in ("id", "outlet", "date", "title", "text")}
                                  for r in rows])
    out = claimtrack.score_arrow(table.to_batches()[0])
    assert out.schema == claimtrack.arrow_schema()
    want = claimtrack.score([{k: v for k, v in r.items() if k in ("id", "outlet", "date", "title", "text")}
                             for r in rows])
    assert out.column("score_json").to_pylist() == [d["json"] for d in want]
    assert out.column("score").to_pylist() == [d["framing"]["score"] for d in want]
    first = out.column("sentences").to_pylist()[0]
    assert [s["text"] for s in first] == [s["text"] for s in want[0]["sentences"]]
    assert claimtrack.report(out, format="md") == claimtrack.report([want], format="md")


def test_threads_do_not_change_the_bytes(seeds):
    files = claimtrack.read_files(claimtrack.input_files(seeds))
    one = claimtrack.score_files(files, raw=True, threads=1)
    two = claimtrack.score_files(files, raw=True, threads=2)
    assert one == two
    with pytest.raises(ValueError, match="threads"):
        claimtrack.score_files(files, threads=0)


def test_partials_merge_and_finish_per_outlet_group_match_cli(cli, seeds, tmp_path):
    lines = claimtrack.score_files(claimtrack.read_files(claimtrack.input_files(seeds)), raw=True)
    # Three workers' partials, one article in two of them, a partial given twice.
    parts = [claimtrack.aggregate(lines[:2]), claimtrack.aggregate(lines[1:4]),
             claimtrack.aggregate(lines[4:])]
    (tmp_path / "p0.ctp").write_bytes(parts[0])
    code, _, err = cli("report", "-q", "--partial-out", "cli.ctp", "--from-scores", "-",
                       input="".join(l + "\n" for l in lines[:2]).encode())
    assert code == 0, err
    assert (tmp_path / "cli.ctp").read_bytes() == parts[0], "aggregate() writes the CLI's partial"
    merged = claimtrack.merge(parts[::-1] + [parts[1]])
    assert merged == claimtrack.merge([parts[1], merged, parts[0]]), "associative, duplicates once"
    # Finished per outlet group: each group holds some outlets' articles only.
    by_outlet = {}
    for line in lines:
        by_outlet.setdefault(json.loads(line)["outlet"], []).append(line)
    groups = list(by_outlet.values())
    finished = [claimtrack.merge([claimtrack.aggregate(g)], finish_outlets=True) for g in groups]
    for fmt in FORMATS:
        code, want, err = cli("report", "-q", "--format", fmt, seeds)
        assert code == 0, err
        assert claimtrack.report_partials(merged, format=fmt) == want, fmt
        assert claimtrack.report_partials(finished[::-1], format=fmt) == want, fmt
        assert claimtrack.report_partials([tmp_path / "p0.ctp"] + parts[1:], format=fmt) == want
    with pytest.raises(ValueError, match="partial 1"):
        claimtrack.merge([b"not a partial"])


def test_finish_periods_in_shares_match_cli(cli, seeds, tmp_path):
    lines = claimtrack.score_files(claimtrack.read_files(claimtrack.input_files(seeds)), raw=True)
    done = claimtrack.merge([claimtrack.aggregate(lines)], finish_outlets=True)
    (tmp_path / "done.ctp").write_bytes(done)
    shares = [claimtrack.finish_periods(done, share=(i, 3)) for i in range(3)]
    for i, got in enumerate(shares):
        code, _, err = cli("merge", "-q", "done.ctp", "--finish-periods", f"{i}/3",
                           "--out", f"periods-{i}.ctp")
        assert code == 0, err
        assert (tmp_path / f"periods-{i}.ctp").read_bytes() == got, i
    by_week = claimtrack.finish_periods(tmp_path / "done.ctp", period="week")
    code, _, err = cli("merge", "-q", "done.ctp", "--finish-periods", "0/1", "--period", "week",
                       "--out", "weeks.ctp")
    assert code == 0, err
    assert (tmp_path / "weeks.ctp").read_bytes() == by_week
    for fmt in FORMATS:
        code, want, err = cli("report", "-q", "--format", fmt, seeds)
        assert code == 0, err
        assert claimtrack.report_partials([done] + shares, format=fmt) == want, fmt
    with pytest.raises(ValueError, match="share"):
        claimtrack.finish_periods(done, share=(3, 3))
    with pytest.raises(ValueError):
        claimtrack.finish_periods(done, period="fortnight")
