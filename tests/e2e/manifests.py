"""Manifests the end-to-end tests apply."""

from __future__ import annotations

from mayyamdev.clusters import Cluster


def busybox_pod(cluster: Cluster, name: str, command: list[str]) -> dict:
    """A pod manifest running ``command`` in the cluster's workload image."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "main",
                    "image": cluster.workload_image,
                    "imagePullPolicy": cluster.image_pull_policy,
                    "command": command,
                }
            ],
        },
    }
