"""Measure factsheet against its targets and against the plain ReportLab floor.

    .venv/bin/python bench/benchmark.py                 # the shipped project, and sending to 1,000 readers
    .venv/bin/python bench/benchmark.py --sheets 1000   # a synthetic project of 1,000 sheets x 4 languages

Every figure comes from fresh processes (`python -m factsheet ...`), as an
editor or a hook would run them: cold full build (with an empty cache, and
with the cache from an earlier run), no-op rebuild, one-fact-edit rebuild
(and the same edit in a warm process, as `factsheet watch` rebuilds),
`check`: wall and CPU time of the whole process tree, peak memory (from a
separate run, so that sampling it takes no time from the timed ones), PDF
bytes. Each build figure is paired with the floor, bench/plain_reportlab.py,
making the same PDFs with the same number of processes: the two run one
after the other, several times, and each side's median is reported.
--profile adds where a serial cold build spends its time, by stage. It
prints Markdown tables. It is not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402


class TreeMemory:
    """Samples the memory of a process and all its descendants, as the sum of their proportional set sizes.

    Forked workers share the parent's pages until they write to them; adding
    up resident sizes would count each shared page once per process, so the
    proportional size (each shared page divided among its sharers) is summed.
    """

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.done = pid, 0, False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        pids, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    queue += [int(c) for c in (task / "children").read_text().split()]
                except OSError:
                    pass
        return pids

    def _run(self) -> None:
        while not self.done:
            total = 0
            for pid in self._tree():
                try:
                    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.01)

    def stop(self) -> int:
        """Peak summed RSS in MB."""
        self.done = True
        self.thread.join()
        return self.peak // 1024


@dataclass
class Figure:
    """One measurement: the median wall and CPU seconds of its runs, and the peak memory of a separate run."""

    wall: float
    cpu: float | None  # None: not measured (a run inside this process)
    memory: int = 0  # MB; 0 when not measured

    def cells(self) -> str:
        """Markdown table cells: wall, CPU, memory."""
        cpu = "n/a" if self.cpu is None else f"{self.cpu:.3f}"
        return f"{self.wall:.3f} | {cpu} | {self.memory or 'n/a'}"


def run(args: list[str], env: dict, cwd: Path, memory: bool = False) -> tuple[float, float, int]:
    """Run one command in a fresh process; (wall seconds, CPU seconds of its whole tree, peak MB or 0).

    Memory is sampled only when asked: the sampler's polling would take CPU from the run it times.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeMemory(proc.pid) if memory else None
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = sampler.stop() if sampler else 0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed:\n{err.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, peak


def median_of(runs: list[tuple[float, float, int]]) -> Figure:
    """The median wall and CPU time of several runs, with the largest memory seen."""
    return Figure(statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs), max(r[2] for r in runs))


def edit_one_fact(root: Path) -> str:
    """Change the English of the first fact of the first sheet (a bottom-line takeaway), as an editor would; its sheet id."""
    path = sorted((root / "factsheets" / "sheets").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"(\n\s+- id: [\w-]+\n\s+text: (?:>-\n\s+)?\"?)", r"\1Edited ", text, count=1)
    assert edited != text, f"no fact text found to edit in {path}"
    path.write_text(edited, encoding="utf-8")
    return re.search(r"^\s*id: ([\w-]+)", text, re.MULTILINE).group(1)


def warm_edit(root: Path, jobs: int) -> float:
    """A one-fact edit rebuilt by a process that has built before, as `factsheet watch` does."""
    from factsheet.builder import build, warm_up
    from factsheet.checks import validated
    from factsheet.project import load_project
    from factsheet.templates import load_template

    project = load_project(root)
    build(validated(project), templates=["briefing"], jobs=jobs)
    warm_up(project, [load_template(root / "templates", "briefing")], project.settings.all_languages)  # as watch does
    edit_one_fact(root)
    started = time.perf_counter()
    build(validated(load_project(root)), templates=["briefing"], jobs=jobs)
    return time.perf_counter() - started


