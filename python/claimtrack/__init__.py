"""claimtrack from Python: label sentences, score articles and build framing reports with the
same engine, and the same bytes, as the ``claimtrack`` command line.

Every function is stateless: the model (the shipped one unless ``model=`` gives a model file's
bytes) is loaded on first use in each process and kept. Work runs with the GIL released, on
``threads`` worker threads (default 1: one core per task, as Spark, Dask and Ray schedule), and
the package is safe to use again after ``os.fork()``. Functions are plain module-level
callables, so they pickle by reference (cloudpickle) and nothing depends on files on workers.

- :func:`classify` labels sentences (as ``claimtrack classify``);
- :func:`score` and :func:`score_files` score articles (as ``claimtrack score``), each result
  with the exact JSON line; :func:`score_arrow` does the same for a pyarrow batch or table;
- :func:`report` merges score lines from any number of calls, workers or runs into the report
  ``claimtrack report --from-scores`` writes (Markdown, JSON, CSV or HTML bytes);
- :func:`input_files` and :func:`read_files` list and read article folders as the CLI does,
  to hand files to workers.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import math as _math
import os as _os
import warnings as _warnings
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native

__all__ = [
    "ClaimtrackWarning",
    "LABELS",
    "classify",
    "score",
    "score_files",
    "score_jsonl",
    "score_arrow",
    "arrow_schema",
    "report",
    "input_files",
    "read_files",
    "model_info",
    "aggregate",
    "merge",
    "finish_periods",
    "report_partials",
]

__version__ = _native.__version__

#: The sentence labels, in the order probabilities are given.
LABELS = ("russian_claim", "us_denial", "expert_skepticism", "context")

_FORMATS = {"md": "md", "markdown": "md", "json": "json", "csv": "csv", "html": "html"}

ModelArg = Union[None, bytes, bytearray, memoryview, str, "_os.PathLike[str]"]


class ClaimtrackWarning(UserWarning):
    """A warning about the input (the ones ``claimtrack`` prints on stderr): an empty article
    skipped, an invalid date, look-alike outlet names."""


def _model_bytes(model: ModelArg) -> Optional[bytes]:
    if model is None:
        return None
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model)
    if isinstance(model, (str, _os.PathLike)):
        with open(model, "rb") as f:
            return f.read()
    raise TypeError("model must be the bytes of a model file (or a path to one), or None")


def _model_name(model: ModelArg, model_name: Optional[str]) -> Optional[str]:
    if model_name is not None:
        return model_name
    if isinstance(model, (str, _os.PathLike)):
        return _os.fspath(model)
    return None


def _warn(messages: Sequence[str]) -> None:
    for m in messages:
        _warnings.warn(m, ClaimtrackWarning, stacklevel=3)


def classify(
    texts: Iterable[str],
    model: ModelArg = None,
    threads: int = 1,
    article: bool = False,
) -> List[dict]:
    """Labels sentences, one per string, as ``claimtrack classify`` labels the JSONL lines
    ``{"text": ...}``: a dict per text ``{"text", "label", "probs": {label: p}}`` (and
    ``"argmax"`` where a decoded label differs from the most probable one). Consecutive texts
    are neighbours. With ``article=True`` they are one article's sentences, in order, and
    their labels are decoded together."""
    lines = classify_lines(texts, model=model, threads=threads, article=article)
    return [_json.loads(line) for line in lines]


def classify_lines(
    texts: Iterable[str], model: ModelArg = None, threads: int = 1, article: bool = False
) -> List[str]:
    """:func:`classify`, giving the exact JSON lines ``claimtrack classify`` writes (without
    their newlines)."""
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    return _native.classify_lines(texts, _model_bytes(model), threads, article)


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} in an article record")


def _record_line(record: Any) -> str:
    if isinstance(record, str):
        return record
    if isinstance(record, (bytes, bytearray)):
        return bytes(record).decode("utf-8", "replace")
    if not isinstance(record, dict):
        raise TypeError(
            "each article must be a dict ({'id', 'outlet', 'date', 'url', 'title', 'text'}) "
            f"or a JSONL line, not {type(record).__name__}"
        )
    clean = {
        k: (None if isinstance(v, float) and _math.isnan(v) else v) for k, v in record.items()
    }
    return _json.dumps(clean, ensure_ascii=False, default=_json_default)


def _articles_jsonl(articles: Any) -> bytes:
    if isinstance(articles, (bytes, bytearray, memoryview)):
        return bytes(articles)
    if isinstance(articles, str):
        return articles.encode("utf-8")
    if isinstance(articles, dict):
        articles = [articles]
    return "".join(_record_line(a) + "\n" for a in articles).encode("utf-8", "surrogatepass")


def score_files(
    files: Iterable[Tuple[str, str, Union[bytes, str]]],
    model: ModelArg = None,
    *,
    model_name: Optional[str] = None,
    decode: bool = True,
    seed: Optional[int] = None,
    bootstrap: Optional[int] = None,
    level: Optional[float] = None,
    threads: int = 1,
    raw: bool = False,
) -> Union[List[dict], List[str]]:
    """Scores article files held in memory, ``(name, id, content)`` each, as ``claimtrack
    score`` scores the files: a ``.jsonl`` name holds JSONL articles, any other name one text
    article (front matter and text) whose id is ``id`` (see :func:`input_files`). Gives a
    dict per article (the JSON line parsed, with the exact line under ``"json"``), or the
    lines themselves with ``raw=True``. ``model_name`` is how scored articles name the model
    (the CLI gives the model file's path)."""
    triples = []
    for name, ident, content in files:
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogatepass")
        triples.append((str(name), str(ident), bytes(content)))
    lines, warns = _native.score_files(
        triples,
        _model_bytes(model),
        _model_name(model, model_name),
        decode,
        seed,
        bootstrap,
        level,
        threads,
    )
    _warn(warns)
    if raw:
        return lines
    out = []
    for line in lines:
        d = _json.loads(line)
        d["json"] = line
        out.append(d)
    return out


def score(
    articles: Any,
    model: ModelArg = None,
    *,
    source: str = "articles.jsonl",
    model_name: Optional[str] = None,
    decode: bool = True,
    seed: Optional[int] = None,
    bootstrap: Optional[int] = None,
    level: Optional[float] = None,
    threads: int = 1,
) -> List[dict]:
    """Scores articles as ``claimtrack score`` scores the JSONL file ``source`` holding them:
    ``articles`` is an iterable of dicts (``text`` required; ``id``, ``outlet``, ``date``,
    ``url``, ``title`` and other string fields as in JSONL input) or JSONL lines, or the bytes
    of a whole JSONL file. Gives a dict per article, in order: the score line parsed
    (``id``, ``outlet``, ..., ``sentences``, ``framing``), with the exact line under
    ``"json"``. Articles without ``id`` get ``<source stem>:<line>``; a repeated id is an
    error, as in the CLI."""
    return score_files(
        [(source, _stem(source), _articles_jsonl(articles))],
        model,
        model_name=model_name,
        decode=decode,
        seed=seed,
        bootstrap=bootstrap,
        level=level,
        threads=threads,
    )


def score_jsonl(articles: Any, model: ModelArg = None, **options: Any) -> bytes:
    """:func:`score`, giving the bytes ``claimtrack score`` writes (one line per article)."""
    source = options.pop("source", "articles.jsonl")
    lines = score_files(
        [(source, _stem(source), _articles_jsonl(articles))], model, raw=True, **options
    )
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _stem(name: str) -> str:
    base = _os.path.basename(name)
    stem, ext = _os.path.splitext(base)
    return stem if stem else base


def arrow_schema():
    """The schema of :func:`score_arrow`'s tables."""
    import pyarrow as pa

    probs = pa.struct([(label, pa.float64()) for label in LABELS])
    sentence = pa.struct(
        [
            ("index", pa.int64()),
            ("role", pa.string()),
            ("text", pa.string()),
            ("label", pa.string()),
            ("argmax", pa.string()),
            ("probs", probs),
            ("hedge", pa.float64()),
            ("hedge_cues", pa.list_(pa.string())),
        ]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("outlet", pa.string()),
            ("date", pa.string()),
            ("url", pa.string()),
            ("title", pa.string()),
            ("meta", pa.map_(pa.string(), pa.string())),
            ("model", pa.string()),
            ("decoder", pa.float64()),
            ("score", pa.float64()),
            ("interval_lo", pa.float64()),
            ("interval_hi", pa.float64()),
            ("interval_level", pa.float64()),
            ("balance", pa.float64()),
            ("primacy", pa.float64()),
            ("headline", pa.float64()),
            ("stance_mass", pa.float64()),
            ("hedge_rate", pa.float64()),
            ("first_stance", pa.string()),
            ("sentences", pa.list_(sentence)),
            ("score_json", pa.string()),
        ]
    )


