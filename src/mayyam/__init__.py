"""Mayyam: an open control plane for fleets of Kubernetes clusters.

The distribution holds two components that are deployed separately: the
operator (``mayyam.operator``), which watches ``MayyamCluster`` objects and
reports whether each registered cluster can be reached, and the HTTP API
(``mayyam.api``), which serves requests against those clusters. What both
need, and nothing else, lives in ``mayyam.core``.
"""
