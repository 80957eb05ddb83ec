"""Every client config writer, given a hostile file: an empty file, invalid JSON/TOML, a symlink, a
read-only file, a directory in its place, a symlink loop, a failing write. Never destroys the user's
data; the CLI exits 1 with one clear line."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jmcp_cli import client_configs, config_file
from jmcp_cli.errors import ConfigFileError
from jmcp_cli.main import app

URL, TOKEN = "http://127.0.0.1:4040/mcp", "t" * 32
WRITERS = [c for c in client_configs.CLIENTS.values() if c.has_own_file]
TARGETS = [(c, s) for c in WRITERS for s in c.scope_names]
ISOLATED_VARS = (
    "XDG_CONFIG_HOME",
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "APPDATA",
    "JMCP_TOKEN",
    "FLATPAK_XDG_CONFIG_HOME",
    "GOOSE_PATH_ROOT",
    "CONTINUE_GLOBAL_DIR",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JMCP_HOME", str(tmp_path / "jmcp-home"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path / "work")
    yield


def target_for(client: client_configs.Client, scope: str, tmp_path: Path) -> config_file.Target:
    return client_configs.resolve_target(client, scope, tmp_path / "home", tmp_path / "work")


def write(client: client_configs.Client, target: config_file.Target) -> config_file.WriteResult:
    return config_file.write_entry(target, "jupyter", client.entry(URL, TOKEN, "jupyter"))


def snapshot(path: Path) -> tuple[bytes, int] | None:
    return (path.read_bytes(), path.stat().st_mode & 0o777) if path.is_file() else None


INVALID = {
    "json": '{"mcpServers": {"x": 1,}',
    "jsonc": '{"context_servers": {"x": 1 // a comment\n',
    "toml": "[mcp_servers\nx = ",
    "yaml": "extensions:\n  x: [1, 2\n",
}
NON_OBJECT = {"json": "[1, 2]", "jsonc": "[1, 2] // a list", "toml": "= 1", "yaml": "- 1\n- 2\n"}
#: A small valid file holding one unrelated key, `keep = 1`, in each format.
KEEP = {"json": '{"keep": 1}', "jsonc": '{"keep": 1} // mine', "toml": "keep = 1\n", "yaml": "keep: 1  # mine\n"}


@pytest.mark.parametrize(("client", "scope"), TARGETS, ids=[f"{c.name}-{s}" for c, s in TARGETS])
class TestEveryWriter:
    def test_an_empty_file_is_filled(self, tmp_path: Path, client: client_configs.Client, scope: str) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.write_text("")
        result = write(client, target)
        assert result.changed
        doc = config_file.load_document(target.path, target.fmt)
        assert config_file.get_entry(doc, target.keys, "jupyter", target.list_key) == client.entry(
            URL, TOKEN, "jupyter"
        )

    @pytest.mark.parametrize("content", ["invalid", "non-object", "binary"])
    def test_an_unparsable_file_is_left_untouched(
        self, tmp_path: Path, client: client_configs.Client, scope: str, content: str
    ) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"invalid": INVALID, "non-object": NON_OBJECT}.get(content)
        target.path.write_bytes(data[target.fmt].encode() if data else b"\xff\xfe\x00garbage")
        before = snapshot(target.path)
        with pytest.raises(ConfigFileError, match=r"left untouched|cannot read"):
            write(client, target)
        assert snapshot(target.path) == before
        assert not target.path.with_name(target.path.name + config_file.BACKUP_SUFFIX).exists()

    def test_a_symlink_is_written_through_and_stays_a_symlink(
        self, tmp_path: Path, client: client_configs.Client, scope: str
    ) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        real = tmp_path / "dotfiles" / target.path.name
        real.parent.mkdir(exist_ok=True)
        real.write_text(KEEP[target.fmt])
        target.path.symlink_to(real)
        write(client, target)
        assert target.path.is_symlink() and target.path.resolve() == real.resolve()
        doc = config_file.load_document(real, target.fmt)
        assert doc["keep"] == 1 and config_file.get_entry(doc, target.keys, "jupyter", target.list_key) is not None

    def test_a_symlink_loop_is_a_clear_error(self, tmp_path: Path, client: client_configs.Client, scope: str) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.symlink_to(target.path.name)
        with pytest.raises(ConfigFileError, match="symlink"):
            write(client, target)
        assert target.path.is_symlink()

    def test_a_read_only_file_is_refused(self, tmp_path: Path, client: client_configs.Client, scope: str) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.write_text(KEEP[target.fmt])
        target.path.chmod(0o444)
        before = snapshot(target.path)
        with pytest.raises(ConfigFileError, match="read-only"):
            write(client, target)
        assert snapshot(target.path) == before

    def test_a_directory_in_its_place_is_refused(
        self, tmp_path: Path, client: client_configs.Client, scope: str
    ) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.mkdir(parents=True)
        (target.path / "inside").write_text("data")
        with pytest.raises(ConfigFileError):
            write(client, target)
        assert (target.path / "inside").read_text() == "data"

    def test_a_failing_write_keeps_the_old_file(
        self, tmp_path: Path, client: client_configs.Client, scope: str
    ) -> None:
        target = target_for(client, scope, tmp_path)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.write_text(KEEP[target.fmt])
        before = snapshot(target.path)
        # The temp file's name is taken by a directory: the atomic write cannot even start.
        (target.path.parent / f".{target.path.name}.jmcp-{os.getpid()}.tmp").mkdir()
        with pytest.raises(ConfigFileError, match="cannot write"):
            write(client, target)
        assert snapshot(target.path) == before


Setup = Callable[[Path], None]
CLI_CASES: dict[str, Setup] = {
    "invalid": lambda p: p.write_text("{nope"),
    "read-only": lambda p: (p.write_text("{}"), p.chmod(0o444)),
    "directory": lambda p: p.mkdir(),
    "symlink-loop": lambda p: p.symlink_to(p.name),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_cli_exits_with_one_clear_line(tmp_path: Path, case: str) -> None:
    path = tmp_path / "client.json"
    CLI_CASES[case](path)
    result = CliRunner().invoke(app, ["config", "cursor", "--file", str(path), "--url", URL, "--token", TOKEN])
    assert result.exit_code == (2 if case == "directory" else 1), result.output  # 2: typer's own --file check
    assert "Error" in result.output and "Traceback" not in result.output
