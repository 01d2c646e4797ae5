"""Limits before the work: what a hostile or oversized upload costs the server.

    python -m benchmarks.limits [--runs 5] [--timeout 300] [--product DIR] [--cases a,b,c,d,e] [--out FILE.md]

A real ``routeplanner serve`` (waitress, SQLite in a temporary folder, no
solve runner) is started in a subprocess for each case, and the stops file is
uploaded to it with ``POST /api/scenarios`` (multipart, like curl), ``--runs``
times.  Cases (issue 9, points 3 and 4):

* **a**: the xlsx decompression bomb of the issue: 300,000 rows x 10 numbers,
  ~190 kB on disk, ~48 MB of sheet XML unpacked;
* **b**: a 10 MB CSV of bad rows (five bad values a row, ~590,000 rows);
* **c**: a valid 10 MB CSV of ~290,000 stops, past the 2,000-stop limit;
* **d**: a valid CSV of 2,000 stops (accepted: the cost of the largest upload
  that is allowed);
* **e**: a workbook of 200,000 stop rows whose sheet unpacks to 19 MB, within
  the unpacked-size limits, so that only counting rows stops it.

Measured per run: the wall time of the request as the client sees it, the
server's extra resident memory (peak RSS during the request minus RSS before
it, from ``/proc/PID/status``; the peak is reset before each run by writing
``5`` to ``/proc/PID/clear_refs``, so Linux only), the HTTP status, the size
of the answer and the problems it counts.  The table gives the median of the
runs and the worst.

``--product DIR`` runs the server from another checkout (its ``routeplanner``
package first on ``PYTHONPATH``), for a before/after comparison: for example
a scratch copy of ``main`` made with ``git archive``.  A run that passes
``--timeout`` seconds is recorded as such and ends that case (the server,
still busy, is stopped).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, Clock, fmt, header, log, md_table, median, write_output

HEADER = b"name,lat,lon,loans_per_visit,frequency\n"
MB = 1_000_000


# --- the files ------------------------------------------------------------------


def xlsx_bomb(rows: int = 300_000, cells: int = 10, row_xml: bytes = b"") -> bytes:
    """A workbook: a stops header, then ``rows`` rows of ``cells`` numbers (or ``row_xml``), zipped directly."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "lat", "lon", "loans_per_visit"])
    source = io.BytesIO()
    book.save(source)
    row_xml = row_xml or b"<row>" + b"".join(b"<c><v>%d</v></c>" % i for i in range(cells)) + b"</row>"
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            xml = src.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, xml)
                continue
            head, _, tail = xml.partition(b"</row>")
            with dst.open(info.filename, "w") as fh:
                fh.write(head + b"</row>")
                for _ in range(rows // 1000):
                    fh.write(row_xml * 1000)
                fh.write(tail)
    return out.getvalue()


def xlsx_of_stops(rows: int = 200_000) -> bytes:
    """A workbook of ``rows`` valid stop rows, within the unpacked-size limits: only counting rows stops it."""
    return xlsx_bomb(rows, row_xml=b'<row><c t="inlineStr"><is><t>x</t></is></c><c><v>55</v></c><c><v>25</v></c>'
                                   b"<c><v>1</v></c></row>")


def bad_rows_csv(size: int = 10 * MB) -> bytes:
    row = b",abc,abc,-1,daily\n"  # name, lat, lon, loans, frequency: five problems
    return HEADER + row * ((size - len(HEADER)) // len(row))


def valid_csv(stops: int) -> bytes:
    rows = (f"Stop {i},{55 + (i % 9973) / 10000:.4f},{25 + (i % 9967) / 10000:.4f},{1 + i % 40},weekly\n"
            for i in range(stops))
    return HEADER + "".join(rows).encode()


def valid_csv_of_size(size: int = 10 * MB) -> bytes:
    per_row = len(valid_csv(1000)) / 1000
    data = valid_csv(int(size / per_row))
    return data[: data.rfind(b"\n", 0, size) + 1]


@dataclass
class Case:
    key: str
    title: str
    filename: str
    make: object  # () -> bytes
    data: bytes = field(default=b"", repr=False)


CASES = [
    Case("a", "xlsx bomb: 300,000 rows x 10 cells", "bomb.xlsx", xlsx_bomb),
    Case("b", "10 MB CSV of bad rows", "bad.csv", bad_rows_csv),
    Case("c", "valid 10 MB CSV past the stop limit", "many.csv", valid_csv_of_size),
    Case("d", "valid CSV of 2,000 stops (accepted)", "stops.csv", lambda: valid_csv(2000)),
    Case("e", "xlsx of 200,000 stops, 19 MB unpacked", "stops.xlsx", xlsx_of_stops),
]


# --- the server -------------------------------------------------------------------


class Server:
    """``routeplanner serve`` in a subprocess, on a free port, with its own SQLite file."""

    def __init__(self, product: Path | None):
        self.folder = tempfile.TemporaryDirectory(prefix="limits-bench-")
        env = dict(os.environ)
        env.update({
            "ROUTEPLANNER_DATABASE_URL": f"sqlite:///{self.folder.name}/bench.sqlite",
            "ROUTEPLANNER_LOAD_SAMPLE": "0",
            "ROUTEPLANNER_SECRET_KEY": "benchmark",
        })
        if product is not None:
            env["PYTHONPATH"] = str(product) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "routeplanner", "serve", "--port", "0", "--no-runner", "--threads", "4"],
            cwd=str(product or REPO), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise SystemExit(f"the server ended at start (exit {self.proc.returncode})")
            m = re.search(r"serving on (http://\S+?)/?\s", line)
            if m:
                # Keep reading its log so that the pipe never fills up.
                import threading

                threading.Thread(target=self._drain, daemon=True).start()
                return m.group(1).rstrip("/")
        raise SystemExit("the server did not start in time")

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for _line in self.proc.stderr:
            pass

    def _status(self, key: str) -> float:
        """A ``/proc/PID/status`` value in MB (VmRSS, VmHWM)."""
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
        return int(m.group(1)) / 1024 if m else float("nan")

    def reset_peak(self) -> float:
        """Reset the peak RSS to the current RSS; returns the RSS (MB)."""
        Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
        return self._status("VmRSS")

    def peak(self) -> float:
        return self._status("VmHWM")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.folder.cleanup()


def upload(url: str, case: Case, timeout: float) -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("name", "Benchmark"), ("depot_lat", "55.9"), ("depot_lon", "25.5")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="stops"; filename="{case.filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + case.data + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url + "/api/scenarios", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def problems_counted(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return "–"
    if not isinstance(doc, dict) or "problems" not in doc:
        return "–"
    listed = len(doc["problems"])
    total = doc.get("problems_total", listed)
    return f"{total:,}" if total == listed else f"{listed:,} of {total:,}"


# --- running ----------------------------------------------------------------------------


def run_case(case: Case, runs: int, timeout: float, product: Path | None) -> dict:
    server = Server(product)
    times, extra, statuses, sizes, counted = [], [], set(), [], ""
    timed_out = False
    try:
        for k in range(runs):
            before = server.reset_peak()
            started = time.monotonic()
            try:
                status, body = upload(server.url, case, timeout)
            except (TimeoutError, urllib.error.URLError) as exc:
                log(f"  {case.key} run {k + 1}: no answer in {timeout:g} s ({exc})")
                times.append(None)
                extra.append(server.peak() - before)
                timed_out = True
                break
            elapsed = time.monotonic() - started
            times.append(elapsed)
            extra.append(server.peak() - before)
            statuses.add(status)
            sizes.append(len(body))
            counted = problems_counted(body)
            log(f"  {case.key} run {k + 1}: {status} in {elapsed:.2f} s, +{extra[-1]:.0f} MB, "
                f"{len(body):,} bytes, problems {counted}")
    finally:
        server.stop()
    done = [t for t in times if t is not None]
    return {
        "case": f"({case.key}) {case.title}",
        "file": f"{len(case.data) / MB:,.2f} MB" if len(case.data) >= MB else f"{len(case.data) / 1000:.0f} kB",
        "runs": f"{len(done)}" + (f" (+1 past {timeout:g} s)" if timed_out else ""),
        "time": fmt(median(done), 2, " s") if done else f"> {timeout:g} s",
        "worst": f"> {timeout:g} s" if timed_out else fmt(max(done), 2, " s"),
        "rss": fmt(median(extra), 0, " MB"),
        "rss_worst": fmt(max(extra), 0, " MB") if extra else "–",
        "status": ", ".join(str(s) for s in sorted(statuses)) or "–",
        "answer": fmt(median(sizes) / 1000, 1, " kB") if sizes else "–",
        "problems": counted or "–",
    }


def _server_code(product: Path | None) -> str:
    if product is None:
        return "this checkout"
    revision = product / "REVISION"  # written beside a `git archive` copy, which has no .git
    return f"{product}" + (f" (git {revision.read_text().strip()})" if revision.is_file() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="requests per case (default 5); the median is shown")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a request may take (default 300)")
    parser.add_argument("--product", type=Path, help="run the server from this checkout instead (before/after)")
    parser.add_argument("--cases", default="a,b,c,d,e", help="which cases, of a,b,c,d,e (default all)")
    parser.add_argument("--out", help="write the markdown report here too")
    args = parser.parse_args(argv)
    clock = Clock()
    rows = []
    for case in CASES:
        if case.key not in args.cases.split(","):
            continue
        case.data = case.make()
        log(f"case {case.key}: {case.title}, {len(case.data):,} bytes")
        r = run_case(case, args.runs, args.timeout, args.product)
        rows.append([r["case"], r["file"], r["runs"], r["time"], r["worst"], r["rss"], r["rss_worst"], r["status"],
                     r["answer"], r["problems"]])
        report = header(
            "Limits: hostile and oversized uploads", clock,
            extra=[("server", "`routeplanner serve` (waitress, SQLite, --no-runner) from "
                              + _server_code(args.product)),
                   ("request", "`POST /api/scenarios`, multipart: name, depot_lat, depot_lon and the stops file")],
            packages=("openpyxl", "flask", "waitress"),
        )
        if args.product is not None:  # the header's git revision is this checkout's, not the server's
            report = report.replace("- **product**: ", "- **benchmark code**: ", 1)
        report += "\n" + md_table(
            ["case", "file", "runs", "time (median)", "worst", "extra RSS (median)", "worst", "status", "answer",
             "problems (listed of counted)"],
            rows, ["l", "r", "r", "r", "r", "r", "r", "l", "r", "r"],
        )
        write_output(report if len(rows) == len(args.cases.split(",")) else report + "\n**incomplete**\n",
                     args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
