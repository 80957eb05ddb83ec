"""Jupyter widgets (``application/vnd.jupyter.widget-view+json``) as text, from their state in the kernel."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable, Mapping
from typing import Any

WIDGET = "application/vnd.jupyter.widget-view+json"
WidgetStates = Mapping[str, Mapping[str, Any]]

_BAR = 20
_REPR_NAME = re.compile(r"^\s*([A-Za-z_][\w.]*)\(")
_CHILD = "IPY_MODEL_"
# Containers lay their children out side by side or one under another.
_ROW_BOXES = {"HBoxModel"}
_COLUMN_BOXES = {"BoxModel", "VBoxModel", "GridBoxModel", "AccordionModel", "TabModel", "StackModel"}


# tqdm pads its labels with figure spaces (U+2007) and no-break spaces: plain spaces read the same.
_SPACES = str.maketrans({"\u2007": " ", "\xa0": " "})


def _html_text(value: str) -> str:
    if "<" not in value:  # tqdm's labels: text with entities such as &lt;
        return (htmllib.unescape(value) if "&" in value else value).translate(_SPACES)
    from .html import html_to_markdown

    return html_to_markdown(value).translate(_SPACES)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _labelled(state: Mapping[str, Any], text: str) -> str:
    description = _html_text(str(state.get("description") or "")).strip()
    return f"{description}: {text}" if description else text


def _progress(state: Mapping[str, Any]) -> str:
    value, low, high = state.get("value", 0), state.get("min", 0), state.get("max", 100)
    try:
        fraction = (float(value) - float(low)) / (float(high) - float(low))
    except (TypeError, ValueError, ZeroDivisionError):
        fraction = 0.0
    filled = round(max(0.0, min(1.0, fraction)) * _BAR)
    text = f"[{'#' * filled}{'.' * (_BAR - filled)}] {_number(value)}/{_number(high)}"
    style = state.get("bar_style")
    return _labelled(state, text + (f" ({style})" if style else ""))


def _choice(state: Mapping[str, Any]) -> str:
    labels = [str(label) for label in state.get("_options_labels") or []]
    index = state.get("index")
    indices = index if isinstance(index, list) else [index]
    chosen = [labels[i] for i in indices if isinstance(i, int) and 0 <= i < len(labels)]
    shown = ", ".join(labels[:10]) + (", ..." if len(labels) > 10 else "")
    return _labelled(state, f"{', '.join(chosen) or '(none)'} (options: {shown})")


def _children(state: Mapping[str, Any]) -> list[str]:
    return [str(c)[len(_CHILD) :] for c in state.get("children") or [] if str(c).startswith(_CHILD)]


def _render(model_id: str, states: WidgetStates, render_output: Callable[[dict[str, Any]], str], depth: int) -> str:
    state = states.get(model_id)
    if state is None:
        return f"[widget {model_id}: state not available]"
    model = str(state.get("_model_name", "WidgetModel"))
    name = model.removesuffix("Model")
    if depth > 8:
        return f"[{name} ...]"
    if model in _ROW_BOXES or model in _COLUMN_BOXES:
        parts = [_render(child, states, render_output, depth + 1) for child in _children(state)]
        parts = [part for part in parts if part.strip()]
        titles = state.get("titles") or []
        if model in ("AccordionModel", "TabModel") and titles:
            parts = [f"{title}: {part}" if title else part for title, part in zip(titles, parts, strict=False)]
        return (" " if model in _ROW_BOXES else "\n").join(parts)
    if model.endswith("ProgressModel"):
        return _progress(state)
    if model in ("HTMLModel", "HTMLMathModel"):
        return _labelled(state, _html_text(str(state.get("value") or "")))
    if model in ("CheckboxModel", "ToggleButtonModel", "ValidModel"):
        mark = "x" if state.get("value") else " "
        return f"[{mark}] {_html_text(str(state.get('description') or ''))}".rstrip()
    if model == "ButtonModel":
        return f"[button: {state.get('description') or state.get('icon') or ''}]"
    if "_options_labels" in state:
        return _choice(state)
    if model == "PasswordModel":
        return _labelled(state, "****")
    if model == "OutputModel":
        return "\n".join(text for output in state.get("outputs") or [] if (text := render_output(output)))
    if model == "ImageModel":
        return f"[image widget ({state.get('format', 'png')})]"
    if "value" in state:
        value = state["value"]
        text = " - ".join(map(_number, value)) if isinstance(value, list) else _number(value)
        if "max" in state and "min" in state:
            text += f" (range {_number(state['min'])}..{_number(state['max'])})"
        return _labelled(state, text)
    return f"[{name}]"


def widget_text(
    model_id: str,
    states: WidgetStates | None,
    *,
    fallback: str = "",
    render_output: Callable[[dict[str, Any]], str] | None = None,
) -> str:
    """What a widget shows now, from the kernel's widget states (model id -> ``Widget.get_state()``).

    Without its state, say which widget it is rather than its repr: that repr was taken at display time and
    is stale by now (a progress bar's repr says 0%).
    """
    if states and model_id in states:
        if render_output is None:
            from .render import output_text  # (render imports this module)

            def render_output(output: dict[str, Any]) -> str:
                return output_text(output, widget_states=states)

        return _render(model_id, states, render_output, 0)
    match = _REPR_NAME.match(fallback)
    kind = match.group(1) if match else "Jupyter"
    return f"[{kind} widget, model {model_id}: its current state is not available]"
