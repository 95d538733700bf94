"""Settings of the operator, from ``MAYYAM_*`` environment variables.

Besides the shared settings (the namespace to watch, the management
cluster), they say how often clusters are probed when their spec does not
say, how far retries of a failing cluster back off, and how replicas elect
the one that acts.
"""

import secrets
import socket

from pydantic import Field

from mayyam.core.config import Settings


def default_identity() -> str:
    """A name for this replica: the host (a Pod's name) plus a random suffix,
    so that a restarted replica never passes for the one before it."""
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


class OperatorSettings(Settings):
    """The shared settings plus what only the operator needs."""

    probe_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds between probes of a cluster whose spec.healthCheck.intervalSeconds "
            "is unset. Unlike the spec, which allows 10 s at least, this may be shorter; "
            "tests use that."
        ),
    )
    probe_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The longest a probe may take when spec.healthCheck.timeoutSeconds is unset.",
    )
    probe_backoff_limit_seconds: float = Field(
        default=300.0,
        gt=0,
        description=(
            "A failing cluster is retried at its interval, then twice, four times ... as "
            "long, but never less often than this (or its interval, if that is longer)."
        ),
    )
    probe_workers: int = Field(
        default=16,
        ge=1,
        le=256,
        description="How many clusters may be probed at the same time.",
    )
    leader_election: bool = Field(
        default=True,
        description="Whether replicas elect one of them through a Lease; off, every one acts.",
    )
    lease_name: str = Field(
        default="mayyam-operator",
        min_length=1,
        max_length=253,
        description="The Lease, in the watched namespace, that the replicas compete for.",
    )
    lease_duration_seconds: int = Field(
        default=15,
        ge=2,
        le=3600,
        description="How long a Lease that is not renewed keeps the other replicas waiting.",
    )
    identity: str = Field(
        default_factory=default_identity,
        min_length=1,
        max_length=100,
        description="This replica's name in the Lease and in the status' managedFields.",
    )
