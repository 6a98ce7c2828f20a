"""Where `stedi-lake presign` finds credentials: the AWS SDK's chain, as the AWS CLI v2 finds them.

Each test runs the CLI in an environment it builds from nothing (HOME, AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE in the test's own folder, instance metadata off unless the test is
about it), against moto (S3, and STS for assume-role). A source is shown to be used by the signed
URLs themselves: the access key in X-Amz-Credential, the session token, and the signature equal to
the one boto3 computes with the credentials that source handed out (so the secret was used too),
and a GET of a landing URL returning the object's bytes.
"""
import datetime
import json
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import boto3
import pytest
from botocore.config import Config

from conftest import CLI

BUCKET, REGION = "presign-creds", "eu-central-1"
CLOCK = "2026-03-04T05:06:07Z"
BODY = b'{"email":"a@b.c","serialNumber":"s-1","timeStamp":1}\n'
LANDING_KEY = "c/landing/customer/part-1.json"


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="AKIDSETUP", aws_secret_access_key="x",
                      region_name=REGION, config=Config(s3={"addressing_style": "path"}))
    try:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    except s3.exceptions.BucketAlreadyOwnedByYou:  # a server kept from an earlier run
        pass
    s3.put_object(Bucket=BUCKET, Key=LANDING_KEY, Body=BODY)
    return s3_endpoint


def isolated_env(tmp_path, **extra):
    """Nothing from this machine: HOME and both AWS files in the test's folder, IMDS off."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "AWS_EC2_METADATA_DISABLED": "true"}
    env.update(extra)
    return env


def run(env, *args, timeout=60):
    return subprocess.run([str(CLI), "presign", f"s3://{BUCKET}/c", "--path-style", "--signing-time", CLOCK,
                           "--expires", "900", *args], capture_output=True, text=True, env=env, timeout=timeout)


def manifest(res):
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def landing_get(m):
    (obj,) = [o for o in m["landing"] if o["key"] == LANDING_KEY]
    return obj["get"]


def query(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def assert_signed_with(url, endpoint, key, secret, token):
    """The URL is the one boto3 signs with these credentials at the same clock, and it works."""
    q = query(url)
    assert q["X-Amz-Credential"].startswith(f"{key}/20260304/{REGION}/s3/aws4_request"), q["X-Amz-Credential"]
    assert q.get("X-Amz-Security-Token") == token
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                      aws_session_token=token, region_name=REGION,
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
    with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2026, 3, 4, 5, 6, 7)):
        theirs = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": LANDING_KEY}, ExpiresIn=900)
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(theirs)
    assert (a.netloc, a.path) == (b.netloc, b.path)
    assert q == query(theirs)  # same signature: the secret and the token were the source's
    # The clock is fixed in the past; moto serves presigned GETs without checking their expiry.
    with urllib.request.urlopen(url) as r:
        assert r.read() == BODY


def test_credential_process_profile_and_its_endpoint_url(bucket, tmp_path):
    """AWS_PROFILE names a profile whose credentials come from `credential_process` (JSON
    Version 1 on stdout) and whose endpoint_url is moto's: no --endpoint, no keys anywhere else."""
    key, secret, token = "AKIDPROCESS", "process/secret+1", "process-token"
    script = tmp_path / "creds.sh"
    doc = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": secret, "SessionToken": token,
           "Expiration": "2099-01-01T00:00:00Z"}
    script.write_text(f"#!/bin/sh\necho \"$1\" >> {tmp_path / 'calls'}\ncat <<'EOF'\n{json.dumps(doc)}\nEOF\n")
    script.chmod(0o755)
    (tmp_path / "config").write_text(
        f"[profile proc]\ncredential_process = {script} called-by-sdk\nregion = {REGION}\nendpoint_url = {bucket}\n"
        f"[profile broken]\ncredential_process = /bin/sh -c 'echo no way >&2; exit 3'\nregion = {REGION}\n")
    env = isolated_env(tmp_path, AWS_PROFILE="proc")
    m = manifest(run(env))
    assert (tmp_path / "calls").read_text() == "called-by-sdk\n"  # the script ran, once
    assert_signed_with(landing_get(m), bucket, key, secret, token)
    for o in m["outputs"]:
        assert query(o["put"])["X-Amz-Credential"].startswith(f"{key}/")

    # A configured process that fails stops the search with its error (no fallback, no URL).
    res = run({**env, "AWS_PROFILE": "broken"}, "--endpoint", bucket)
    assert res.returncode == 1 and res.stdout == ""
    assert "AWS credentials from profile [broken]" in res.stderr and "failed" in res.stderr, res.stderr
    assert "X-Amz-Signature" not in res.stderr