def _arrow_row(d: dict) -> dict:
    f = d.get("framing") or {}
    interval = f.get("interval") or {}
    meta = d.get("meta")
    return {
        "id": d.get("id"),
        "outlet": d.get("outlet"),
        "date": d.get("date"),
        "url": d.get("url"),
        "title": d.get("title"),
        "meta": list(meta.items()) if meta else None,
        "model": d.get("model"),
        "decoder": d.get("decoder"),
        "score": f.get("score"),
        "interval_lo": interval.get("lo"),
        "interval_hi": interval.get("hi"),
        "interval_level": interval.get("level"),
        "balance": f.get("balance"),
        "primacy": f.get("primacy"),
        "headline": f.get("headline"),
        "stance_mass": f.get("stance_mass"),
        "hedge_rate": f.get("hedge_rate"),
        "first_stance": f.get("first_stance"),
        "sentences": [
            {
                "index": s.get("index"),
                "role": s.get("role"),
                "text": s.get("text"),
                "label": s.get("label"),
                "argmax": s.get("argmax"),
                "probs": s.get("probs"),
                "hedge": s.get("hedge"),
                "hedge_cues": s.get("hedge_cues"),
            }
            for s in d.get("sentences") or []
        ],
        "score_json": d["json"],
    }


def score_arrow(batch: Any, model: ModelArg = None, **options: Any):
    """Scores a ``pyarrow.RecordBatch`` or ``pyarrow.Table`` of articles (columns as the JSONL
    fields: ``text`` required, ``id``, ``outlet``, ``date``, ``url``, ``title`` and others
    optional; nulls are absent fields) and gives a ``pyarrow.Table`` of :func:`arrow_schema`:
    the framing fields as columns, the sentences as a list of structs, and the exact score
    JSON line in ``score_json``. Options are :func:`score`'s. For Spark ``mapInArrow``, Ray
    ``map_batches(batch_format="pyarrow")`` and Dask partitions."""
    import pyarrow as pa

    rows = batch.to_pylist()
    scored = score(rows, model, **options) if rows else []
    return pa.Table.from_pylist([_arrow_row(d) for d in scored], schema=arrow_schema())


