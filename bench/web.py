"""Benchmark: the web platform's pages under load, served by gunicorn on loopback over the
national-scale indicator results, against a trivial Django view in the same run.

Why: the dashboards are what the backbone, the steering group and the public open most,
and at national scale the backbone's results are over a million rows. Target: the
backbone dashboard's p95 latency under 150 ms with 32 concurrent clients on 2 cores. The
trivial view (bench/web_site.py: every middleware, a two-byte response) is the framework
floor, measured before and after the pages; the p95 ratio dashboard / floor is reported.

    .venv/bin/python bench/web.py                   # 5M young people (pool cached)
    .venv/bin/python bench/web.py --scale 0.05      # a twentieth, same shape
    .venv/bin/python bench/web.py --smoke           # tiny, for CI

What happens:

  1. the pool of bench/national.py (generated once, cached under bench/.cache/);
  2. an initiative home beside it (bench/.cache/web-<sizes>/, cached too) whose
     indicators are refreshed from that pool in a child process: the web app's home;
  3. Django's tables migrated into the home's SQLite file, a backbone admin with a
     confirmed authenticator and a steering-group member, and one session each made
     with Django's session store (the backbone one marked verified by django-otp's
     session key), as a signed-in browser would hold;
  4. gunicorn (``--workers`` processes of ``--threads`` threads, gthread) on 127.0.0.1
     in local mode (plain HTTP on loopback, every other protection on);
  5. each page warmed (every worker has read its results) and checked to be the page
     itself (200 and its heading, not a redirect to sign in), then loaded by wrk with
     32 connections from 2 threads for a fixed time; wrk's ``done`` hook (bench/web.lua)
     prints p50/p95/p99 and the request count as JSON. Order: trivial, trivial signed
     in, public, steering, dashboard, trivial again;
  6. one dashboard request taken apart in a child process: reading the run's results,
     shaping them (the dashboards' selectors), rendering the template, and the rest
     (middleware, session, account).

wrk runs on the same machine, so the server has less than 2 cores; the ratio to the
trivial view is the figure to compare across machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from national import CACHE, POPULATION, Scale, ensure_pool  # noqa: E402

LUA = BENCH / "web.lua"
HOST = "127.0.0.1"
TARGET_P95_MS = 150.0
WEB_MARKER = "web.json"
TRIVIAL = "/bench/trivial/"
BACKBONE_EMAIL = "bench-backbone@example.org"
STEERING_EMAIL = "bench-steering@example.org"
INSTALL_WRK = (
    "wrk is not installed. Install it with `apt-get install -y wrk` (Debian, Ubuntu) or "
    "`brew install wrk` (macOS), or run with `--client python` for a rough figure from a "
    "small Python client (not comparable with wrk's)."
)


@dataclass(frozen=True)
class Page:
    """One URL to load: who asks for it, and the heading that proves it is the page."""

    name: str
    path: str
    account: str | None  # whose session cookie goes with it: backbone, steering or none
    heading: str | None


PAGES = [
    Page("trivial", TRIVIAL, None, None),
    Page("trivial_signed_in", TRIVIAL, "backbone", None),
    Page("public", "/public/", None, "Open data"),
    Page("steering", "/steering/", "steering", "Collective dashboard"),
    Page("dashboard", "/dashboard/", "backbone", "Indicators dashboard"),
    Page("trivial_after", TRIVIAL, None, None),
]
LABELS = {
    "trivial": "trivial view (floor), before",
    "trivial_signed_in": "trivial view, signed in (backbone)",
    "public": "public page /public/",
    "steering": "steering group /steering/",
    "dashboard": "backbone dashboard /dashboard/",
    "trivial_after": "trivial view (floor), after",
}


# -- the initiative home --------------------------------------------------------------------


def web_home(pool_folder: Path, scale: Scale, cache: Path) -> Path:
    """An initiative home whose indicators are computed from the generated pool, made
    once and cached (a folder without its marker is an interrupted one, made again)."""
    folder = cache / f"web-{scale.name}"
    if (folder / WEB_MARKER).exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    from needle.initiative import init_home
    from needle.initiative.config import InitiativeConfig, PartnerConfig, PeriodsConfig

    config = InitiativeConfig(
        name="National benchmark",
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        partners=tuple(
            PartnerConfig(f"P{i:03d}", f"Synthetic partner {i}")
            for i in range(1, scale.partners + 1)
        ),
    )
    init_home(folder, config, reference=False)
    print(f"Refreshing the indicators of {folder.name} (one-off; cached) ...", flush=True)
    run_child("refresh", folder, pool=pool_folder)
    return folder


def refresh_child(home_root: Path, pool_folder: Path) -> dict:
    """Compute the indicators of the generated pool into the home (the pool's files stay
    where they are: the web app reads only the results)."""
    import polars as pl

    from needle.indicators.refresh import indicators_dir, refresh_files, registry_for
    from needle.initiative import open_home
    from needle.pool import Pool

    home = open_home(home_root)
    with Pool.open(pool_folder) as pool:
        files = pool.files()
    start = time.perf_counter()
    result = refresh_files(
        indicators_dir(home.root),
        files,
        config=home.config,
        population=pl.read_parquet(pool_folder / POPULATION),
        registry=registry_for(home),
        full=True,
    )
    figures = {"refresh_seconds": round(time.perf_counter() - start, 1), "results": result.rows}
    (home.root / WEB_MARKER).write_text(json.dumps(figures, indent=1) + "\n")
    return figures


# -- Django: accounts, sessions, and one request taken apart --------------------------------


def server_environment(home: Path) -> dict[str, str]:
    """The environment of gunicorn and of the Django children: this home, local mode on
    loopback, and nothing inherited that would point the app elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NEEDLE_WEB_") and k not in {"DATABASE_URL", "NEEDLE_HOME"}
    }
    env |= {
        "NEEDLE_HOME": str(home),
        "NEEDLE_WEB_LOCAL_HTTP": "1",
        "NEEDLE_WEB_ALLOWED_HOSTS": f"{HOST},localhost",
    }
    return env


