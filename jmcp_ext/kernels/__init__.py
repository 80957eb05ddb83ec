"""Kernels: finding a notebook's kernel (``manager``), running code on it (``execution``), reading its messages."""

from .execution import Execution, KernelDied, OnEvent, OutputEvent
from .manager import Kernels

__all__ = ["Execution", "KernelDied", "Kernels", "OnEvent", "OutputEvent"]
