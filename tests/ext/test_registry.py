"""Which tools a server offers: every tool registered, read-only mode from each tool's own annotation."""

from __future__ import annotations

import inspect

from jmcp_ext.tools import TOOL_MODULES, Services, build_server
from jmcp_ext.tools.registry import TOOLS


async def offered(**kwargs: object) -> set[str]:
    server = build_server(Services(notebooks=None, kernels=None, root_dir="/"), **kwargs)  # type: ignore[arg-type]
    return {tool.name for tool in await server.list_tools()}


async def test_read_only_mode_keeps_exactly_the_tools_marked_read_only() -> None:
    everything = await offered()
    reading = await offered(read_only=True)
    assert everything == set(TOOLS)
    assert reading == {name for name, spec in TOOLS.items() if spec.annotations.read_only_hint is True}
    assert reading < everything
    for name in everything - reading:
        assert TOOLS[name].annotations.read_only_hint is False, f"{name} must say whether it only reads"
    assert await offered(disabled=frozenset({"execute_code"})) == everything - {"execute_code"}


async def test_every_tool_is_a_documented_module_level_async_function() -> None:
    await offered()
    modules = {f"jmcp_ext.tools.{name}" for name in TOOL_MODULES}
    assert len(TOOLS) >= 19
    for name, spec in TOOLS.items():
        assert inspect.iscoroutinefunction(spec.fn) and spec.fn.__module__ in modules, name
        assert getattr(inspect.getmodule(spec.fn), name) is spec.fn, f"{name} is not greppable at module level"
        assert (spec.fn.__doc__ or "").strip(), f"{name} has no description"
