"""The mixed scenario: reads spread over the whole site while two writers write.

    .venv/bin/python -m bench.run --scenario mixed --scale small     # make bench SCENARIO=mixed

1. Seeds (or reuses) the database and starts the app and the baseline exactly as
   the per-URL run does (bench/run.py: same gunicorn settings for both, warm-up).
2. Draws the request list (bench/mixed_plan.py) and signs each viewer who reads
   web pages in once, through the sign-in form, for a session cookie; API reads
   carry the viewer's token.
3. Measures the baseline for `--seconds` with wrk.
4. Walks the request list with wrk (bench/mixed.lua, a second process) for
   `--seconds`, while bench/writer.py writes at `--write-rate` from two writers.
5. Checks that every write answered 2xx is in the database, and that the API's
   counts of everything the writers touched equal the rows (run.check_counts).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from bench import run as bench_run
from bench.client import Client
from bench.cpu import CpuUse, print_cpu
from bench.mixed_plan import (
    KINDS,
    WRITTEN_TAGS,
    WRITTEN_TITLE,
    Pools,
    Read,
    draw_reads,
    load_pools,
    load_writer_users,
    web_viewers,
    write_reader_plan,
)
from bench.seed import BENCH_PASSWORD
from bench.writer import latency_summary

DEFAULT_SECONDS = 30
SCRIPT = bench_run.BENCH / "mixed.lua"
WRITERS = 2
USERS_PER_WRITER = 4
# The writers favorite and comment on the most popular articles, Zipf-like.
WRITE_TARGETS = 2_000
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the mixed scenario")
    group.add_argument(
        "--requests", type=int, default=5_000, help="reads in the list (default 5,000)"
    )
    group.add_argument(
        "--viewers", type=int, default=100, help="signed-in viewers to draw from (default 100)"
    )
    group.add_argument(
        "--write-rate", type=float, default=30.0, help="writes a second, in all (default 30)"
    )


# --- before the run ----------------------------------------------------------------------


def _session_cookie(headers: Any) -> str | None:
    for value in headers.get_all("Set-Cookie") or ():
        if value.startswith("session="):
            return str(value.split(";", 1)[0])
    return None


def sign_in(client: Client, email: str) -> str:
    """The `Cookie` value of a browser that signed in through the web form."""
    status, headers, body = client.request("GET", "/login")
    found = CSRF_FIELD.search(body.decode())
    cookie = _session_cookie(headers)
    if status != 200 or found is None or cookie is None:
        raise SystemExit(f"GET /login answered {status} without a form and a session cookie")
    form = {"csrf_token": found.group(1), "email": email, "password": BENCH_PASSWORD, "next": ""}
    status, headers, _body = client.request(
        "POST",
        "/login",
        body=urlencode(form).encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    cookie = _session_cookie(headers)
    if status != 302 or cookie is None:
        raise SystemExit(f"signing in as {email} answered {status}")
    # Follow the redirect, as a browser does: the first page's forms put a CSRF key
    # into the session, and the browser keeps the cookie that carries it. Without
    # it, every page would set a new cookie again (and pay for signing it).
    status, headers, _body = client.request("GET", "/", headers={"Cookie": cookie})
    if status != 200:
        raise SystemExit(f"the home page answered {status} to {email} signed in")
    return _session_cookie(headers) or cookie


def sign_in_viewers(port: int, pools: Pools, reads: list[Read]) -> dict[int, str]:
    """A session cookie for every viewer who reads web pages signed in."""
    started = time.monotonic()
    client = Client(port)
    try:
        cookies = {
            viewer: sign_in(client, pools.viewers[viewer][1])
            for viewer in sorted(web_viewers(reads))
        }
    finally:
        client.close()
    print(f"{len(cookies)} viewers signed in on the web ({time.monotonic() - started:.1f}s)")
    return cookies


def plan_summary(reads: list[Read], pools: Pools) -> dict[str, Any]:
    planned = Counter(read.kind for read in reads)
    signed_in = sum(read.viewer is not None for read in reads)
    return {
        "requests": len(reads),
        "signed_in_share": round(signed_in / len(reads), 3),
        "viewers": len({read.viewer for read in reads if read.viewer is not None}),
        "distinct_paths": len({read.path for read in reads}),
        "articles_in_pool": len(pools.articles),
        "kinds": [
            {"key": kind.key, "share": kind.share, "planned": planned[kind.key], "what": kind.what}
            for kind in KINDS
        ],
    }


# --- the run ----------------------------------------------------------------------------


def walk(
    args: argparse.Namespace, served: bench_run.Serving, work: Path, writer_plan: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """wrk walks the list while the writer process writes; both bounded in time."""
    plan_file, result_file = work / "writer-plan.json", work / "writer-result.json"
    # Both start together: the writer waits for this moment, wrk is started at it.
    start_at = time.time() + 1.5
    plan_file.write_text(json.dumps(writer_plan | {"start_at": start_at}))
    with (work / "writer.log").open("wb") as log:
        writer = subprocess.Popen(
            [sys.executable, "-m", "bench.writer", str(plan_file), str(result_file)],
            cwd=bench_run.ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    groups = {"app": served.app.process.pid, "writer": writer.pid}
    try:
        time.sleep(max(0.0, start_at - time.time()))
        with CpuUse(groups) as cpu:
            raw, _stdout = bench_run.wrk(
                served.app.url,
                seconds=args.seconds,
                script=SCRIPT,
                args=[
                    str(work / "mixed-requests.txt"),
                    str(bench_run.WRK_THREADS),
                    str(work / "reads-"),
                ],
            )
        raw["cpu"] = cpu.report()
        writer.wait(timeout=args.seconds + 90)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    if writer.returncode != 0:
        tail = (work / "writer.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"the writer failed ({writer.returncode}):\n{tail}")
    return raw, json.loads(result_file.read_text())


def reads_by_kind(work: Path, seconds: float) -> dict[str, Any]:
    """Per kind and in all: requests, requests/s, p50/p99 and errors, from mixed.lua's logs.

    The p50/p99 of all reads come from the same lines, so that they count the answers
    slower than wrk's 2 s timeout too, as the kinds' do (wrk's own leave them out).
    """
    names = {str(number): kind.key for number, kind in enumerate(KINDS, start=1)}
    latencies: dict[str, list[float]] = {kind.key: [] for kind in KINDS}
    errors: Counter[str] = Counter()
    unmatched = 0
    for log in sorted(work.glob("reads-*")):
        for line in log.read_text().splitlines():
            number, status, micros = line.split()
            if number == "0":
                unmatched += 1
                continue
            kind = names[number]
            latencies[kind].append(int(micros) / 1000)
            if not 200 <= int(status) < 400:
                errors[kind] += 1
    return {
        "unmatched": unmatched,
        **latency_summary([ms for values in latencies.values() for ms in values]),
        "kinds": {
            kind: {
                "requests": len(values),
                "rps": round(len(values) / seconds, 1) if seconds else 0.0,
                "errors": errors[kind],
                **latency_summary(values),
            }
            for kind, values in latencies.items()
        },
    }


def check_writes(writes: dict[str, Any]) -> dict[str, Any]:
    """Every write the writers got a 2xx for is in the database (app context)."""
    from app.extensions import db
    from app.models import Article, Comment, Favorite, User

    session = db.session
    session.rollback()
    missing: list[str] = []
    created = set(writes["created"])
    found = set(session.scalars(sa.select(Article.slug).where(Article.slug.in_(created))))
    missing += [f"created article {slug} is missing" for slug in sorted(created - found)]
    comments = {comment_id: slug for slug, comment_id in writes["comments"]}
    stored = dict(
        session.execute(
            sa.select(Comment.id, Article.slug)
            .join(Article, Article.id == Comment.article_id)
            .where(Comment.id.in_(comments))
        ).all()
    )
    missing += [
        f"comment {comment_id} on {slug} is missing"
        for comment_id, slug in comments.items()
        if stored.get(comment_id) != slug
    ]
    uncertain = {tuple(pair) for pair in writes["uncertain_favorites"]}
    states = {(user, slug): state for user, slug, state in writes["favorites"]}
    checked = {pair: state for pair, state in states.items() if pair not in uncertain}
    present = set(
        session.execute(
            sa.select(User.username, Article.slug)
            .join(Favorite, Favorite.user_id == User.id)
            .join(Article, Article.id == Favorite.article_id)
            .where(sa.tuple_(User.username, Article.slug).in_(list(checked)))
        ).all()
        if checked
        else ()
    )
    missing += [
        f"{user} {state}d {slug}, the database says otherwise"
        for (user, slug), state in checked.items()
        if ((user, slug) in present) != (state == "favorite")
    ]
    edits = {
        slug: body
        for slug, body in writes["edits"].items()
        if slug not in set(writes["uncertain_edits"])
    }
    bodies = dict(
        session.execute(sa.select(Article.slug, Article.body).where(Article.slug.in_(edits))).all()
    )
    missing += [
        f"the last edit of {slug} is missing" for slug in edits if bodies.get(slug) != edits[slug]
    ]
    session.rollback()
    return {
        "exact": not missing,
        "checked": len(created) + len(comments) + len(checked) + len(edits),
        "uncertain": len(uncertain) + len(writes["uncertain_edits"]),
        "missing": missing[:20],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from app.extensions import db
    from app.models import Article

    setup = bench_run.set_up(args)
    local = bench_run.local_app(args.database_url, setup.secret)
    with local.app_context():
        pools = load_pools(args.viewers)
        writer_users = load_writer_users(WRITERS * USERS_PER_WRITER)
        tokens = bench_run.tokens_for(
            [name for name, _email in pools.viewers] + [user["username"] for user in writer_users]
        )
        max_id_before = db.session.scalar(sa.select(sa.func.max(Article.id))) or 0
        db.session.remove()
    reads = draw_reads(pools, args.requests, args.seed)
    plan = plan_summary(reads, pools) | {"write_rate": args.write_rate}
    print(
        f"mixed: {plan['requests']:,} reads planned ({plan['signed_in_share']:.0%} signed in, "
        f"{plan['viewers']} viewers, {plan['distinct_paths']:,} distinct paths); "
        f"{WRITERS} writers at {args.write_rate:g} writes/s",
        flush=True,
    )
    for user in writer_users:
        user["token"] = tokens[user["username"]]
    writer_plan = {
        "seconds": args.seconds,
        "rate": args.write_rate,
        # Per user: its share of the rate, with room for a late start.
        "max_writes": int(args.write_rate / len(writer_users) * args.seconds * 1.25) + 1,
        "seed": args.seed,
        "writers": [writer_users[n::WRITERS] for n in range(WRITERS)],
        "targets": pools.articles[:WRITE_TARGETS],
        "tags": [name for name, _n in pools.tags[:50]],
        "title": WRITTEN_TITLE,
        "base_tags": list(WRITTEN_TAGS),
    }
    with bench_run.serving(args, setup) as served:
        cookies = sign_in_viewers(served.app.port, pools, reads)
        viewer_tokens = [tokens[name] for name, _email in pools.viewers]
        write_reader_plan(reads, viewer_tokens, cookies, setup.work / "mixed-requests.txt")
        base = bench_run.Scenario("baseline", "baseline (bare Flask)", "/api/articles")
        raw, _stdout = bench_run.wrk(
            f"{served.baseline.url}/api/articles",
            seconds=args.seconds,
            script=bench_run.READ_SCRIPT,
        )
        baseline = bench_run.to_result(base, raw)
        print(f"baseline: {baseline.rps:.1f} requests/s; walking the mix...", flush=True)
        raw, writes = walk(args, served, setup.work, writer_plan | {"port": served.app.port})
        # Requests wrk gave up on at its deadline may still be finishing on the server.
        time.sleep(2)
        with local.app_context():
            write_check = check_writes(writes)
            counts = bench_run.check_counts(
                served.app.port,
                targets=writes["touched"],
                writers=[user["username"] for user in writer_users],
                max_id_before=max_id_before,
            )
            db.session.remove()
    reads_result = bench_run.to_result(bench_run.Scenario("mixed", "all reads", "(the list)"), raw)
    reads_result.ratio = round(reads_result.rps / baseline.rps, 3) if baseline.rps else None
    return bench_run.report_basics(args, setup, served) | {
        "scenario": "mixed",
        "plan": plan,
        "baseline": asdict(baseline),
        "reads": asdict(reads_result) | reads_by_kind(setup.work, reads_result.seconds),
        "writes": writes,
        "write_check": write_check,
        "counts": counts,
        "cpu": raw["cpu"],
    }


# --- the report -------------------------------------------------------------------------


HEADER = (
    f"{'reads':<16} {'share':>6} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'errors':>7}"
)


def _row(name: str, share: str, row: dict[str, Any]) -> str:
    return (
        f"{name:<16} {share:>6} {row['requests']:>9,} {row['rps']:>8.1f} "
        f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['errors']:>7}"
    )


def print_report(report: dict[str, Any]) -> None:
    bench_run.print_heading(report)
    plan, reads, writes = report["plan"], report["reads"], report["writes"]
    print(
        f"mixed: {plan['requests']:,} reads planned, {plan['signed_in_share']:.0%} signed in "
        f"({plan['viewers']} viewers); {writes['writes_per_second']} writes/s answered 2xx "
        f"(of {plan['write_rate']:g} planned)"
    )
    print(HEADER)
    for kind in plan["kinds"]:
        print(_row(kind["key"], f"{kind['share']:.0%}", reads["kinds"][kind["key"]]))
    ratio = f"{reads['ratio']:.3f}" if reads["ratio"] is not None else "-"
    print(_row("all reads", "", reads) + f"   {ratio} of the baseline")
    print(_row("baseline", "", report["baseline"]))
    if reads["unmatched"]:
        print(f"  {reads['unmatched']} answers without a known X-Request-ID (in all reads)")
    print(HEADER.replace("reads", "writes"))
    sent = sum(row["sent"] for row in writes["ops"].values()) or 1
    for op, row in writes["ops"].items():
        rps = row["ok"] / writes["seconds"]
        print(_row(op, f"{row['sent'] / sent:.0%}", row | {"requests": row["sent"], "rps": rps}))
    check = report["write_check"]
    print(
        f"writes found in the database: {'yes' if check['exact'] else 'no'} "
        f"({check['checked']} checked, {check['uncertain']} left out: no answer or a 5xx)"
    )
    for line in check["missing"]:
        print(f"  {line}")
    bench_run.print_counts(report["counts"])
    print_cpu(report["cpu"], report["reads"]["seconds"])
    bench_run.print_memory(report)


def exact(report: dict[str, Any]) -> bool:
    return bool(report["write_check"]["exact"] and report["counts"]["exact"])
