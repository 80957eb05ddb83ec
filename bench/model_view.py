"""What the model receives for a fixed set of data-work cells: characters and facts, jmcp against jupyter-mcp-server.

Both servers run the same cells on the same Python (the baseline's kernel spec points at this interpreter, so
pandas, matplotlib and tqdm are the same), in the same run. A result's size is the characters of its text
blocks (what a client puts in the model's context; pictures are counted apart), and its information is a
checklist of facts per cell that a model needs to read the output right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SETUP = (
    "import numpy as np, pandas as pd, matplotlib.pyplot as plt\n"
    "from IPython.display import Markdown, display\nfrom tqdm import tqdm\n"
    "rng = np.random.default_rng(0)\n"
    "df = pd.DataFrame({'city': ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Quito'] * 40, "
    "'temp': rng.normal(15, 8, 200).round(1), 'rain': rng.gamma(2, 3, 200).round(2)})"
)

Check = Callable[[str, int], bool]  # (text, number of pictures) -> whether the fact can be read


def has(*words: str) -> Check:
    return lambda text, _: all(word in text for word in words)


def picture(text: str, images: int) -> bool:
    return images >= 1


def no_placeholder(text: str, _: int) -> bool:
    return not re.search(r"<[\w.]+ (object|at 0x)", text)


def one_frame(text: str, _: int) -> bool:
    return text.count("50/50") == 1 and "\r" not in text and " 0/50" not in text


def headline_first(text: str, _: int) -> bool:
    """The error's type and message within the first 150 characters, where a brief look (200) finds them."""
    return "ValueError: bad value in cell 3" in text[:150]


@dataclass(frozen=True)
class Scenario:
    name: str
    code: str
    facts: dict[str, Check] = field(default_factory=dict)


SCENARIOS = [
    Scenario("pandas head", "df.head()", {"rows": has("Oslo", "Quito"), "columns": has("city", "temp", "rain")}),
    Scenario("describe", "df.describe()", {"stats": has("mean", "std", "max"), "count": has("200")}),
    Scenario(
        "a plot",
        "fig, ax = plt.subplots()\nax.plot(df['temp'].cumsum())\nax.set_title('Cumulative temp')\nplt.show()",
        {"picture": picture, "no placeholder": no_placeholder},
    ),
    Scenario(
        "a tqdm loop",
        "for _ in tqdm(range(50), desc='fit', mininterval=0):\n    pass",
        {"done": has("100%"), "one frame": one_frame},
    ),
    Scenario("an error", "x = 1\nraise ValueError('bad value in cell 3')", {"headline first": headline_first}),
    Scenario(
        "a styler",
        "df.head(5).style.format(precision=1).highlight_max(subset=['temp'])",
        {"values": has("Oslo", "Quito"), "no placeholder": no_placeholder},
    ),
    Scenario(
        "a markdown display",
        "display(Markdown('**Result**: mean temp is *15.2*'))",
        {"markdown": has("**Result**"), "no placeholder": no_placeholder},
    ),
]


@dataclass
class Seen:
    """What one server returned for one scenario."""

    chars: int
    images: int
    facts: list[str]
    text: str


def judge(scenario: Scenario, text: str, images: int) -> Seen:
    found = [name for name, check in scenario.facts.items() if check(text, images)]
    return Seen(len(text), images, found, text)


def blocks(content: list[Any]) -> tuple[str, int]:
    """Joined text blocks and the number of pictures of a result (SDK objects or plain JSON)."""
    texts, images = [], 0
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else getattr(block, "type", "")
        if kind == "text":
            texts.append(block["text"] if isinstance(block, dict) else block.text)
        elif kind == "image":
            images += 1
    return "\n".join(texts), images


def total_facts() -> int:
    return sum(len(s.facts) for s in SCENARIOS)


def summary(ours: dict[str, Seen], theirs: dict[str, Seen]) -> str:
    """One line per scenario: characters and facts on each side."""
    parts = []
    for scenario in SCENARIOS:
        a, b = ours[scenario.name], theirs[scenario.name]
        n = len(scenario.facts)
        parts.append(
            f"{scenario.name}: jmcp {a.chars:,} chars {len(a.facts)}/{n} facts"
            f"{f' +{a.images} img' if a.images else ''} vs {b.chars:,} chars {len(b.facts)}/{n}"
            f"{f' +{b.images} img' if b.images else ''}"
        )
    return "; ".join(parts)
