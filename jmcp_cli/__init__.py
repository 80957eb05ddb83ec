"""jmcp_cli: the ``jmcp`` command (start JupyterLab with MCP, write client configs, diagnose)."""
