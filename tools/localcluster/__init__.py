"""Local Kubernetes clusters for Mayyam's tests and demo, built from real binaries.

Development tooling, not part of the product: it starts etcd, kube-apiserver,
kube-controller-manager and kube-scheduler on 127.0.0.1, and on the first
cluster a node with a real kubelet and containerd.
"""

from localcluster.cluster import LocalCluster, LocalClusters

__all__ = ["LocalCluster", "LocalClusters"]
