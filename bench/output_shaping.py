"""Cost of shaping outputs for a model: image shrinking, terminal semantics, HTML tables, lazy imports.

PYTHONPATH=$PWD python -m bench.output_shaping [--quick]
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

FRAME = "\r" + "train: 45%|####5     | 450/1000 [00:01<00:02, 300.00it/s]"


def _median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _scatter_png(target: int = 2_000_000) -> bytes:
    """A coloured matplotlib scatter plot at dpi=300 (3000x3000 px), grown until its PNG reaches ``target`` bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rng = np.random.default_rng(0)
    points = 2_000
    while True:
        fig, ax = plt.subplots(figsize=(10, 10), dpi=300)
        ax.scatter(rng.uniform(size=points), rng.uniform(size=points), c=rng.random(points), s=4)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        if len(buffer.getvalue()) >= target or points > 100_000:
            return buffer.getvalue()
        points = points * 3 // 2


def _import_ms(statement: str) -> float:
    """Wall time of one import in a fresh interpreter, minus the interpreter's own start."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return float(out.stdout) * 1000


def _importtime_ms(statement: str, module: str) -> float:
    """Cumulative import time of ``module`` (its own imports included) when ``statement`` runs in a fresh process."""
    code = [sys.executable, "-X", "importtime", "-c", statement]
    err = subprocess.run(code, capture_output=True, text=True, check=True, timeout=120).stderr
    for line in err.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    return float("nan")


def measure(quick: bool = False) -> dict[str, Any]:
    """Every figure, in milliseconds unless the key says otherwise."""
    import pandas as pd

    from jmcp_ext.outputs import OutputList, output_text, render_outputs

    runs = 3 if quick else 11
    figures: dict[str, Any] = {}

    png = _scatter_png()
    output = {"output_type": "display_data", "data": {"image/png": base64.b64encode(png).decode()}}
    rendered = render_outputs([output])
    figures["png_bytes"] = len(png)
    figures["png_sent_bytes"] = len(base64.b64decode(rendered.images[0].data))
    figures["png_shrink_ms"] = _median_ms(lambda: render_outputs([output]), runs)

    text = FRAME * (10_000_000 // len(FRAME)) + "\n"
    stored = [{"output_type": "stream", "name": "stderr", "text": text}]
    figures["stream_10mb_render_ms"] = _median_ms(lambda: render_outputs(stored), runs)

    def live() -> None:
        model = OutputList()
        for _ in range(100_000):
            model.apply("stream", {"name": "stderr", "text": FRAME})

    figures["stream_100k_messages_ms"] = _median_ms(live, max(1, runs // 3))

    frame = pd.DataFrame({f"c{i}": [j * 0.5 for j in range(1_000)] for i in range(8)})
    df_output = {"output_type": "execute_result", "execution_count": 1, "data": {"text/html": frame._repr_html_()}}
    styler = {"output_type": "display_data", "data": {"text/html": frame.head(100).style._repr_html_()}}
    general = {"output_type": "display_data", "data": {"text/html": "<h2>Report</h2><p>All <b>good</b></p>" * 20}}
    figures["dataframe_html_ms"] = _median_ms(lambda: output_text(df_output), runs * 10)
    figures["styler_100_rows_ms"] = _median_ms(lambda: output_text(styler), runs * 3)
    figures["general_html_ms"] = _median_ms(lambda: output_text(general), runs * 3)

    figures["import_markdownify_ms"] = _import_ms("import markdownify")
    figures["import_pil_ms"] = _import_ms("import PIL.Image")
    # jmcp_ext.outputs needs mcp.types (about a second, mostly the SDK's client), which the server has loaded
    # already: count what the package adds on top, from -X importtime.
    figures["import_outputs_ms"] = _importtime_ms("import mcp.types; import jmcp_ext.outputs", "jmcp_ext.outputs")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.output_shaping", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few samples")
    args = parser.parse_args(argv)
    figures = measure(quick=args.quick)
    print(
        f"shrink a {figures['png_bytes']:,}-byte PNG (3000x3000) to {figures['png_sent_bytes']:,} bytes: "
        f"{figures['png_shrink_ms']:.1f} ms"
    )
    print(f"render a 10 MB stream output of \\r frames: {figures['stream_10mb_render_ms']:.1f} ms")
    print(f"apply 100,000 stream messages (one frame each) live: {figures['stream_100k_messages_ms']:.1f} ms")
    print(f"DataFrame HTML (1,000x8, pandas shows 10 rows) to markdown: {figures['dataframe_html_ms']:.2f} ms")
    print(f"Styler HTML (100x8) to markdown: {figures['styler_100_rows_ms']:.2f} ms")
    print(f"general HTML (40 elements) to markdown (markdownify): {figures['general_html_ms']:.2f} ms")
    print(
        f"first-use imports: markdownify+bs4 {figures['import_markdownify_ms']:.0f} ms, "
        f"PIL {figures['import_pil_ms']:.0f} ms, jmcp_ext.outputs {figures['import_outputs_ms']:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
