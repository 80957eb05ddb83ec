"""Domain errors: library code raises these, the CLI prints them as one ``Error: ...`` line."""


class JmcpError(Exception):
    """Something the user can act on; the message says what and how."""


class ConfigFileError(JmcpError):
    """A client config file that cannot be read or written safely."""


class PortInUseError(JmcpError):
    """The requested port is taken."""


class ServerStartError(JmcpError):
    """JupyterLab did not come up."""
