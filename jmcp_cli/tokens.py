"""The stored Jupyter token: generated once, kept in a 0600 file, reused by every start."""

from . import paths
from .errors import JmcpError
from .private_files import write_private

TOKEN_BYTES = 32


def generate() -> str:
    """A new random token, URL-safe."""
    import secrets

    return secrets.token_urlsafe(TOKEN_BYTES)


def mask(token: str) -> str:
    """Enough of the token to recognise it, not enough to use it."""
    if len(token) <= 8:
        return "*" * len(token)
    return f"{token[:4]}…{token[-4:]}"


def load() -> str | None:
    """The stored token, or None when there is none yet."""
    path = paths.token_file()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise JmcpError(f"cannot read the token file {path}: {e.strerror}") from e
    return token or None


def store(token: str) -> None:
    if not token or any(c.isspace() for c in token):
        raise JmcpError("a token must be non-empty and contain no whitespace")
    write_private(paths.token_file(), token + "\n")


def load_or_create() -> str:
    """The stored token, creating and storing one on first use."""
    token = load()
    if token is None:
        token = generate()
        store(token)
    return token


def rotate() -> str:
    token = generate()
    store(token)
    return token
