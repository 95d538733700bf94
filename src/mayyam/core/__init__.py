"""Code shared by the operator and the API.

Both components must agree on what a ``MayyamCluster`` looks like and on how
its credentials turn into a Kubernetes client, so that the operator's verdict
("this cluster is Ready") holds for the API too. That agreement lives here,
and this package imports neither component.
"""
