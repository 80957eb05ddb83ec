"""Kernels: finding a notebook's kernel (``manager``), running code on it (``execution``), reading its messages,
where earlier displays are (``displays``), and reading its state without running cells (``inspection``)."""

from .displays import Displays
from .execution import DisplayUpdate, Execution, KernelDied, OnEvent, OutputEvent
from .manager import Kernels

__all__ = ["DisplayUpdate", "Displays", "Execution", "KernelDied", "Kernels", "OnEvent", "OutputEvent"]