def _django() -> None:
    """Set Django up with the benchmark's site (the environment is the server's)."""
    import web_site  # noqa: F401  (configures the settings and the apps)


def accounts_child() -> dict:
    """Migrate, make the two accounts and a fresh session for each: the cookies to send."""
    _django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from needle_web.accounts.models import User
    from needle_web.accounts.roles import Role

    call_command("migrate", verbosity=0)
    cookies = {}
    for name, email, role in (
        ("backbone", BACKBONE_EMAIL, Role.BACKBONE_ADMIN),
        ("steering", STEERING_EMAIL, Role.STEERING_GROUP),
    ):
        user = User.objects.filter(email=email).first()
        if user is None:
            # No usable password: nobody signs in as it; the session below is the key.
            user = User.objects.create_user(email, None, role=role, partner_code="")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if user.is_backbone:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.create()
        cookies[name] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return {"cookies": cookies}


def profile_child(cookie: str, repeat: int) -> dict:
    """One backbone dashboard request taken apart, ``repeat`` times (medians, caches warm
    after the first), by timing what the dashboards' view calls rather than changing it:

    - read: ``selectors.current_results`` (the home's config and the run's id, then the
      run's table from the per-process cache; ``read_cold_ms`` is the first, from Parquet);
    - render: the view's ``render`` (template and context processors);
    - floor: a signed-in request to the trivial view (middleware, session, account);
    - shape: the rest of the request, that is what the view does between reading and
      rendering (the selectors turning the table into the page's numbers).

    Requests go through Django's test client: every middleware, no network.
    """
    _django()
    from django.test import Client

    from needle_web.dashboards import selectors, views

    spent = {"read": 0.0, "render": 0.0}

    def timed(key: str, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start

        return wrapper

    selectors.current_results = timed("read", selectors.current_results)
    views.render = timed("render", views.render)
    name, value = cookie.split("=", 1)
    client = Client(HTTP_HOST=HOST)
    client.cookies[name] = value

    def request(path: str) -> dict[str, float]:
        spent.update(read=0.0, render=0.0)
        start = time.perf_counter()
        response = client.get(path)
        whole = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"The profiled request to {path} answered {response.status_code}.")
        return {"whole": whole * 1000, "read": spent["read"] * 1000,
                "render": spent["render"] * 1000, "bytes": len(response.content)}  # fmt: skip

    cold = request("/dashboard/")
    runs = [request("/dashboard/") for _ in range(repeat)]
    floor = statistics.median(request(TRIVIAL)["whole"] for _ in range(repeat))
    whole = statistics.median(r["whole"] for r in runs)
    read = statistics.median(r["read"] for r in runs)
    render = statistics.median(r["render"] for r in runs)
    results = selectors.current_results(selectors.BACKBONE)
    return {
        "repeat": repeat,
        "results_rows": results.table.height if results else 0,
        "page_bytes": cold["bytes"],
        "first_request_ms": cold["whole"],
        "read_cold_ms": cold["read"],
        "request_ms": whole,
        "read_ms": read,
        "shape_ms": statistics.median(r["whole"] - r["read"] - r["render"] for r in runs) - floor,
        "render_ms": render,
        "floor_ms": floor,
    }


