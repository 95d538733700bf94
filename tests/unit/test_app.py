"""The application as deployed: it watches the management cluster itself."""

import base64
import time

import yaml
from factories import CLUSTER_TOKEN, NAMESPACE, make_cluster
from fake_kubernetes import Authority, FakeKubernetes
from fastapi.testclient import TestClient

from mayyam.api import ApiSettings, create_app

CLUSTERS = f"/apis/mayyam.io/v1alpha1/namespaces/{NAMESPACE}/mayyamclusters"
SECRETS = f"/api/v1/namespaces/{NAMESPACE}/secrets"


def write_kubeconfig(path, fake: FakeKubernetes, authority: Authority) -> str:
    ca = base64.b64encode(authority.pem.encode()).decode()
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "m", "cluster": {"server": fake.url, "certificate-authority-data": ca}}
                ],
                "users": [{"name": "u", "user": {"token": CLUSTER_TOKEN}}],
                "contexts": [{"name": "c", "context": {"cluster": "m", "user": "u"}}],
                "current-context": "c",
            }
        )
    )
    return str(path)


def test_the_app_serves_the_clusters_of_the_management_cluster(
    tmp_path, settings: ApiSettings, auth_headers, fake_cluster: FakeKubernetes, authority
) -> None:
    # The fake is the management cluster and, through an in-cluster
    # MayyamCluster, also the cluster whose namespaces are read.
    in_cluster = make_cluster(name="self")
    in_cluster["spec"] = {"inCluster": True}
    fake_cluster.answer(CLUSTERS, {"metadata": {"resourceVersion": "5"}, "items": [in_cluster]})
    fake_cluster.answer(SECRETS, {"metadata": {"resourceVersion": "5"}, "items": []})
    fake_cluster.answer("/api/v1/namespaces", {"metadata": {}, "items": []})
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", fake_cluster, authority)

    app = create_app(settings.model_copy(update={"kubeconfig": kubeconfig}))
    with TestClient(app) as client:
        deadline = time.monotonic() + 5
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the API never became ready"
            time.sleep(0.05)

        response = client.get("/api/kubernetes/clusters/self/namespaces", headers=auth_headers)

    assert response.status_code == 200, response.text
    assert response.json() == []
