"""The mixed benchmark's request list and the scaled-down seeding plans (no database)."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bench.mixed_plan import KINDS, Pools, draw_reads, write_reader_plan
from bench.seed import SCALES, build_plan
from bench.writer import latency_summary

POOLS = Pools(
    articles=[f"article-{rank}" for rank in range(500)],
    tags=[("python", 120), ("rare", 3)],
    authors=[(f"author_{rank}", 40 - rank) for rank in range(30)],
    favoriters=[(f"reader_{rank}", 25) for rank in range(30)],
    viewers=[(f"reader_{rank}", f"reader_{rank}@example.com") for rank in range(10)],
    total_articles=500,
)


@pytest.fixture(scope="module")
def reads() -> list:
    return draw_reads(POOLS, 4_000, seed=7)


def test_every_kind_gets_its_share_of_the_list(reads: list) -> None:
    counts = Counter(read.kind for read in reads)
    assert sum(counts.values()) == 4_000
    for kind in KINDS:
        assert counts[kind.key] == pytest.approx(kind.share * 4_000, abs=1)


def test_about_half_are_signed_in_and_every_feed_is(reads: list) -> None:
    signed_in = [read for read in reads if read.viewer is not None]
    assert 0.45 < len(signed_in) / len(reads) < 0.55
    assert all(read.viewer is not None for read in reads if read.kind == "feed")
    assert len({read.viewer for read in signed_in}) == len(POOLS.viewers)


def test_popular_articles_are_read_more_often(reads: list) -> None:
    counts = Counter(read.path for read in reads if read.kind == "article")
    assert counts["/api/articles/article-0"] > 5 * counts["/api/articles/article-99"]


def test_offsets_stay_within_each_list(reads: list) -> None:
    for read in reads:
        query = parse_qs(urlsplit(read.path).query)
        if read.kind == "list-tag" and query["tag"] == ["rare"]:
            assert "offset" not in query
        if "offset" in query:
            assert int(query["offset"][0]) % 20 == 0
            assert read.kind in ("list", "list-tag", "list-author", "list-favorited", "feed")


def test_the_same_seed_draws_the_same_list() -> None:
    assert draw_reads(POOLS, 300, seed=3) == draw_reads(POOLS, 300, seed=3)
    assert draw_reads(POOLS, 300, seed=3) != draw_reads(POOLS, 300, seed=4)


def test_web_reads_carry_a_cookie_and_api_reads_a_token(reads: list, tmp_path: Path) -> None:
    tokens = [f"token-{viewer}" for viewer in range(len(POOLS.viewers))]
    cookies = {viewer: f"session=cookie-{viewer}" for viewer in range(len(POOLS.viewers))}
    path = tmp_path / "plan.txt"
    write_reader_plan(reads, tokens, cookies, path)
    lines = path.read_text().splitlines()
    auth = {line.split()[1]: line for line in lines if line.startswith("auth ")}
    web = {str(number) for number, kind in enumerate(KINDS, start=1) if kind.web}
    gets = [line.split() for line in lines if line.startswith("get ")]
    assert len(gets) == len(reads)
    for _get, kind, key, _path in gets:
        if key != "-":
            assert auth[key].split()[2] == ("Cookie:" if kind in web else "Authorization:")


def test_a_scaled_plan_keeps_the_proportions() -> None:
    scale = SCALES["huge"].scaled_to(2_000)
    assert (scale.users, scale.favorites, scale.comments) == (200, 20_000, 6_000)
    plan = build_plan(scale, seed=1)
    assert len(plan.articles) == 2_000
    assert len(plan.comments) == 6_000
    assert len(set(plan.favorites)) == len(plan.favorites) >= 20_000


def test_latency_summary_takes_the_nearest_rank() -> None:
    values = [float(ms) for ms in range(1, 101)]
    random.Random(1).shuffle(values)
    assert latency_summary(values) == {"p50_ms": 50.0, "p99_ms": 99.0, "max_ms": 100.0}
    assert latency_summary([]) == {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
