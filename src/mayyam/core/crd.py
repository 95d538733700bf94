"""Names of the ``MayyamCluster`` custom resource.

The CRD manifest in ``crds/`` declares the same names; the operator and the
API use these constants so that a rename happens in one place.
"""

GROUP = "mayyam.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "MayyamCluster"
PLURAL = "mayyamclusters"
SINGULAR = "mayyamcluster"
SHORT_NAME = "mc"

#: Prefix of the annotations the operator keeps its bookkeeping in.
ANNOTATION_PREFIX = GROUP

#: The condition that says whether a registered cluster can be used.
READY_CONDITION = "Ready"
