"""The Mayyam operator: keeps the status of every MayyamCluster true.

It watches MayyamCluster objects in one namespace of the management cluster
and records in each one's conditions (``CredentialsValid``, ``Reachable``,
``Ready``) whether Mayyam can reach the cluster it describes, probing each
cluster on its own schedule. Start it with `run_operator`.
"""

from mayyam.operator.config import OperatorSettings
from mayyam.operator.runner import run_operator

__all__ = ["OperatorSettings", "run_operator"]