def run_child(phase: str, home: Path, env: dict[str, str] | None = None, **options) -> dict:
    """Run one phase in a fresh process (Django reads its settings once per process);
    its figures come back as JSON on the last line of its output."""
    args = [sys.executable, str(Path(__file__).resolve()), "--child", phase, "--home", str(home)]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"The {phase} step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(home: Path, env: dict[str, str], workers: int, threads: int):
    port = free_port()
    log = (home / "gunicorn.log").open("w")
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}",
        "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
        "--timeout", "300", "--chdir", str(BENCH), "web_site:application",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"gunicorn stopped at start:\n{(home / 'gunicorn.log').read_text()[-3000:]}"
            )
        try:
            if fetch(port, "/healthz", None)[0] == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 s (see gunicorn.log)")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fetch(port: int, path: str, cookie: str | None, timeout: float = 300) -> tuple[int, str]:
    """One GET, redirects not followed: (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def warm(port: int, page: Page, cookie: str | None, concurrent: int) -> None:
    """Enough concurrent requests that every worker reads its results once, and a check
    that the answer is the page itself rather than a sign-in redirect or an error."""
    answers: list[tuple[int, str]] = []

    def one() -> None:
        answers.append(fetch(port, page.path, cookie))

    for _ in range(2):
        workers = [threading.Thread(target=one) for _ in range(concurrent)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    for status, body in answers:
        if status != 200:
            raise SystemExit(f"{page.path} answered {status} while warming, not 200")
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
        if page.heading and (h1 is None or h1.group(1).strip() != page.heading):
            raise SystemExit(f"{page.path} is not the {page.heading!r} page")


# -- the load -------------------------------------------------------------------------------


def wrk_load(port: int, path: str, cookie: str | None, connections: int, seconds: float):
    command = [
        "wrk", "--threads", "2", "--connections", str(connections),
        "--duration", f"{max(1, round(seconds))}s", "--timeout", "10s", "--script", str(LUA),
    ]  # fmt: skip
    if cookie:
        command += ["--header", f"Cookie: {cookie}"]
    done = subprocess.run([*command, f"http://{HOST}:{port}{path}"], capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("NEEDLE-WRK ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {path}:\n{done.stderr[-2000:] or done.stdout[-2000:]}")
    figures = json.loads(line.removeprefix("NEEDLE-WRK "))
    figures["requests_per_second"] = figures["requests"] / figures["seconds"]
    figures["errors"]["total"] = sum(figures["errors"].values())
    return figures


def python_load(port: int, path: str, cookie: str | None, connections: int, seconds: float):
    """The fallback client: ``connections`` threads, each with one keep-alive connection,
    asking again as soon as an answer is read. The GIL makes it slower than wrk, so its
    figures are only a smoke check."""
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    lock = threading.Lock()
    headers = {"Cookie": cookie} if cookie else {}
    start = time.perf_counter()
    deadline = start + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine: list[float] = []
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
                with lock:
                    errors["read"] += 1
                continue
            mine.append(time.perf_counter() - sent)
            if response.status >= 400:
                with lock:
                    errors["status"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    ranked = sorted(latencies)

    def percentile(p: float) -> float:
        return ranked[min(len(ranked) - 1, int(len(ranked) * p / 100))] * 1000 if ranked else 0

    errors["total"] = sum(errors.values())
    return {
        "requests": len(ranked),
        "seconds": elapsed,
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
        "mean_ms": statistics.fmean(ranked) * 1000 if ranked else 0,
        "max_ms": ranked[-1] * 1000 if ranked else 0,
        "requests_per_second": len(ranked) / elapsed,
        "errors": errors,
    }


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).split(" [")[0].strip() or "wrk"


# -- the run --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Scale()
    parser.add_argument("--people", type=int, default=default.people)
    parser.add_argument("--attendance", type=int, default=default.attendance)
    parser.add_argument("--measurements", type=int, default=default.measurements)
    parser.add_argument("--partners", type=int, default=default.partners)
    parser.add_argument("--periods", type=int, default=default.periods)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=float, help="a fraction of the sizes given")
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per page")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of load, discarded")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk")
    parser.add_argument("--repeat", type=int, default=20, help="requests per profiled part")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and seconds, for CI")
    parser.add_argument("--cache", type=Path, default=CACHE, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--child", choices=("refresh", "accounts", "profile"), help=argparse.SUPPRESS
    )
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cookie", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "workers", "threads", "repeat"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be more than 0")
    if args.connections < args.workers:
        parser.error("--connections must be at least --workers, or some workers sit idle")
    if args.child:
        figures = {
            "refresh": lambda: refresh_child(args.home, args.pool),
            "accounts": accounts_child,
            "profile": lambda: profile_child(args.cookie, args.repeat),
        }[args.child]()
        print(json.dumps(figures))
        return figures
    if args.client == "wrk" and shutil.which("wrk") is None:
        raise SystemExit(INSTALL_WRK)
    if args.smoke:
        args.people, args.attendance, args.measurements, args.partners = 2_000, 50_000, 4_000, 4
        args.duration, args.warmup, args.repeat = 1, 0, 3
    scale = Scale(args.people, args.attendance, args.measurements, args.partners, args.periods,
                  args.seed)  # fmt: skip
    if args.scale:
        scale = scale.scaled(args.scale)

    pool = ensure_pool(scale, cache=args.cache)
    home = web_home(pool, scale, args.cache)
    made = json.loads((home / WEB_MARKER).read_text())
    print(f"Home: {home} ({made['results']:,} results, refreshed in {made['refresh_seconds']} s)")
    env = server_environment(home)
    cookies = run_child("accounts", home, env)["cookies"]
    cookie_of = {None: None, "backbone": cookies["backbone"], "steering": cookies["steering"]}
    load = wrk_load if args.client == "wrk" else python_load
    tool = wrk_version() if args.client == "wrk" else "Python threads"
    print(
        f"Load: {tool}, {args.connections} connections, {args.duration:g} s per page; "
        f"gunicorn {args.workers} workers x {args.threads} threads (gthread), "
        f"{os.cpu_count()} cores",
        flush=True,
    )

    pages: dict[str, dict] = {}
    server, port = start_server(home, env, args.workers, args.threads)
    try:
        for page in PAGES:
            cookie = cookie_of[page.account]
            warm(port, page, cookie, concurrent=2 * args.workers * args.threads)
            if args.warmup:
                load(port, page.path, cookie, args.connections, args.warmup)
            pages[page.name] = load(port, page.path, cookie, args.connections, args.duration)
            p = pages[page.name]
            print(f"  ... {page.name}: p95 {p['p95_ms']:.1f} ms, "
                  f"{p['requests_per_second']:.0f} requests/s", flush=True)  # fmt: skip
    finally:
        stop_server(server)
    profile = run_child("profile", home, env, cookie=cookies["backbone"], repeat=args.repeat)

    floor_p95 = (pages["trivial"]["p95_ms"] + pages["trivial_after"]["p95_ms"]) / 2
    dashboard_p95 = pages["dashboard"]["p95_ms"]
    figures = {
        "scale": made | {"sizes": scale.name},
        "load": {
            "tool": tool,
            "connections": args.connections,
            "threads": 2,
            "seconds": args.duration,
        },
        "server": {"workers": args.workers, "threads": args.threads, "cores": os.cpu_count()},
        "pages": pages,
        "floor_p95_ms": floor_p95,
        "dashboard_over_floor_p95": dashboard_p95 / floor_p95,
        "dashboard_target_met": dashboard_p95 < TARGET_P95_MS,
        "profile": profile,
    }

    print(f"\n  {'page':<36} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
    for name, p in pages.items():
        print(f"  {LABELS[name]:<36} {p['p50_ms']:8.1f} {p['p95_ms']:8.1f} {p['p99_ms']:8.1f} "
              f"{p['requests_per_second']:8.0f} {p['errors']['total']:7d}")  # fmt: skip
    for name in ("public", "steering", "dashboard"):
        ratio = pages[name]["p95_ms"] / floor_p95
        print(f"  p95 {name} / floor (mean of before and after): {ratio:6.1f}x")
    verdict = "met" if figures["dashboard_target_met"] else "NOT met"
    print(f"  dashboard p95 {dashboard_p95:.1f} ms: target < {TARGET_P95_MS:.0f} ms {verdict}")
    print(
        f"  one dashboard request ({profile['results_rows']:,} result rows, "
        f"{profile['page_bytes'] / 1000:.0f} kB page, median of {profile['repeat']}): "
        f"{profile['request_ms']:.1f} ms = read {profile['read_ms']:.1f} "
        f"(first read {profile['read_cold_ms']:.0f}) + shape {profile['shape_ms']:.1f} "
        f"+ render {profile['render_ms']:.1f} + floor (trivial, signed in) "
        f"{profile['floor_ms']:.1f}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
