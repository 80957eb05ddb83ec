import stat

from jmcp_cli import paths, tokens

from .helpers import mode, run


def test_token_is_created_once_with_mode_0600_and_reused() -> None:
    first = tokens.load_or_create()
    assert len(first) >= 32
    assert mode(paths.token_file()) == 0o600
    assert tokens.load_or_create() == first


def test_token_command_masks_by_default_and_show_prints_only_the_token() -> None:
    token = tokens.load_or_create()
    masked = run("token")
    assert masked.exit_code == 0
    assert token not in masked.output
    assert tokens.mask(token) in masked.output
    shown = run("token", "--show")
    assert shown.exit_code == 0
    assert shown.stdout == token + "\n"


def test_rotate_changes_the_stored_token() -> None:
    old = tokens.load_or_create()
    result = run("token", "--rotate")
    assert result.exit_code == 0
    assert tokens.load() not in (None, old)
    assert stat.S_IMODE(paths.token_file().stat().st_mode) == 0o600


def test_update_configs_requires_rotate() -> None:
    result = run("token", "--update-configs")
    assert result.exit_code == 1
    assert "Error:" in result.output


def test_rotate_update_configs_rewrites_configs_that_held_the_old_token(home) -> None:  # type: ignore[no-untyped-def]
    old = tokens.load_or_create()
    assert run("config", "cursor").exit_code == 0
    assert run("config", "windsurf").exit_code == 0
    result = run("token", "--rotate", "--update-configs")
    assert result.exit_code == 0, result.output
    new = tokens.load()
    cursor = (home / ".cursor" / "mcp.json").read_text()
    windsurf = (home / ".codeium" / "windsurf" / "mcp_config.json").read_text()
    assert f"Bearer {new}" in cursor and old not in cursor
    assert f"Bearer {new}" in windsurf and old not in windsurf


def test_rotate_without_update_names_the_stale_configs(home) -> None:  # type: ignore[no-untyped-def]
    tokens.load_or_create()
    assert run("config", "gemini").exit_code == 0
    result = run("token", "--rotate")
    assert "jmcp config gemini --scope user" in result.output