def test_assume_role_profile_signs_with_the_temporary_keys_sts_issued(bucket, tmp_path):
    """`role_arn` + `source_profile` (static keys): the SDK calls STS AssumeRole (moto's, through
    AWS_ENDPOINT_URL_STS) and the URLs are signed with the temporary credentials moto issued."""
    role = "arn:aws:iam::123456789012:role/stedi-lake-presign"
    (tmp_path / "credentials").write_text("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n")
    (tmp_path / "config").write_text(
        f"[profile lake]\nrole_arn = {role}\nsource_profile = base\nrole_session_name = stedi-presign-test\n"
        f"region = {REGION}\n")
    env = isolated_env(tmp_path, AWS_ENDPOINT_URL_STS=bucket)
    m = manifest(run(env, "--profile", "lake", "--endpoint", bucket))
    url = landing_get(m)
    key = query(url)["X-Amz-Credential"].split("/")[0]
    assert key.startswith("ASIA"), key  # moto's temporary keys; the base key AKIDBASE was not used to sign
    # moto records every role it handed out: this key is the session of our role, and its secret
    # and token are the ones the URL is signed with.
    state = json.load(urllib.request.urlopen(f"{bucket}/moto-api/data.json"))
    (issued,) = [r for r in state["sts"]["AssumedRole"] if r["access_key_id"] == key]
    assert (issued["role_arn"], issued["session_name"]) == (role, "stedi-presign-test")
    assert_signed_with(url, bucket, key, issued["secret_access_key"], issued["session_token"])


