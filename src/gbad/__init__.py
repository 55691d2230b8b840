"""gbad: simulator and analysis workbench for ground-based air defence.

Everything here is a simulation with public, nominal parameters. The single
front door for the Python API is :mod:`gbad.api`.
"""

__version__ = "0.1.0"
