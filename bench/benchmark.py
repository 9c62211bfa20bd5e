"""Measure factsheet against its targets and against the plain ReportLab floor.

    .venv/bin/python bench/benchmark.py                 # the shipped project, and sending to 1,000 readers
    .venv/bin/python bench/benchmark.py --sheets 1000   # a synthetic project of 1,000 sheets x 4 languages

Every figure comes from fresh processes (`python -m factsheet ...`), as an
editor or a hook would run them: cold full build (with an empty cache, and
with the cache from an earlier run), no-op rebuild, one-fact-edit rebuild,
`check`, peak memory of the whole process tree, PDF bytes, and the plain
ReportLab script making the same documents with the same number of
processes. It prints a Markdown table. It is not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
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


def run(args: list[str], env: dict, cwd: Path) -> tuple[float, int]:
    """Run one command in a fresh process; return (seconds, peak MB of its process tree)."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    memory = TreeMemory(proc.pid)
    _, err = proc.communicate()
    seconds = time.perf_counter() - started
    peak = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{err.decode()}")
    return seconds, peak


def best(times: list[tuple[float, int]]) -> tuple[float, int]:
    """The fastest of several runs (the least disturbed), with the largest memory seen."""
    return min(t for t, _ in times), max(m for _, m in times)


def edit_one_fact(root: Path) -> None:
    """Change the English of the first fact of the first sheet (a bottom-line takeaway), as an editor would."""
    path = sorted((root / "factsheets" / "sheets").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    edited = re.sub(r"(\n\s+- id: [\w-]+\n\s+text: (?:>-\n\s+)?\"?)", r"\1Edited ", text, count=1)
    assert edited != text, f"no fact text found to edit in {path}"
    path.write_text(edited, encoding="utf-8")


def after_an_edit(args: list[str], env: dict, root: Path) -> tuple[float, int]:
    """Edit one fact, then time one command in a fresh process."""
    edit_one_fact(root)
    return run(args, env, root)


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


def measure_builds(root: Path, jobs: int, repeat: int) -> dict:
    """Build timings, memory and sizes for one project."""
    py = sys.executable
    cache = Path(tempfile.mkdtemp(prefix="fs-cache-"))
    env = {**os.environ, "FACTSHEET_CACHE_DIR": str(cache)}
    build = [py, "-m", "factsheet", "build", "-C", str(root), "-q", "--template", "briefing", "-j", str(jobs)]
    out = root / "out"
    figures = {}
    shutil.rmtree(out, ignore_errors=True)
    figures["cold build, empty cache"] = run(build, env, root)
    cold = []
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        cold.append(run(build, env, root))
    figures["cold build, cache from an earlier run"] = best(cold)
    figures["no-op rebuild"] = best([run(build, env, root) for _ in range(repeat)])
    figures["one-fact edit rebuild"] = best([after_an_edit(build, env, root) for _ in range(repeat)])
    figures["one-fact edit rebuild in a warm process (factsheet watch)"] = (warm_edit(root, jobs), 0)
    check = [py, "-m", "factsheet", "check", "-C", str(root)]
    figures["check"] = best([run(check, env, root) for _ in range(repeat)])
    figures["check after a one-fact edit"] = best([after_an_edit(check, env, root) for _ in range(repeat)])
    sizes = [p.stat().st_size for p in out.glob("*.pdf")]
    plain_out = Path(tempfile.mkdtemp(prefix="fs-plain-"))
    plain = []
    for _ in range(repeat):
        shutil.rmtree(plain_out, ignore_errors=True)
        plain.append(run([py, str(REPO / "bench" / "plain_reportlab.py"), str(root), str(plain_out), "-j", str(jobs)], env, root))
    figures["plain ReportLab script, same documents"] = best(plain)
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(plain_out, ignore_errors=True)
    return {"figures": figures, "pdfs": len(sizes), "bytes": sum(sizes), "largest": max(sizes) if sizes else 0}


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
    """The shipped project, with its translations, in a temporary folder (without the archive: quotes become notes)."""
    root = Path(tempfile.mkdtemp(prefix="fs-shipped-"))
    for folder in ("factsheets", "translations", "templates"):
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
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the fastest is reported")
    parser.add_argument("--recipients", type=int, default=1000, help="readers for the send figure (0: skip)")
    args = parser.parse_args()
    if args.sheets:
        root = synthetic.generate(Path(tempfile.mkdtemp(prefix="fs-synthetic-")) / "desk", args.sheets, args.languages.split(","))
        name = f"synthetic, {args.sheets} sheets x {len(args.languages.split(','))} languages"
        repeat = 1
    else:
        root, name, repeat = shipped_copy(), "shipped project, 3 sheets x 4 languages", args.repeat
    print(f"## {name}\n\nMachine: {machine()}; {args.jobs} worker processes; briefing template.\n")
    result = measure_builds(root, args.jobs, repeat)
    print("| measurement | seconds | peak memory (MB, PSS of the whole process tree) |\n| --- | ---: | ---: |")
    for label, (seconds, peak) in result["figures"].items():
        print(f"| {label} | {seconds:.3f} | {peak or 'n/a'} |")
    print(f"\n{result['pdfs']} PDFs, {result['bytes']:,} bytes in all, largest {result['largest']:,} bytes, "
          f"average {result['bytes'] // max(result['pdfs'], 1):,} bytes.")
    ours = result["figures"]["cold build, cache from an earlier run"][0]
    floor = result["figures"]["plain ReportLab script, same documents"][0]
    print(f"Cold build / plain ReportLab: {ours / floor:.2f}x.")
    if args.recipients and not args.sheets:
        sent = measure_send(root, args.recipients)
        print(f"\nSending to {args.recipients} recipients over loopback SMTP: {sent['seconds']:.2f} s, "
              f"{sent['sent']} sent, {sent['received']} received by the server, {sent['connections']} connection(s).")
    shutil.rmtree(root.parent if args.sheets else root, ignore_errors=True)


if __name__ == "__main__":
    main()
