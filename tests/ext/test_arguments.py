"""Forgiving arguments: one line naming a wrong argument and the accepted ones; ``code`` still means ``source``."""

from __future__ import annotations

from jmcp_ext.tools.arguments import argument_problem, one_line_validation, rename_aliases
from tests.support import JupyterServer, call, call_error, mcp_client

ACCEPTED = ["source", "path", "timeout"]


def test_a_mistyped_name_is_named_with_a_suggestion_and_the_accepted_names() -> None:
    problem = argument_problem("execute_code", {"sourse": "1"}, ACCEPTED, ["source"])
    assert problem == (
        "execute_code: unknown argument 'sourse' (did you mean 'source'?). Accepted arguments: source, path, timeout."
    )


def test_unknown_and_missing_names_are_both_said() -> None:
    problem = argument_problem("execute_code", {"verbose": True}, ACCEPTED, ["source"])
    assert problem == (
        "execute_code: unknown argument 'verbose'; missing required argument 'source'. "
        "Accepted arguments: source, path, timeout."
    )
    assert argument_problem("execute_code", {"source": "1", "path": None}, ACCEPTED, ["source"]) == ""


def test_the_older_name_code_still_means_source_where_a_tool_takes_source() -> None:
    assert rename_aliases({"code": "1+1", "timeout": 3}, ACCEPTED) == {"source": "1+1", "timeout": 3}
    assert rename_aliases({"code": "x", "source": "y"}, ACCEPTED) == {"code": "x", "source": "y"}  # both: no guess
    assert rename_aliases({"code": "x"}, ["path"]) == {"code": "x"}


def test_pydantic_messages_become_one_line_per_argument() -> None:
    sdk = {
        "content": [
            {
                "type": "text",
                "text": "Error executing tool execute_cell: 1 validation error for execute_cellArguments\ntimeout\n"
                "  Input should be greater than 0 [type=greater_than, input_value=-1, input_type=int]\n"
                "    For further information visit https://errors.pydantic.dev/2.12/v/greater_than",
            }
        ],
        "isError": True,
    }
    result = one_line_validation(sdk)
    assert isinstance(result, dict)
    assert result["content"][0]["text"] == "execute_cell: argument 'timeout': Input should be greater than 0 (got -1)."
    assert one_line_validation({"content": [{"type": "text", "text": "fine"}]})["content"][0]["text"] == "fine"  # type: ignore[index]


async def test_through_the_sdk_client(server: JupyterServer, nb_name: str) -> None:
    async with mcp_client(server.mcp_url, server.token) as client:
        await call(client, "create_notebook", path=nb_name)
        message = await call_error(client, "insert_cell", sourse="x = 1")
        assert message == (
            "insert_cell: unknown argument 'sourse' (did you mean 'source'?). "
            "Accepted arguments: source, cell_type, index, after_cell_id, path."
        )
        assert (await call(client, "execute_code", code="1 + 1")).endswith("\n2")  # older clients keep working
        assert (await call(client, "execute_code", source="2 + 2")).endswith("\n4")
        typed = await call_error(client, "execute_cell", cell=0, timeout=-1)
        assert typed == "execute_cell: argument 'timeout': Input should be greater than 0 (got -1).", typed
        unknown_tool = await client.call_tool("no_such_tool", {})
        assert unknown_tool.is_error  # the SDK's own answer, untouched