def warm_floor(root: Path, sheet_id: str) -> float:
    """The floor script making one sheet's PDFs again in a process that has made them before (serially)."""
    import plain_reportlab

    out = Path(tempfile.mkdtemp(prefix="fs-plain-warm-"))
    jobs = plain_reportlab.jobs_for(root, out, only=sheet_id)
    for job in jobs:
        plain_reportlab.render(job)
    started = time.perf_counter()
    for job in jobs:
        plain_reportlab.render(job)
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def measure_builds(root: Path, jobs: int, repeat: int) -> dict:
    """Every figure, each paired with the floor script making the same PDFs in the same run.

    The two commands of a pair run one after the other, `repeat` times, so that
    a slow spell of the machine falls on both; each side reports its median.
    """
    py = sys.executable
    cache = Path(tempfile.mkdtemp(prefix="fs-cache-"))
    # Compiled bytecode is kept (outside the repository), as an installed package has it: with
    # PYTHONDONTWRITEBYTECODE set, every run would compile factsheet's modules from source again.
    env = {**os.environ, "FACTSHEET_CACHE_DIR": str(cache), "PYTHONPYCACHEPREFIX": str(cache / "bytecode")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    build = [py, "-m", "factsheet", "build", "-C", str(root), "-q", "--template", "briefing", "-j", str(jobs)]
    check = [py, "-m", "factsheet", "check", "-C", str(root)]
    out, floor_out = root / "out", Path(tempfile.mkdtemp(prefix="fs-plain-"))

    def floor(only: str | None = None, memory: bool = False) -> tuple[float, float, int]:
        shutil.rmtree(floor_out, ignore_errors=True)
        return run([py, str(REPO / "bench" / "plain_reportlab.py"), str(root), str(floor_out), "-j", str(jobs)]
                   + (["--only", only] if only else []), env, root, memory)

    def cold(memory: bool = False) -> tuple[float, float, int]:
        shutil.rmtree(out, ignore_errors=True)
        return run(build, env, root, memory)

    rows = []  # (measurement, factsheet Figure, floor Figure or None, what the floor did)
    shutil.rmtree(out, ignore_errors=True)
    rows.append(("cold build, empty cache", median_of([run(build, env, root, memory=True)]), None, ""))
    pairs = [(cold(), floor()) for _ in range(repeat)]
    ours, theirs = median_of([p[0] for p in pairs]), median_of([p[1] for p in pairs])
    ours.memory, theirs.memory = cold(memory=True)[2], floor(memory=True)[2]
    rows.append(("cold build, cache from an earlier run", ours, theirs, "every PDF"))
    noop = median_of([run(build, env, root) for _ in range(repeat)])
    noop.memory = run(build, env, root, memory=True)[2]
    rows.append(("no-op rebuild", noop, theirs, "every PDF (it cannot tell nothing changed)"))
    pairs = []
    for _ in range(repeat):
        edited = edit_one_fact(root)
        pairs.append((run(build, env, root), floor(only=edited)))
    ours, theirs = median_of([p[0] for p in pairs]), median_of([p[1] for p in pairs])
    edit_one_fact(root)
    ours.memory = run(build, env, root, memory=True)[2]
    theirs.memory = floor(only=edited, memory=True)[2]
    rows.append(("one-fact edit rebuild, new process", ours, theirs, "the edited sheet's PDFs"))
    warm = [warm_edit(root, jobs) for _ in range(max(1, repeat // 2))]
    floor_warm = [warm_floor(root, edited) for _ in range(max(1, repeat // 2))]
    rows.append(("one-fact edit rebuild, warm process (factsheet watch)", Figure(statistics.median(warm), None),
                 Figure(statistics.median(floor_warm), None), "the edited sheet's PDFs, in a process that made them before"))
    checked = median_of([run(check, env, root) for _ in range(repeat)])
    checked.memory = run(check, env, root, memory=True)[2]
    rows.append(("check", checked, None, ""))
    edited_checks = []
    for _ in range(repeat):
        edit_one_fact(root)
        edited_checks.append(run(check, env, root))
    rows.append(("check after a one-fact edit", median_of(edited_checks), None, ""))
    sizes = [p.stat().st_size for p in out.glob("*.pdf")]
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(floor_out, ignore_errors=True)
    return {"rows": rows, "pdfs": len(sizes), "bytes": sum(sizes), "largest": max(sizes) if sizes else 0}


def profile_summary(root: Path) -> list[tuple[str, float]]:
    """Where a serial cold build of the project spends its time, by stage, from cProfile (seconds, serial).

    cProfile inflates code made of many small calls, so the shares matter more than the seconds.
    """
    import cProfile
    import pstats

    code = ("import time; t = time.perf_counter(); import factsheet.cli, factsheet.builder; a = time.perf_counter(); "
            "import factsheet.render; print(a - t, time.perf_counter() - a)")
    loader, renderer = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                 check=True).stdout.split())
    from factsheet.builder import build
    from factsheet.checks import validated
    from factsheet.project import load_project

    cache = tempfile.mkdtemp(prefix="fs-cache-")
    os.environ["FACTSHEET_CACHE_DIR"] = cache
    out = Path(tempfile.mkdtemp(prefix="fs-profile-"))
    build(validated(load_project(root)), templates=["briefing"], out_dir=out, jobs=1)  # fills the cache
    profiler = cProfile.Profile()
    profiler.enable()
    project = load_project(root)
    valid = validated(project)
    build(valid, templates=["briefing"], out_dir=out, jobs=1, force=True)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)

    def cumulative(path_end: str, name: str) -> float:
        return sum(value[3] for (path, _, function), value in stats.items() if path.endswith(path_end) and function == name)

    compress = cumulative("~", "<built-in method zlib.compress>")

    render = cumulative("render.py", "render_sheet")
    save = cumulative("pdfgen/canvas.py", "save")
    return [("import the command and the loader (new process)", loader),
            ("import ReportLab and the renderer (new process)", renderer),
            ("load the records (warm cache)", cumulative("factsheet/project.py", "load_project")),
            ("check", cumulative("factsheet/checks.py", "validated")),
            ("resolve sheets for a language", cumulative("factsheet/resolve.py", "resolve_sheet")),
            ("render (lay out and write the PDFs)", render),
            ("  parse paragraph markup", cumulative("platypus/paragraph.py", "_setup")),
            ("  break paragraphs into lines", cumulative("platypus/paragraph.py", "breakLines")),
            ("  draw paragraphs", cumulative("platypus/paragraph.py", "drawPara")),
            ("  write the PDF file (objects, streams)", save - cumulative("pdfbase/ttfonts.py", "makeSubset") - compress),
            ("  subset fonts", cumulative("pdfbase/ttfonts.py", "makeSubset")),
            ("  compress streams", compress)]


def _serve(port: int, ready, counts) -> None:
    """A counting SMTP server on loopback, in its own process so it does not share our interpreter."""
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            counts.value += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    threading.Event().wait()


def measure_send(root: Path, recipients: int) -> dict:
    """Send to N recipients through a real SMTP server on the loopback address."""
    import multiprocessing

    from factsheet.builder import build
    from factsheet.checks import validated
    from factsheet.mail.config import smtp_settings
    from factsheet.mail.recipients import load_recipients
    from factsheet.mail.send import send
    from factsheet.project import load_project

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = multiprocessing.get_context("fork")
    ready, counts = context.Event(), context.Value("i", 0)
    server = context.Process(target=_serve, args=(port, ready, counts), daemon=True)
    server.start()
    ready.wait(10)
    try:
        project = load_project(root)
        build(validated(project), templates=["briefing"], jobs=os.cpu_count() or 1)
        languages = [["ko", "en"], ["ru"], ["uk", "ru"], ["en"]]
        lines = ["recipients:"] + [f"  - name: Reader {i}\n    address: reader{i}@example.org\n"
                                   f"    languages: [{', '.join(languages[i % 4])}]" for i in range(recipients)]
        path = root / "bench-recipients.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        readers, _ = load_recipients(path, project)
        smtp = smtp_settings(project.settings.mail, {"FACTSHEET_SMTP_HOST": "127.0.0.1", "FACTSHEET_SMTP_PORT": str(port),
                                                     "FACTSHEET_SMTP_SECURITY": "none"})
        started = time.perf_counter()
        report = send(validated(project), readers, smtp=smtp, now=dt.datetime.now(dt.timezone.utc))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
    return {"seconds": seconds, "sent": report.count("sent"), "received": counts.value, "connections": report.connections}


def shipped_copy() -> Path:
    """The shipped project with its translations and editions, in a temporary folder (no archive: quotes are notes)."""
    root = Path(tempfile.mkdtemp(prefix="fs-shipped-"))
    for folder in ("factsheets", "translations", "templates", "editions"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def machine() -> str:
    """One line about this machine."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({model}), {memory} GiB, Python {sys.version.split()[0]}"


def main() -> None:
    """Command line: print the figures as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=0, help="a synthetic project of this many sheets (default: the shipped project)")
    parser.add_argument("--languages", default="en,ko,ru,uk")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=5, help="paired runs per figure; the median is reported")
    parser.add_argument("--recipients", type=int, default=1000, help="readers for the send figure (0: skip)")
    parser.add_argument("--profile", action="store_true", help="also profile a serial cold build, by stage")
    args = parser.parse_args()
    if args.sheets:
        root = synthetic.generate(Path(tempfile.mkdtemp(prefix="fs-synthetic-")) / "desk", args.sheets, args.languages.split(","))
        name = f"synthetic, {args.sheets} sheets x {len(args.languages.split(','))} languages"
        repeat = 1
    else:
        root, name, repeat = shipped_copy(), "shipped project, 3 sheets x 4 languages", args.repeat
    print(f"## {name}\n\nMachine: {machine()}; {args.jobs} worker processes; briefing template; "
          f"median of {repeat} paired run(s).\n")
    result = measure_builds(root, args.jobs, repeat)
    print("| measurement | factsheet: wall s | CPU s | peak MB | floor: wall s | CPU s | peak MB | factsheet / floor (wall) "
          "| the floor made |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, ours, floor, what in result["rows"]:
        if floor is None:
            print(f"| {label} | {ours.cells()} | | | | | |")
        else:
            print(f"| {label} | {ours.cells()} | {floor.cells()} | {ours.wall / floor.wall:.2f}x | {what} |")
    print(f"\n{result['pdfs']} PDFs, {result['bytes']:,} bytes in all, largest {result['largest']:,} bytes, "
          f"average {result['bytes'] // max(result['pdfs'], 1):,} bytes.")
    if args.profile:
        print("\nWhere a serial cold build's time goes (cProfile, one process):\n\n| stage | seconds |\n| --- | ---: |")
        for stage, seconds in profile_summary(root):
            print(f"| {stage} | {seconds:.3f} |")
    if args.recipients and not args.sheets:
        published = shipped_copy()  # as published: the edits above made drafts, which send refuses
        sent = measure_send(published, args.recipients)
        shutil.rmtree(published, ignore_errors=True)
        print(f"\nSending to {args.recipients} recipients over loopback SMTP: {sent['seconds']:.2f} s, "
              f"{sent['sent']} sent, {sent['received']} received by the server, {sent['connections']} connection(s).")
    shutil.rmtree(root.parent if args.sheets else root, ignore_errors=True)


if __name__ == "__main__":
    main()
