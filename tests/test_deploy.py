"""The deployment files: the Compose file validates and every service has what it needs, the
image runs unprivileged with a health check, the systemd units and the documentation cover
the operator's commands and every setting, and nginx, with deploy/nginx's own locations,
serves Steward, its local files (X-Accel-Redirect) and the bucket's signed URLs."""

import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import time
import tomllib
from pathlib import Path

import boto3
import pytest
import requests
import yaml

from steward.__main__ import COMMANDS
from steward.operations.tests.serving import free_port
from steward.storage.objectstore import LocalStore

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BUCKET = "steward-files"
SECRETS = [
    "database_url",
    "steward_secret_key",
    "postgres_password",
    "minio_root_user",
    "minio_root_password",
    "s3_access_key_id",
    "s3_secret_access_key",
]
STEWARD_SERVICES = ("migrate", "web", "worker")


def need(program: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/usr/local/sbin")
    # `make test` installs both first (make system-deps): never skipped.
    assert found, f"{program} is missing: run `make system-deps`"
    return found


def compose_config(tmp_path: Path, **variables: str) -> dict:
    """`docker-compose config` of a copy of deploy/, set up as docs/deploy.md says: its
    steward.env from the example, and one file per secret."""
    folder = tmp_path / "deploy"
    shutil.copytree(DEPLOY, folder)
    shutil.copy(folder / "steward.env.example", folder / "steward.env")
    (folder / "secrets").mkdir()
    for name in SECRETS:
        (folder / "secrets" / name).write_text("not-a-real-secret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEWARD_", "COMPOSE_"))}
    done = subprocess.run(
        [need("docker-compose"), "-f", str(folder / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        env={**env, **variables},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


@pytest.fixture(scope="module")
def compose(tmp_path_factory) -> dict:
    return compose_config(tmp_path_factory.mktemp("compose"))


def dockerfile_stages() -> dict[str, list[str]]:
    """The Dockerfile's instructions by stage name, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            current = line.split()[-1]
            stages[current] = []
        if current:
            stages[current].append(line)
    return stages


def test_the_compose_file_validates_and_every_service_has_what_it_needs(compose):
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "postgres", "minio", "bucket", "nginx"}
    for name, service in services.items():
        if service.get("restart") == "no":  # one-shot: migrate, bucket
            continue
        assert service["restart"] == "unless-stopped", name
        # web keeps the image's HEALTHCHECK (the Dockerfile's); the others declare one.
        if name != "web":
            assert service["healthcheck"]["test"][0] == "CMD", name
    for name in ("web", "worker"):
        after = services[name]["depends_on"]
        assert after["migrate"]["condition"] == "service_completed_successfully"
        assert after["bucket"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["steward", "migrate", "--no-input"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    # Only nginx is reachable from outside.
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]


def test_every_secret_is_a_file_its_service_is_given(compose):
    declared = compose["secrets"]
    assert set(declared) == set(SECRETS)
    for name, service in compose["services"].items():
        given = {s["source"] for s in service.get("secrets", [])}
        assert given <= set(declared), name
        for variable, value in (service.get("environment") or {}).items():
            if variable.endswith("_FILE"):
                assert value.startswith("/run/secrets/"), (name, variable)
                assert value.removeprefix("/run/secrets/") in given, (name, variable)
            else:  # no secret in plain sight
                assert not re.search(r"PASSWORD|SECRET|TOKEN|DATABASE_URL", variable), variable
    for name in STEWARD_SERVICES:
        env = compose["services"][name]["environment"]
        for variable in (
            "DATABASE_URL_FILE",
            "STEWARD_SECRET_KEY_FILE",
            "STEWARD_S3_ACCESS_KEY_ID_FILE",
            "STEWARD_S3_SECRET_ACCESS_KEY_FILE",
        ):
            assert variable in env, (name, variable)
    assert (
        compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"]
        == "/run/secrets/postgres_password"
    )


def test_steward_commands_in_the_compose_file_exist(compose):
    commands = {name for name, _ in COMMANDS}
    for name in STEWARD_SERVICES:
        command = compose["services"][name]["command"]
        assert command[0] == "steward" and command[1] in commands, command


def test_nginx_minio_and_steward_agree_on_the_bucket_and_the_files(compose):
    services = compose["services"]
    web = services["web"]["environment"]
    assert web["STEWARD_S3_BUCKET"] == BUCKET
    assert web["STEWARD_DOWNLOAD_MODE"] == "x-accel" and web["STEWARD_BEHIND_PROXY"] == "true"
    assert web["STEWARD_S3_ENDPOINT"] == web["STEWARD_BASE_URL"] == "https://steward.example.org"
    assert f"mc mb --ignore-existing minio/{BUCKET}" in services["bucket"]["command"][0]
    policy = (DEPLOY / "minio" / "steward-policy.json").read_text()
    assert f"arn:aws:s3:::{BUCKET}/*" in policy
    assert f"location ^~ /{BUCKET} {{" in (DEPLOY / "nginx" / "bucket-locations.conf").read_text()
    # nginx reads the files Steward stores, from the same volume, and no more than reads.
    assert "steward-home:/var/lib/steward:ro" in services["nginx"]["volumes"]
    assert "steward-home:/var/lib/steward:rw" in services["web"]["volumes"]
    locations = (DEPLOY / "nginx" / "steward-locations.conf").read_text()
    assert "alias /var/lib/steward/files/;" in locations
    assert services["nginx"]["networks"]["default"]["aliases"] == ["steward.example.org"]


def test_the_domain_is_set_in_one_place(tmp_path):
    services = compose_config(tmp_path, STEWARD_DOMAIN="data.example.net")["services"]
    assert services["web"]["environment"]["STEWARD_BASE_URL"] == "https://data.example.net"
    assert services["worker"]["environment"]["STEWARD_S3_ENDPOINT"] == "https://data.example.net"
    assert services["nginx"]["environment"]["STEWARD_DOMAIN"] == "data.example.net"
    assert services["nginx"]["networks"]["default"]["aliases"] == ["data.example.net"]
    template = (DEPLOY / "nginx" / "compose.conf.template").read_text()
    assert "ssl_certificate /etc/letsencrypt/live/${STEWARD_DOMAIN}/fullchain.pem;" in template


def test_the_image_is_built_in_two_stages_and_runs_unprivileged():
    stages = dockerfile_stages()
    assert list(stages) == ["builder", "runtime"]
    runtime = stages["runtime"]
    python = re.search(r"python:3\.(\d+)", (ROOT / "Dockerfile").read_text())
    assert python and int(python.group(1)) >= 11
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK ") and "/healthz" in line for line in runtime)
    assert runtime[-1].startswith("CMD ") and '"serve"' in runtime[-1]
    assert '"0.0.0.0"' in runtime[-1]
    # STEWARD_HOME is the volume; the runtime stage gets wheels, never the source tree.
    assert any("STEWARD_HOME=/var/lib/steward" in line for line in runtime)
    assert 'VOLUME ["/var/lib/steward"]' in runtime
    assert not [line for line in runtime if line.startswith(("COPY ", "ADD "))]
    assert any("--mount=type=bind,from=builder" in line for line in runtime)
    ignored = [
        line for line in (ROOT / ".dockerignore").read_text().splitlines() if line[:1] not in "#"
    ]
    assert ignored[0] == "*" and "steward/**/tests/" in ignored


def test_the_package_holds_every_file_steward_reads():
    """The image installs Steward's wheel, which holds the Python modules and the files that
    pyproject.toml's package-data names: a data file left out would be missing there alone."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    source = ROOT / "steward"
    packages = {
        init.parent
        for init in source.rglob("__init__.py")
        if "tests" not in init.relative_to(source).parts
    }
    covered = set()
    for package in packages:
        name = ".".join(package.relative_to(ROOT).parts)
        for pattern in package_data.get("*", []) + package_data.get(name, []):
            covered |= {path for path in package.glob(pattern) if path.is_file()}
    data = {
        path
        for path in source.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and not {"tests", "__pycache__", "var"} & set(path.relative_to(source).parts)
    }
    assert not sorted(str(p.relative_to(ROOT)) for p in data - covered)


def unit(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text()


def test_systemd_units_run_the_daily_commands_and_the_servers():
    commands = {name for name, _ in COMMANDS}
    units = sorted(p.name for p in (DEPLOY / "systemd").iterdir())
    timers = [u for u in units if u.endswith(".timer")]
    assert {"steward-expire-uploads.timer", "steward-access-reminders.timer"} <= set(timers)
    for timer in timers:
        service = timer.removesuffix(".timer") + ".service"
        assert service in units, timer
        assert "OnCalendar=" in unit(timer) and "Persistent=true" in unit(timer)
        assert "Type=oneshot" in unit(service)
    for service in (u for u in units if u.endswith(".service")):
        text = unit(service)
        assert "User=steward" in text and "EnvironmentFile=/etc/steward/steward.env" in text
        command = re.search(r"/opt/steward/venv/bin/steward ([a-z-]+)", text)
        assert command and command.group(1) in commands, service
    assert "steward serve --host 127.0.0.1" in unit("steward-web.service")
    assert "steward worker" in unit("steward-worker.service")
    analyze = shutil.which("systemd-analyze")
    if analyze:  # also check the syntax where systemd's own checker is at hand
        for name in units:
            done = subprocess.run(
                [analyze, "verify", "--man=no", str(DEPLOY / "systemd" / name)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            problems = [
                line for line in done.stderr.splitlines() if "is not executable" not in line
            ]
            assert not problems, (name, problems)


def test_the_deployment_guide_explains_every_setting():
    settings_py = (ROOT / "steward" / "settings.py").read_text()
    names = set(re.findall(r'"((?:STEWARD_[A-Z0-9_]+)|DATABASE_URL)"', settings_py))
    names.add("STEWARD_PROGRESS")  # read by the commands (steward/lib/console.py)
    guide = (ROOT / "docs" / "deploy.md").read_text()
    missing = sorted(name for name in names if f"`{name}" not in guide)
    assert not missing, f"docs/deploy.md does not explain {missing}"
    for topic in ("/healthz", "/readyz", "/metrics", "steward backup", "steward restore"):
        assert topic in guide
    assert "steward migrate-storage" in guide


def test_stored_files_follow_the_umask(tmp_path):
    """nginx, another user, can read the stored files only when the umask lets it: mkstemp's
    0600 would refuse it every X-Accel-Redirect."""
    store = LocalStore(tmp_path)
    previous = os.umask(0o027)
    try:
        store.put("a/one.tar.gz", io.BytesIO(b"one"))
        upload_id = store.create_multipart("b/two.tar.gz")
        store.write_part(upload_id, 1, io.BytesIO(b"two"), 3)
        store.complete_multipart("b/two.tar.gz", upload_id, [1])
    finally:
        os.umask(previous)
    for key in ("a/one.tar.gz", "b/two.tar.gz"):
        assert stat.S_IMODE(store.path(key).stat().st_mode) == 0o640, key


# nginx with deploy/nginx's locations, in front of a live Steward and the S3 server.


@pytest.fixture
def nginx(tmp_path, settings, live_server, moto_server):
    """nginx on a free port with deploy/nginx's two location files, Steward's upstream being
    the live server and the bucket's the moto server; its base URL."""
    folder = tmp_path / "nginx"
    folder.mkdir()
    files = Path(settings.STEWARD_FILES_DIR)
    files.mkdir(parents=True, exist_ok=True)
    locations = (DEPLOY / "nginx" / "steward-locations.conf").read_text()
    assert "alias /var/lib/steward/files/;" in locations
    (folder / "steward-locations.conf").write_text(
        locations.replace("alias /var/lib/steward/files/;", f"alias {files}/;")
    )
    shutil.copy(DEPLOY / "nginx" / "bucket-locations.conf", folder)
    port = free_port()
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # As root, nginx's workers would become `nobody`, whom pytest's private (0700) temporary
    # folders shut out; file modes are test_stored_files_follow_the_umask's subject.
    user = "user root root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""{user}
        pid {folder / "nginx.pid"};
        error_log {folder / "error.log"} info;
        events {{}}
        http {{
            access_log {folder / "access.log"};
            client_body_temp_path {temp["body"]};
            proxy_temp_path {temp["proxy"]};
            fastcgi_temp_path {temp["fastcgi"]};
            uwsgi_temp_path {temp["uwsgi"]};
            scgi_temp_path {temp["scgi"]};
            upstream steward_web {{ server 127.0.0.1:{live_server.thread.port}; }}
            upstream steward_bucket {{ server {moto_server.removeprefix("http://")}; }}
            server {{
                listen 127.0.0.1:{port};
                include {folder / "steward-locations.conf"};
                include {folder / "bucket-locations.conf"};
            }}
        }}
        """
    )
    process = subprocess.Popen(
        [need("nginx"), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_nginx_serves_steward_and_sends_local_files_itself(
    nginx, settings, organization, member, auth_for
):
    from steward.catalog.tests.factories import make_dataset

    settings.STEWARD_DOWNLOAD_MODE = "x-accel"
    archive = os.urandom(300_000)
    dataset = make_dataset(organization, slug="behind-nginx", archive=archive)

    assert requests.get(f"{nginx}/api/health", timeout=10).json() == {"status": "ok"}
    link = requests.post(
        f"{nginx}/api/datasets/{dataset.public_id}/download",
        headers={"Authorization": auth_for(member)["HTTP_AUTHORIZATION"]},
        timeout=10,
    )
    assert link.status_code == 200, link.text
    url = link.json()["downloadUrl"]
    assert url.startswith(nginx)  # Steward's links keep the address the client used

    whole = requests.get(url, timeout=30)
    assert whole.status_code == 200 and whole.content == archive
    assert "X-Accel-Redirect" not in whole.headers  # nginx acted on it
    assert whole.headers["Content-Disposition"] == 'attachment; filename="behind-nginx.tar.gz"'
    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=30)
    assert part.status_code == 206 and part.content == archive[1000:2000]
    # The internal location answers nginx alone.
    key = dataset.current_version.files.get().blob.key
    assert requests.get(f"{nginx}/_files/{key}", timeout=10).status_code == 404


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_bucket_path_carries_uploads_and_downloads_to_s3(
    nginx, settings, moto_server, organization, owner, member, auth_for
):
    from steward.catalog.tests.factories import make_dataset
    from steward.storage import services

    client = boto3.client(
        "s3", endpoint_url=moto_server, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
    # As in compose.yaml: the store's endpoint is Steward's own address, in front of S3.
    settings.STEWARD_S3_BUCKET = BUCKET
    settings.STEWARD_S3_ENDPOINT = nginx
    settings.STEWARD_S3_ACCESS_KEY_ID = "testing"
    settings.STEWARD_S3_SECRET_ACCESS_KEY = "testing"
    archive = os.urandom(100_000)
    dataset = make_dataset(organization, slug="in-the-bucket", archive=archive)
    key = dataset.current_version.files.get().blob.key
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == archive

    link = requests.post(
        f"{nginx}/api/datasets/{dataset.public_id}/download",
        headers={"Authorization": auth_for(member)["HTTP_AUTHORIZATION"]},
        timeout=10,
    )
    redirect = requests.get(link.json()["downloadUrl"], allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith(f"{nginx}/{BUCKET}/")
    assert requests.get(redirect.headers["Location"], timeout=30).content == archive

    data = os.urandom(5000)
    upload = services.start_upload(
        owner, reference="x", purpose="archive", filename="up.tar.gz",
        size_bytes=len(data), mime_type="application/gzip",
    )  # fmt: skip
    part_url = services.part_url(upload, 1)
    assert part_url.startswith(f"{nginx}/{BUCKET}/")
    sent = requests.put(part_url, data=data, timeout=30)
    assert sent.status_code == 200, sent.text
    upload = services.complete_upload(
        upload,
        parts=[{"partNumber": 1, "etag": sent.headers["ETag"]}],
        checksum=hashlib.sha256(data).hexdigest(),
    )
    assert upload.status == "completed"