class ContainerCredentials(BaseHTTPRequestHandler):
    """The ECS / EKS Pod Identity credentials endpoint: JSON credentials for the right token."""
    doc = {"AccessKeyId": "AKIDCONTAINER", "SecretAccessKey": "container/secret", "Token": "container-token",
           "Expiration": "2099-01-01T00:00:00Z"}
    seen = []

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Authorization")))
        ok = self.headers.get("Authorization") == "container-auth-token"
        body = json.dumps(self.doc if ok else {"message": "bad token"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def container_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ContainerCredentials)
    ContainerCredentials.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_container_credentials_from_the_full_uri_with_its_token(bucket, tmp_path, container_endpoint):
    env = isolated_env(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{container_endpoint}/v2/credentials/lake",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN="container-auth-token", AWS_REGION=REGION)
    m = manifest(run(env, "--endpoint", bucket))
    assert ContainerCredentials.seen[0] == ("/v2/credentials/lake", "container-auth-token")
    d = ContainerCredentials.doc
    assert_signed_with(landing_get(m), bucket, d["AccessKeyId"], d["SecretAccessKey"], d["Token"])


def test_nothing_found_names_every_source_tried(bucket, tmp_path):
    env = isolated_env(tmp_path)
    (tmp_path / "config").write_text("[profile other]\nregion = us-west-2\n")
    started = time.monotonic()
    res = run(env, "--endpoint", bucket, timeout=30)
    assert res.returncode == 1 and res.stdout == "", res.stderr
    err = res.stderr
    assert "no AWS credentials for profile [default]" in err, err
    for tried in ["AWS_ACCESS_KEY_ID", str(tmp_path / "config"), str(tmp_path / "credentials"), "credential_process",
                  "SSO", "role_arn", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                  "instance metadata (IMDS", "disabled by AWS_EC2_METADATA_DISABLED"]:
        assert tried in err, (tried, err)
    assert time.monotonic() - started < 10
    # An explicit --profile: the environment's keys are not used (as the AWS CLI), and said so.
    res = run({**env, "AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "x"}, "--profile", "missing",
              "--endpoint", bucket, timeout=30)
    assert res.returncode == 1 and "no AWS credentials for profile [missing]" in res.stderr, res.stderr
    assert "skipped: --profile wins" in res.stderr


def test_instance_metadata_that_never_answers_costs_a_second_per_lookup(bucket, tmp_path):
    """IMDS enabled, at an address that accepts connections and never answers (what a firewall or a
    stuck proxy does): presign gives up after one 1-second attempt for the region and one for the
    credentials (2 s), instead of the SDK's default 4 attempts (at least 4 s each)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = isolated_env(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{silent.getsockname()[1]}")
        del env["AWS_EC2_METADATA_DISABLED"]
        started = time.monotonic()
        res = run(env, "--endpoint", bucket, timeout=60)
        elapsed = time.monotonic() - started
    assert res.returncode == 1 and "no AWS credentials" in res.stderr, res.stderr
    assert "instance metadata (IMDS" in res.stderr
    assert elapsed < 4.5, elapsed


def run_now(env, *args, timeout=60):
    """`presign` signing at the real clock (the expiry tests compare with it)."""
    return subprocess.run([str(CLI), "presign", f"s3://{BUCKET}/c", "--path-style", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def process_profile(tmp_path, bucket, expiration, name="temp"):
    """A profile whose credential_process hands out keys expiring at `expiration` (ISO 8601)."""
    doc = {"Version": 1, "AccessKeyId": "AKIDTEMP", "SecretAccessKey": "temp/secret", "SessionToken": "temp-token",
           "Expiration": expiration}
    script = tmp_path / "temp-creds.sh"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(doc)}\nEOF\n")
    script.chmod(0o755)
    (tmp_path / "config").write_text(
        f"[profile {name}]\ncredential_process = {script}\nregion = {REGION}\nendpoint_url = {bucket}\n")
    return doc


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_credentials_expiring_first_cap_every_url_and_the_manifest(bucket, tmp_path):
    """Credentials that expire in 10 minutes and --expires 604800 (7 days): the URLs cannot work
    longer than the credentials, so X-Amz-Expires and the manifest's "expires" stop at their expiry
    (and stderr says so); the URLs are still boto3's for that lifetime and signing time."""
    expiry = int(time.time()) + 600
    doc = process_profile(tmp_path, bucket, iso(expiry))
    env = isolated_env(tmp_path, AWS_PROFILE="temp")
    res = run_now(env, "--expires", "604800", "--max-output-size", "20M")  # multipart uploads too
    m = manifest(res)
    created = datetime.datetime.strptime(m["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    expires = datetime.datetime.strptime(m["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert expires.timestamp() <= expiry, (m["expires"], iso(expiry))
    assert expiry - 60 < expires.timestamp()  # capped, not shortened beyond the run's own seconds
    lifetime = int((expires - created).total_seconds())
    assert 0 < lifetime <= 600
    urls = [o["get"] for o in m["landing"]] + [o["put"] for o in m["outputs"]]
    multipart = [o["multipart"] for o in m["outputs"] if o.get("multipart")]
    assert multipart
    urls += [u for mp in multipart for u in [mp["complete"], mp["abort"], *mp["parts"]]]
    for url in urls:
        assert query(url)["X-Amz-Expires"] == str(lifetime), url
    assert "expire at" in res.stderr and "--expires 604800" in res.stderr, res.stderr
    # Signed as boto3 signs with these credentials, this lifetime and the URL's own signing time.
    url = landing_get(m)
    q = query(url)
    signed_at = datetime.datetime.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    s3 = boto3.client("s3", endpoint_url=bucket, aws_access_key_id=doc["AccessKeyId"],
                      aws_secret_access_key=doc["SecretAccessKey"], aws_session_token=doc["SessionToken"],
                      region_name=REGION, config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        theirs = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": LANDING_KEY},
                                           ExpiresIn=lifetime)
    assert q == query(theirs)
    with urllib.request.urlopen(url) as r:
        assert r.read() == BODY
    # --quiet: the same manifest limits, no notice.
    res = run_now(env, "--expires", "604800", "--quiet")
    assert res.returncode == 0 and res.stderr == "", res.stderr
    # Credentials that outlive --expires leave it alone.
    m = manifest(run_now(env, "--expires", "120"))
    assert query(landing_get(m))["X-Amz-Expires"] == "120"


def test_expired_credentials_are_refused_naming_their_source(bucket, tmp_path):
    process_profile(tmp_path, bucket, "2001-01-01T00:00:00Z")
    res = run_now(isolated_env(tmp_path, AWS_PROFILE="temp"), "--expires", "900")
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert "AWS credentials from profile [temp]" in res.stderr, res.stderr
    assert "expired at 2001-01-01T00:00:00Z" in res.stderr, res.stderr


def test_a_config_file_that_does_not_parse_is_named_with_its_line(bucket, tmp_path):
    (tmp_path / "config").write_text("# mine\n[default\nregion = eu-west-1\n")
    res = run(isolated_env(tmp_path), "--endpoint", bucket)
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert f"{tmp_path / 'config'} on line 2" in res.stderr, res.stderr
    assert "must end with ']'" in res.stderr, res.stderr


def test_a_key_id_without_its_secret_is_refused_unless_a_profile_is_named(bucket, tmp_path):
    """The AWS CLI's "Partial credentials found in env": no silent fall-through to [default]."""
    (tmp_path / "credentials").write_text(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n"
        "[named]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = named/secret\n")
    env = isolated_env(tmp_path, AWS_ACCESS_KEY_ID="AKIDLONELY", AWS_REGION=REGION)
    res = run(env, "--endpoint", bucket)
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" in res.stderr, res.stderr
    # --profile ignores the environment's keys, partial or not.
    m = manifest(run(env, "--endpoint", bucket, "--profile", "named"))
    assert_signed_with(landing_get(m), bucket, "AKIDNAMED", "named/secret", None)


def test_profile_flag_wins_over_env_keys_and_env_keys_win_over_aws_profile(bucket, tmp_path):
    (tmp_path / "credentials").write_text("[named]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = named/s\n")
    env = isolated_env(tmp_path, AWS_ACCESS_KEY_ID="AKIDENV", AWS_SECRET_ACCESS_KEY="env/secret",
                       AWS_SESSION_TOKEN="env-token", AWS_REGION=REGION)
    m = manifest(run(env, "--endpoint", bucket, "--profile", "named"))
    assert_signed_with(landing_get(m), bucket, "AKIDNAMED", "named/s", None)
    m = manifest(run({**env, "AWS_PROFILE": "named"}, "--endpoint", bucket))
    assert_signed_with(landing_get(m), bucket, "AKIDENV", "env/secret", "env-token")


def test_an_sso_profile_without_a_cached_token_says_to_sign_in(bucket, tmp_path):
    (tmp_path / "config").write_text(
        "[profile corp]\nsso_session = corp-sso\nsso_account_id = 123456789012\nsso_role_name = Lake\n"
        f"region = {REGION}\n[sso-session corp-sso]\nsso_start_url = https://corp.awsapps.com/start\n"
        f"sso_region = {REGION}\nsso_registration_scopes = sso:account:access\n")
    res = run(isolated_env(tmp_path), "--endpoint", bucket, "--profile", "corp")
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert "AWS credentials from profile [corp]" in res.stderr and "failed" in res.stderr, res.stderr
    assert "aws sso login --profile corp" in res.stderr, res.stderr


def test_a_container_endpoint_that_never_answers_is_given_up_on_quickly(bucket, tmp_path):
    """One attempt, bounded at 2 s (the SDK's client alone: 3 attempts x 5 s read timeout)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        env = isolated_env(tmp_path, AWS_REGION=REGION,
                           AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{silent.getsockname()[1]}/creds")
        started = time.monotonic()
        res = run(env, "--endpoint", bucket, timeout=60)
        elapsed = time.monotonic() - started
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert "AWS credentials from container credentials endpoint" in res.stderr, res.stderr
    assert "no answer within 2 s" in res.stderr, res.stderr
    assert elapsed < 5, elapsed
