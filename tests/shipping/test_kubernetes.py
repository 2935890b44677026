"""The Kubernetes manifests (deploy/k8s) render with kustomize and are valid
Kubernetes objects, and say what README promises.

`kubectl kustomize` renders the base and the production overlay; the
kubernetes-validate package checks every object strictly against the schemas of
a Kubernetes release (no cluster needed).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZATIONS = ["deploy/k8s/base", "deploy/k8s/overlays/production"]
KUBERNETES_VERSION = "1.33.0"


def render(kustomization: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed: the manifests cannot be rendered")
    output = subprocess.run(
        [kubectl, "kustomize", str(ROOT / kustomization)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [document for document in yaml.safe_load_all(output) if document]


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects}


@pytest.fixture(scope="module")
def production() -> dict[str, dict[str, Any]]:
    return by_kind(render("deploy/k8s/overlays/production"))


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_is_valid_kubernetes(kustomization: str) -> None:
    objects = render(kustomization)
    assert objects
    for manifest in objects:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_production_has_every_part_of_a_deployment(production: dict[str, dict[str, Any]]) -> None:
    kinds = {name.split("/")[0] for name in production}
    assert kinds == {
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Ingress",
        "Job",
        "PodDisruptionBudget",
        "Service",
    }
    assert all(o["metadata"]["namespace"] == "conduit" for o in production.values())


def _app_container(production: dict[str, dict[str, Any]]) -> dict[str, Any]:
    containers = production["Deployment/conduit"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def test_probes_are_liveness_on_health_and_readiness_on_health_ready(
    production: dict[str, dict[str, Any]],
) -> None:
    container = _app_container(production)
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    # /health/ready answers within 2 s even while a dependency does not answer.
    assert container["readinessProbe"]["timeoutSeconds"] >= 3


def test_the_app_runs_unprivileged_on_a_read_only_root(
    production: dict[str, dict[str, Any]],
) -> None:
    pod = production["Deployment/conduit"]["spec"]["template"]["spec"]
    container = _app_container(production)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert "memory" in container["resources"]["limits"]


def test_termination_leaves_gunicorn_its_whole_graceful_timeout(
    production: dict[str, dict[str, Any]],
) -> None:
    pod = production["Deployment/conduit"]["spec"]["template"]["spec"]
    pause = int(_app_container(production)["lifecycle"]["preStop"]["exec"]["command"][1])
    graceful_timeout = 30  # GUNICORN_GRACEFUL_TIMEOUT's default (gunicorn.conf.py)
    assert pod["terminationGracePeriodSeconds"] >= pause + graceful_timeout


def test_configuration_comes_from_the_config_map_and_a_secret_reference(
    production: dict[str, dict[str, Any]],
) -> None:
    sources = _app_container(production)["envFrom"]
    config_map = next(name for name in production if name.startswith("ConfigMap/"))
    assert {"configMapRef": {"name": config_map.split("/")[1]}} in sources
    assert {"secretRef": {"name": "conduit-secrets"}} in sources
    settings = production[config_map]["data"]
    # gunicorn.conf.py refuses a pool smaller than the threads that use it.
    assert int(settings["DATABASE_POOL_SIZE"]) >= int(settings["GUNICORN_THREADS"])
    assert settings["TRUSTED_HOSTS"] == "conduit.example.com"


def test_migrations_are_a_job_of_the_same_image(production: dict[str, dict[str, Any]]) -> None:
    job = production["Job/conduit-migrate"]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"] == ["flask", "db", "upgrade"]
    assert job["containers"][0]["image"] == _app_container(production)["image"]
    assert job["restartPolicy"] == "Never"
    assert "command" not in _app_container(production)


def test_the_configuration_and_the_migration_can_be_applied_before_the_rest(
    production: dict[str, dict[str, Any]],
) -> None:
    """README's release steps apply these two first, selected by their component label."""
    first = {
        name
        for name, manifest in production.items()
        if manifest["metadata"]["labels"].get("app.kubernetes.io/component")
        in {"config", "migrate"}
    }
    assert {name.split("/")[0] for name in first} == {"ConfigMap", "Job"}


def test_a_worker_deployment_runs_the_jobs_from_the_same_image_and_configuration(
    production: dict[str, dict[str, Any]],
) -> None:
    worker = production["Deployment/conduit-worker"]["spec"]
    pod = worker["template"]["spec"]
    (container,) = pod["containers"]
    app_pod = production["Deployment/conduit"]["spec"]["template"]["spec"]
    assert container["command"] == ["flask", "worker"]
    assert container["image"] == _app_container(production)["image"]
    assert container["envFrom"] == _app_container(production)["envFrom"]
    assert pod["securityContext"] == app_pod["securityContext"]
    assert container["securityContext"] == _app_container(production)["securityContext"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    # It serves no HTTP: no HTTP probes, no port, no Service selects it.
    assert not {"livenessProbe", "readinessProbe", "startupProbe", "ports"} & set(container)
    assert worker["selector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"
    assert (
        production["Service/conduit"]["spec"]["selector"].get("app.kubernetes.io/component")
        == "web"
    )
    # SIGTERM gives running jobs 25 s (app/jobs/worker.py).
    assert pod["terminationGracePeriodSeconds"] > 25
    config = next(name for name in production if name.startswith("ConfigMap/"))
    assert production[config]["data"]["PUBLIC_BASE_URL"] == "https://conduit.example.com"