def _part_bytes(part: Any) -> bytes:
    if isinstance(part, (bytes, bytearray, memoryview)):
        data = bytes(part)
    elif isinstance(part, str):
        data = part.encode("utf-8")
    elif isinstance(part, (_os.PathLike,)):
        with open(part, "rb") as f:
            data = f.read()
    elif hasattr(part, "column_names") and "score_json" in part.column_names:
        data = "".join(line + "\n" for line in part.column("score_json").to_pylist()).encode()
    else:
        lines = []
        for item in part:
            if isinstance(item, dict):
                item = item.get("json") or _json.dumps(item, ensure_ascii=False)
            if isinstance(item, (bytes, bytearray)):
                item = bytes(item).decode("utf-8")
            lines.append(item if item.endswith("\n") else item + "\n")
        data = "".join(lines).encode("utf-8")
    # A part without its final newline (Dask's to_textfiles) reads the same.
    return data


def _named_parts(parts: Any) -> List[Tuple[str, bytes]]:
    """Scoring-job parts (one part may be given alone) as ``(name, JSONL bytes)``."""
    if isinstance(parts, (bytes, bytearray, memoryview, str)) or hasattr(parts, "column_names"):
        parts = [parts]
    elif isinstance(parts, list) and parts and isinstance(parts[0], dict):
        parts = [parts]
    named = []
    for n, part in enumerate(parts):
        name = _os.fspath(part) if isinstance(part, _os.PathLike) else f"part {n + 1}"
        named.append((name, _part_bytes(part)))
    return named


def report(
    parts: Any,
    format: str = "json",
    *,
    seed: Optional[int] = None,
    bootstrap: Optional[int] = None,
    level: Optional[float] = None,
    max_strips: int = 200,
    period: Optional[str] = None,
    group_by: Optional[str] = None,
    highlight: Sequence[str] = (),
    per_article: bool = False,
    table: Optional[str] = None,
) -> bytes:
    """Merges scored articles into the report ``claimtrack report --from-scores`` writes with
    the same options, as bytes. ``parts`` is a list of parts, each the output of a scoring job:
    JSONL bytes or text (``claimtrack score`` output, :func:`score_jsonl`), a list of
    :func:`score` dicts or score lines, a :func:`score_arrow` table, or a path to a scores
    file; a single part may be given alone. Parts may come in any order: the report is the
    same. ``format`` is ``"json"``, ``"markdown"`` (or ``"md"``), ``"csv"`` or ``"html"``."""
    fmt = _FORMATS.get(format)
    if fmt is None:
        raise ValueError(f"format must be one of json, markdown, csv, html (got {format!r})")
    out, warns = _native.report_bytes(
        _named_parts(parts),
        fmt,
        seed,
        bootstrap,
        level,
        max_strips,
        period,
        group_by,
        list(highlight),
        per_article,
        table,
    )
    _warn(warns)
    return bytes(out)


