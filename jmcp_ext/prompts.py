"""Prompts: ready-made tasks a client offers as commands (Claude Code: the slash command ``jupyter:fix_error``).

Each prompt's text tells the model which tools to use, by their real names and arguments; a prompt is offered
only when every tool it names is (read-only mode and disabled tools leave some out).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

PathArg = Annotated[
    str | None, Field(description="Notebook path relative to the Jupyter root (default: the one open in JupyterLab).")
]


def _target(path: str | None) -> str:
    """The step that makes the right notebook this session's active one."""
    if path:
        return f"Call use_notebook(path={path!r}): it becomes this session's notebook and attaches to its kernel."
    return (
        "Call list_notebooks: it shows the notebooks open in JupyterLab (a live room or a kernel), this "
        "session's active one, and which cell each person is in. Take the one the person is in, else the active "
        "one, else the only open one; if that leaves several, ask which (do not guess). Call use_notebook(path) "
        "with it: it attaches to the kernel JupyterLab uses, with the person's variables."
    )


def open_notebook(
    task: Annotated[str | None, Field(description="What to do in the notebook (default: ask).")] = None,
) -> str:
    """Work with the person on the notebook they have open in JupyterLab."""
    goal = f"Task: {task}" if task else "Then ask what they would like done, unless the notebook makes it plain."
    return f"""\
Work on the Jupyter notebook the person has open in JupyterLab; they see your edits live.
1. {_target(None)}
2. Read it with read_notebook (outputs="brief"; page with start when it is long) and read_cell for one cell's \
full outputs.
3. {goal} "This cell" means the cell use_notebook and read_notebook say the person is in.
Edit with edit_cell_source (exact snippet replacement; text typed elsewhere in the cell is kept) or \
overwrite_cell_source, add cells with insert_cell, run them with execute_cell, look at the kernel's data with \
list_variables and inspect_variable, and use execute_code for checks that should leave no cell behind. Address \
cells by id. A result that starts with what others changed means the person edited: re-read those cells before \
changing them. Say what you changed; undo takes back your last change if the person asks."""


def fix_error(
    path: PathArg = None,
    cell: Annotated[str | None, Field(description="Id or index of the failing cell (default: find it).")] = None,
) -> str:
    """Explain why a cell fails and fix it."""
    find = (
        f"Call read_cell(cell={cell!r}) for its full traceback."
        if cell
        else 'Find the failing cell: read_notebook (outputs="brief") shows each cell\'s output; look for a '
        "traceback. Then read_cell(cell) for the full traceback."
    )
    return f"""\
Explain and fix the failing cell of a Jupyter notebook.
1. {_target(path)}
2. {find} Read the cells it depends on too.
3. Explain the cause in two or three sentences.
4. Fix it with edit_cell_source, replacing just the faulty snippet (fix an earlier cell if the cause is there).
5. Run the fixed cell with execute_cell (and any changed cell before it) and check that the error is gone. A \
NameError for something defined above means those cells have not run in this kernel: run them with execute_cell, \
or run_all_cells to run everything from the top (ask first if that is slow or has side effects)."""


def tidy_notebook(path: PathArg = None) -> str:
    """Tidy and document a notebook without changing what it computes."""
    return f"""\
Tidy and document a Jupyter notebook without changing what it computes.
1. {_target(path)}
2. Read all of it with read_notebook (outputs="brief", every page).
3. Add a markdown title and a short introduction at the top, and a heading or one-line explanation before each \
step, with insert_cell(cell_type="markdown", index=... or after_cell_id=...).
4. Clean code cells with edit_cell_source: clear names, no commented-out dead code or leftover debug prints. \
Gather imports at the top (move_cell) and remove empty cells (delete_cells).
5. Ask before deleting anything with results the person may need. If they agree, check that it still runs top to \
bottom with run_all_cells.
6. Sum up what you changed."""


def explore_dataframe(
    variable: Annotated[str, Field(description="Name of the DataFrame variable in the kernel.")],
    path: PathArg = None,
) -> str:
    """Explore a pandas DataFrame that lives in a notebook's kernel."""
    v = variable
    return f"""\
Explore the pandas DataFrame `{v}` in a Jupyter notebook's kernel.
1. {_target(path)}
2. Call inspect_variable(name={v!r}): shape, dtypes, missing values and the first rows, read from the kernel \
without adding cells. Then look further with execute_code (also cell-free): `{v}.describe(include="all")`, \
`{v}.nunique()`, value counts of interesting columns. Keep each output short (summaries, not whole frames).
3. If `{v}` is not defined (list_variables shows what is), the cell that creates it has not run: find it with \
read_notebook and run it with execute_cell.
4. Sum up: size, columns and types, missing values, notable distributions or oddities, and next steps worth taking.
5. Only if the person asks, add the findings to the notebook: a markdown cell with insert_cell, or a plot with \
insert_execute_code_cell."""


@dataclass(frozen=True)
class PromptSpec:
    """A prompt: its function (name, docstring and arguments become the prompt's) and its title."""

    fn: Callable[..., str]
    title: str

    @property
    def name(self) -> str:
        return self.fn.__name__


PROMPTS = (
    PromptSpec(open_notebook, "Work on the notebook open in JupyterLab"),
    PromptSpec(fix_error, "Explain and fix the failing cell"),
    PromptSpec(tidy_notebook, "Tidy and document a notebook"),
    PromptSpec(explore_dataframe, "Explore a DataFrame"),
)


def tools_named(text: str, tool_names: Collection[str]) -> set[str]:
    """The tools among ``tool_names`` that ``text`` mentions."""
    return {name for name in tool_names if re.search(rf"\b{re.escape(name)}\b", text)}


def sample_text(spec: PromptSpec) -> str:
    """The prompt rendered with every argument and with only the required ones, so that every branch shows."""
    params = inspect.signature(spec.fn).parameters
    every: dict[str, Any] = dict.fromkeys(params, "x")
    required = {name: "x" for name, p in params.items() if p.default is inspect.Parameter.empty}
    return spec.fn(**every) + "\n" + spec.fn(**required)


def register_prompts(server: MCPServer[Any], offered: Collection[str], all_tools: Collection[str]) -> list[str]:
    """Add the prompts whose tools are all ``offered``; returns their names."""
    from mcp.server.mcpserver.prompts import Prompt

    added = []
    for spec in PROMPTS:
        if tools_named(sample_text(spec), all_tools) <= set(offered):
            server.add_prompt(Prompt.from_function(spec.fn, name=spec.name, title=spec.title))
            added.append(spec.name)
    return added
