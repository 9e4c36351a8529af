"""(a') The naive loop in one Python process: what a user would write with the libraries'
own Python APIs instead of their command lines, one brief after another::

    html, pdf = HTMLExporter(), WebPDFExporter()
    for brief in briefs:
        papermill.execute_notebook(notebook, executed, parameters=parameters)
        write(executed.with_suffix(".html"), html.from_filename(executed)[0])
        write(executed.with_suffix(".pdf"), pdf.from_filename(executed)[0])

It pays no interpreter start and no imports per step (the command-line loop starts three
interpreters a brief), and compiles each exporter's template once; each brief still gets a
kernel of its own, started the ordinary way, and each PDF a browser of its own (nbconvert's
``webpdf`` launches one per conversion). Run as a script by :func:`bench.naive.one_process_build`:

    python bench/one_process.py JOB.json

JOB.json: ``{"out_dir": ..., "formats": ["html", "pdf"], "results": PATH, "briefs":
[{"id": ..., "notebook": ..., "parameters": {...}}, ...]}``. Writes to ``results`` each
brief's status, failing step and seconds per step (``papermill``, ``html``, ``webpdf``, the
command-line loop's names), after every brief. Standard library, papermill and nbconvert only.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    out_dir, formats = Path(job["out_dir"]), job["formats"]
    out_dir.mkdir(parents=True, exist_ok=True)

    import papermill
    from nbconvert import HTMLExporter, WebPDFExporter

    exporters = {"html": HTMLExporter(), "webpdf": WebPDFExporter()}
    steps = [("html", ".html")] if "html" in formats else []
    steps += [("webpdf", ".pdf")] if "pdf" in formats else []
    records = []
    for brief in job["briefs"]:
        executed = out_dir / f"{brief['id']}.ipynb"
        record = {"id": brief["id"], "status": "built", "steps": {}}
        records.append(record)
        for step, suffix in [("papermill", None), *steps]:
            started = time.perf_counter()
            try:
                if suffix is None:
                    papermill.execute_notebook(brief["notebook"], str(executed), parameters=brief["parameters"],
                                               progress_bar=False)
                else:
                    body, _ = exporters[step].from_filename(str(executed))
                    data = body if isinstance(body, bytes) else body.encode("utf-8")
                    (out_dir / f"{brief['id']}{suffix}").write_bytes(data)
            except Exception:
                traceback.print_exc()
                record["status"], record["failed_step"] = "failed", step
                break
            finally:
                record["steps"][step] = round(time.perf_counter() - started, 3)
        Path(job["results"]).write_text(json.dumps(records), encoding="utf-8")
    return 1 if any(r["status"] == "failed" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
