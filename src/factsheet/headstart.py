"""A second renderer started ahead of the build, so that both cores work from the first moment.

A build in a new process spends about 0.2 s before its first PDF: importing
the loader, loading, checking and planning, then importing ReportLab and
reading fonts; forked workers start only after all that, while the second core
idles. With two processes, `factsheet build` instead forks one at its very
start, when its outputs look out of date. It imports ReportLab and the renderer
on the other core while the command loads, checks and plans; the command then
sends it each planned PDF with its sheet already resolved, and it starts
rendering while the command imports the renderer in turn. From then on the two
take the next PDF from a shared counter, so neither waits for the other.

Whatever the head start does not finish (it failed, or died), the build
renders itself, so it only ever saves time.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from pathlib import Path

# Input files (records, translations, templates, editions) beyond which no head start is made: a big project
# renders long enough for start-up not to matter, and is better served by workers forked from a warm parent.
LARGEST = 400
INPUT_FOLDERS = ("factsheets", "translations", "templates", "editions")


class Headstart:
    """The build's end of a renderer started before the project was loaded."""

    def __init__(self, process, connection, counter) -> None:
        self.process, self.connection, self.counter = process, connection, counter
        self.helping = True  # until it ends, dies or cannot be reached
        self.rendered = 0  # PDFs it has rendered

    @classmethod
    def start(cls, project_dir: Path, out_dir: Path | None, force: bool) -> Headstart | None:
        """Fork the renderer when this build will likely render PDFs; None when it would not be worth it."""
        if "fork" not in multiprocessing.get_all_start_methods():
            return None
        from .project import ProjectNotFound, find_root

        try:
            root = find_root(Path(project_dir))
        except ProjectNotFound:
            return None  # the build says why, with the file it looked for
        if not (force or likely_to_render(root, Path(out_dir) if out_dir else root / "out")):
            return None
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        counter = context.Value("i", 0)
        process = context.Process(target=_lead, args=(root, theirs, counter, os.getpid()), name="factsheet-headstart")
        process.start()
        theirs.close()
        return cls(process, ours, counter)

    def render(self, work: list, order: list, templates: dict, staging: Path, results: list, times: list,
               progress) -> None:
        """Render the shared work (builder.shared_work) in `order`, here and in the head start.

        Fills `results` and `times` (seconds per task) in work order.
        """
        from .builder import Output, prepare, timed_render

        done = 0

        def report(index: int, result, seconds: float) -> None:
            nonlocal done
            results[index], times[index] = result, seconds
            done += 1
            if progress and isinstance(result, Output):
                progress(done, len(work), result.file)

        def render_here(index: int) -> None:
            report(index, *timed_render(prepared[index], templates, staging))

        # Resolving is quick: every PDF is handed over, pickled here in one piece, before any is rendered. A
        # thread writes it, so that this process goes on to import the renderer while the head start reads.
        prepared = [prepare(index) for index in range(len(work))]
        handover = pickle.dumps((templates, str(staging), prepared, order), protocol=pickle.HIGHEST_PROTOCOL)
        threading.Thread(target=self._send, args=(handover,), daemon=True).start()
        while (turn := claim(self.counter, len(work))) is not None:
            render_here(order[turn])
            self._collect(report, wait=False)
        while self.helping and any(result is None for result in results):
            self._collect(report, wait=True)
        for index, result in enumerate(results):
            if result is None:  # claimed by the head start, which died before finishing it
                render_here(index)

    def _send(self, handover: bytes) -> None:
        try:
            self.connection.send_bytes(handover)
        except (OSError, ValueError):  # the head start is gone, or the build ended and closed the pipe
            self.helping = False

    def _collect(self, report, wait: bool) -> None:
        """Take the head start's finished PDFs (waiting for one if asked); note when it has ended or died."""
        try:
            while self.helping and (wait or self.connection.poll()):
                kind, *values = self.connection.recv()
                if kind == "done":
                    report(*values)
                    self.rendered += 1
                else:
                    self.helping = False
                wait = False
        except (EOFError, OSError):
            self.helping = False

    def close(self) -> None:
        """End the head start, whether or not it was handed work."""
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()

    def __enter__(self) -> Headstart:
        return self

    def __exit__(self, *_) -> None:
        self.close()


def claim(counter, total: int) -> int | None:
    """The turn of the next PDF nobody has taken yet (its place in the order), or None when all are taken."""
    with counter.get_lock():
        index = counter.value
        if index >= total:
            return None
        counter.value = index + 1
        return index


def likely_to_render(root: Path, out_dir: Path) -> bool:
    """Whether an input file is newer than the manifest (or there is none), in a project small enough to start ahead.

    A guess from modification times only: the build itself decides what to render.
    """
    try:
        built = (out_dir / "manifest.json").stat().st_mtime_ns
    except OSError:
        built = None
    count, newer = 0, built is None
    for folder in INPUT_FOLDERS:
        for path, _, files in os.walk(root / folder):
            count += len(files)
            if count > LARGEST:
                return False
            newer = newer or any(_modified(os.path.join(path, name)) > built for name in files)
    return newer


def _modified(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def _lead(root: Path, connection, counter, parent: int) -> None:
    """The head start: import the renderer and read the fonts, then take PDFs from the counter until none are left."""
    try:
        from . import builder

        builder.die_with_parent(parent)
        _warm_up(root)
        templates, staging, prepared, order = connection.recv()
        while (turn := claim(counter, len(prepared))) is not None:
            connection.send(("done", order[turn], *builder.timed_render(prepared[order[turn]], templates, Path(staging))))
        connection.send(("end",))
    # Whatever stops it (a build that ended, a surprise), the build renders what is left, and reports any
    # problem there with its file and line; a traceback from here would only confuse.
    except BaseException:  # noqa: BLE001
        pass
    finally:
        os._exit(0)


def _warm_up(root: Path) -> None:
    """Import ReportLab and read, ahead of the work, the fonts and hyphenation dictionaries the project names."""
    from . import hyphenation, render  # noqa: F401 (render: ReportLab, imported while the build loads and checks)
    from .fonts import register_family
    from .problems import Problems
    from .templates import load_fonts, load_typography

    # A guess from the project's own files: what fails here (a font outside the project, a broken file) is
    # read, or reported, by whichever process renders with it.
    families, _ = load_fonts(root / "templates", Problems(), (root.resolve(),))
    for family in families.values():
        register_family(family)
    for rules in load_typography(root / "templates").values():
        if rules.hyphenation:
            hyphenation.load(rules.hyphenation)
