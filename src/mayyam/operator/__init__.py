"""The Mayyam operator: keeps the status of every MayyamCluster true.

It watches MayyamCluster objects in one namespace of the management cluster
and records in each one's ``Ready`` condition whether Mayyam can reach the
cluster it describes. Start it with `run_operator`.
"""

from mayyam.operator.runner import run_operator

__all__ = ["run_operator"]
