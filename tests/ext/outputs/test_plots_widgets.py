"""Plotly figures summarised; widgets rendered from the state the kernel holds."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from jmcp_ext.outputs import output_text, render_outputs, widget_text
from jmcp_ext.outputs.widgets import WIDGET

from .conftest import bundle


def plotly_output(figure: go.Figure) -> dict[str, Any]:
    """What a kernel shows in JupyterLab for a figure (plotly's ``plotly_mimetype`` renderer)."""
    data = pio.renderers["plotly_mimetype"].to_mimebundle(figure.to_plotly_json())
    return {"output_type": "display_data", "data": data, "metadata": {}}


def test_plotly_figure_is_summarised() -> None:
    figure = go.Figure(layout={"title": "Sales", "xaxis_title": "month", "yaxis_title": "EUR"})
    figure.add_scatter(x=np.arange(12), y=np.linspace(10.0, 120.0, 12), name="2025", mode="lines+markers")
    figure.add_bar(x=["a", "b", "c"], y=[3, 1, 2], name="share")
    figure.add_heatmap(z=np.ones((4, 5)))
    assert output_text(plotly_output(figure)) == (
        "Plotly figure 'Sales', 3 traces:\n"
        "- scatter '2025' (lines+markers): 12 points (x 0..11, y 10..120)\n"
        "- bar 'share': 3 points (y 1..3)\n"
        "- heatmap: z 4x5 grid, z 1..1\n"
        "axes: x: 'month', y: 'EUR'"
    )


def test_plotly_3d_axes_are_read_from_the_scene() -> None:
    figure = go.Figure(go.Scatter3d(x=[1, 2], y=[3, 4], z=[5, 6], mode="markers"))
    figure.update_layout(scene={"xaxis_title": "a", "yaxis_title": "b", "zaxis_title": "c"})
    text = output_text(plotly_output(figure))
    assert "- scatter3d (markers): 2 points (x 1..2, y 3..4, z 5..6)" in text
    assert "axes: scene.x: 'a', scene.y: 'b', scene.z: 'c'" in text


def states(*items: widgets.Widget) -> dict[str, dict[str, Any]]:
    """Model id -> state, as the lead reads them from the kernel."""
    return {w.model_id: w.get_state() for w in items}


def test_a_progress_bar_reads_as_its_current_value() -> None:
    bar = widgets.IntProgress(value=0, max=10, description="Loading")
    shown = bundle(bar)
    assert WIDGET in shown["data"]
    bar.value = 7  # after display time: the repr in the output is stale, the state is not
    assert output_text(shown, widget_states=states(bar)) == "Loading: [##############......] 7/10"


def test_a_tqdm_notebook_bar_reads_like_the_text_one() -> None:
    left, bar, right = widgets.HTML("train: 45%"), widgets.FloatProgress(value=45, max=100), widgets.HTML()
    right.value = "45/100 [00:01&lt;00:02, 30.51it/s]"
    box = widgets.HBox([left, bar, right])
    text = output_text(bundle(box), widget_states=states(box, left, bar, right))
    assert text == "train: 45% [#########...........] 45/100 45/100 [00:01<00:02, 30.51it/s]"


def test_controls_show_their_values() -> None:
    pick = widgets.Dropdown(options=["red", "green"], value="green", description="colour")
    check = widgets.Checkbox(value=True, description="normalise")
    slider = widgets.FloatSlider(value=0.5, min=0, max=2, description="alpha")
    label = widgets.Label("ready")
    box = widgets.VBox([pick, check, slider, label, widgets.Button(description="Run")])
    button = box.children[-1]
    text = widget_text(box.model_id, states(box, pick, check, slider, label, button))
    assert text.split("\n") == [
        "colour: green (options: red, green)",
        "[x] normalise",
        "alpha: 0.5 (range 0..2)",
        "ready",
        "[button: Run]",
    ]


def test_an_output_widget_renders_the_outputs_it_holds() -> None:
    out = widgets.Output()
    state = out.get_state()
    state["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "inside\n"}]
    assert widget_text(out.model_id, {out.model_id: state}).strip() == "inside"


def test_without_its_state_a_widget_says_what_it_is_not_its_stale_repr() -> None:
    bar = widgets.IntProgress(value=0, max=10)
    text = render_outputs([bundle(bar)]).text
    assert text == f"[IntProgress widget, model {bar.model_id}: its current state is not available]"
