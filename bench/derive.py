"""Per-derivation cost of the sandbox (issue 13): in-process `derive_here` vs `derive()` (a child forked
from the forkserver) vs a freshly spawned child. Run: PYTHONPATH=. python -m bench.derive"""
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from library.demo import samples
from library.resources import ingest, sandbox

def spawn_run(path, ct):
    ctx = multiprocessing.get_context("spawn")
    r, w = ctx.Pipe(duplex=False)
    p = ctx.Process(target=sandbox._child, args=(w, sandbox.Limits(), ingest._derive_in_child, (str(path), ct, sandbox.Limits())))
    p.start(); w.close(); out = r.recv(); p.join(); return out

def main():
    d = Path(tempfile.mkdtemp())
    docx = samples.make_docx(d / "a.docx", "标题", ["一", "二"])
    png = samples.make_png(d / "a.png", size=(600, 400))
    ingest.derive(docx, ingest.DOCX)  # forkserver up
    for path, ct in ((docx, ingest.DOCX), (png, "image/png")):
        ingest.derive_here(path, ct)
        rows = {}
        for label, fn in (("in-process", lambda: ingest.derive_here(path, ct)),
                          ("forkserver", lambda: ingest.derive(path, ct)),
                          ("spawn", lambda: spawn_run(path, ct))):
            times = []
            for _ in range(10 if label != "spawn" else 5):
                t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
            rows[label] = statistics.median(times)
        base = rows["in-process"]
        print(f"{path.name}: in-process {base:.0f} ms; forkserver {rows['forkserver']:.0f} ms (+{rows['forkserver'] - base:.0f}); spawn {rows['spawn']:.0f} ms (+{rows['spawn'] - base:.0f})")

if __name__ == "__main__":
    main()