def input_files(paths: Union[str, "_os.PathLike[str]", Sequence[Any]]) -> List[Tuple[str, str]]:
    """The article files ``claimtrack`` reads for ``paths`` (files, or folders walked in
    sorted order: ``.txt``, ``.md``, ``.jsonl``), each as ``(path, id)``: the id the CLI gives
    its article (for JSONL, the prefix of default ids). Hand them out to workers, which read
    them (:func:`read_files`) and score them (:func:`score_files`)."""
    if isinstance(paths, (str, _os.PathLike)):
        paths = [paths]
    files, warns = _native.input_files([_os.fspath(p) for p in paths])
    _warn(warns)
    return [tuple(f) for f in files]


def read_files(files: Iterable[Tuple[str, str]]) -> List[Tuple[str, str, bytes]]:
    """Reads ``(path, id)`` files into the ``(name, id, content)`` triples of
    :func:`score_files`."""
    out = []
    for path, ident in files:
        with open(path, "rb") as f:
            out.append((path, ident, f.read()))
    return out


def model_info(model: ModelArg = None, model_name: Optional[str] = None, decode: bool = True) -> str:
    """How scored articles describe the model: source, fingerprint, training size."""
    return _native.model_info(_model_bytes(model), _model_name(model, model_name), decode)


def aggregate(
    scores: Any,
    *,
    seed: Optional[int] = None,
    bootstrap: Optional[int] = None,
    level: Optional[float] = None,
    max_strips: int = 200,
    group_by: Optional[str] = None,
) -> bytes:
    """The mergeable partial aggregate of scored articles (docs/PARTIALS.md): the bytes
    ``claimtrack report --from-scores ... --partial-out FILE`` writes. ``scores`` takes what
    :func:`report` takes. About 500 bytes per article: workers send these instead of score
    lines, and :func:`merge` / :func:`report_partials` combine them in any order."""
    return bytes(
        _native.aggregate_bytes(
            _named_parts(scores), seed, bootstrap, level, max_strips, group_by
        )
    )


def _partial_bytes(parts: Any) -> List[Tuple[str, bytes]]:
    if isinstance(parts, (bytes, bytearray, memoryview, str, _os.PathLike)):
        parts = [parts]
    named = []
    for n, part in enumerate(parts):
        if isinstance(part, (str, _os.PathLike)):
            with open(part, "rb") as f:
                named.append((_os.fspath(part), f.read()))
        else:
            named.append((f"partial {n + 1}", bytes(part)))
    return named


def merge(parts: Any, *, finish_outlets: bool = False) -> bytes:
    """Merges partial aggregates (bytes from :func:`aggregate` or :func:`merge`, or paths of
    partial files) into one, as ``claimtrack merge`` does; the order does not matter and a part
    given twice counts once. With ``finish_outlets=True`` it also runs the per-outlet bootstrap
    (``merge --finish-outlets``): call it once per outlet group (e.g. Spark
    ``groupBy(outlet).applyInArrow``), then :func:`report_partials` only stitches."""
    return bytes(_native.merge_bytes(_partial_bytes(parts), finish_outlets))


def finish_periods(
    parts: Any, *, share: Tuple[int, int] = (0, 1), period: Optional[str] = None
) -> bytes:
    """The timeline's rows (intervals included) of one share of the periods of partial
    aggregates (bytes or paths of partial files), as ``claimtrack merge --finish-periods I/N``
    writes them: a partial holding only those rows. ``share=(i, n)`` picks the i-th of n shares
    (a stable hash of the period's label; ``(0, 1)``: every period); each job reads every
    partial and keeps only its periods' articles. ``period`` is ``"week"`` or ``"month"``
    (default: chosen from the span of the dates, as the report chooses it). Give the results
    to :func:`report_partials` beside the articles' partials: the report takes the rows as
    they are instead of bootstrapping them."""
    i, n = share
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"share must be (i, n) with 0 <= i < n (got {share!r})")
    return bytes(_native.finish_periods_bytes(_partial_bytes(parts), i, n, period))


def report_partials(
    parts: Any,
    format: str = "json",
    *,
    period: Optional[str] = None,
    group_by: Optional[str] = None,
    highlight: Sequence[str] = (),
    per_article: bool = False,
    table: Optional[str] = None,
) -> bytes:
    """The report of partial aggregates, as ``claimtrack report --from-partials`` writes it:
    byte for byte the report of all their articles."""
    fmt = _FORMATS.get(format)
    if fmt is None:
        raise ValueError(f"format must be one of json, markdown, csv, html (got {format!r})")
    out, warns = _native.report_partials_bytes(
        _partial_bytes(parts), fmt, period, group_by, list(highlight), per_article, table
    )
    _warn(warns)
    return bytes(out)
