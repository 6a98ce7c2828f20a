"""`stedi-lake presign` against a real S3-protocol server (moto), cross-checked with boto3.

Every URL in the manifest must equal the one boto3 signs for the same request, key, credentials,
region, endpoint and clock (the signing time is fixed on both sides), and the listing must cover
every landing object across ListObjectsV2 pages. Which keys are landing data is the one landing
rule (`ingest::select`): nothing stedi-lake wrote is ever read back, and every other object of a
table folder an upload writes gets a DELETE (and nothing else does).
"""
import json
import subprocess
import urllib.parse
from unittest import mock

import boto3
import pytest
from botocore.config import Config

from conftest import CLI, FIXTURES

KEY, SECRET, TOKEN = "AKIDSTEDITEST", "stedi/secret+key", "session-token/with+chars"
CLOCK = "2026-03-04T05:06:07Z"
# The reasons of `ingest::select::Skip` (crate/src/ingest/select.rs), by their opening words.
ENGINE_OUTPUT = "written by stedi-lake"
HIDDEN = "hidden file or folder"
BOOKKEEPING = "Spark/Glue bookkeeping"
OUTSIDE_LANDING = "not below a landing/ folder"


def presign(endpoint, location, *extra, env_token=True, home=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home or "/nonexistent"), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "eu-central-1"}
    if env_token:
        env["AWS_SESSION_TOKEN"] = TOKEN
    res = subprocess.run([str(CLI), "presign", location, "--endpoint", endpoint, "--path-style",
                          "--signing-time", CLOCK, "--expires", "900", *extra],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout), res.stderr


def boto(endpoint, token=TOKEN):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                        aws_session_token=token, region_name="eu-central-1",
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def boto_url(endpoint, op, params):
    import datetime

    fixed = datetime.datetime(2026, 3, 4, 5, 6, 7)
    with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
        return boto(endpoint).generate_presigned_url(op, Params=params, ExpiresIn=900)


def same_request(ours, theirs):
    """Same method target and the same signed query (order aside): identical signatures."""
    a, b = urllib.parse.urlsplit(ours), urllib.parse.urlsplit(theirs)
    assert (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)
    qa, qb = dict(urllib.parse.parse_qsl(a.query)), dict(urllib.parse.parse_qsl(b.query))
    assert qa == qb
    assert len(qa["X-Amz-Signature"]) == 64


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    s3 = boto(s3_endpoint, token=None)
    s3.create_bucket(Bucket="presign-check", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for p in sorted(FIXTURES.rglob("*.json")):
        s3.upload_file(str(p), "presign-check", f"p/landing/{p.relative_to(FIXTURES).as_posix()}")
    # Keys that need escaping, a key routed by its records, and keys that are not landing data.
    s3.put_object(Bucket="presign-check", Key="p/landing/customer/export (1) é+x.json", Body=b'{"email":"a@b.c"}\n')
    s3.put_object(Bucket="presign-check", Key="p/landing/unsorted/data.json", Body=b'{"user":"a@b.c","timestamp":1}\n')
    s3.put_object(Bucket="presign-check", Key="p/notes/readme.txt", Body=b"hello")
    s3.put_object(Bucket="presign-check", Key="p/trusted/customer_trusted/part-00000.parquet", Body=b"PAR1")
    # A stale part (an earlier run's) in a table folder the upload writes, with a key that needs escaping.
    s3.put_object(Bucket="presign-check", Key="p/trusted/customer_trusted/part-00001 (old).parquet", Body=b"PAR1")
    return s3_endpoint


def test_urls_equal_boto3s_for_every_request(bucket):
    m, _ = presign(bucket, "s3://presign-check/p", "--formats", "parquet,ndjson", "--max-output-size", "12Mi",
                   "--part-size", "5Mi")
    assert m["format"] == "stedi-lake-manifest" and m["version"] == 1
    assert (m["created"], m["expires"]) == (CLOCK, "2026-03-04T05:21:07Z")
    keys = {o["key"]: o for o in m["landing"]}
    assert len(keys) == len(list(FIXTURES.rglob("*.json"))) + 2
    assert keys["p/landing/customer/export (1) é+x.json"]["source"] == "customer"
    assert keys["p/landing/unsorted/data.json"]["source"] is None
    assert {s["key"]: s["reason"].split(" (")[0] for s in m["skipped"]} == {
        "p/notes/readme.txt": OUTSIDE_LANDING,
        "p/trusted/customer_trusted/part-00000.parquet": ENGINE_OUTPUT,
        "p/trusted/customer_trusted/part-00001 (old).parquet": ENGINE_OUTPUT,
    }
    for o in m["landing"]:
        same_request(o["get"], boto_url(bucket, "get_object", {"Bucket": "presign-check", "Key": o["key"]}))
    multipart = 0
    stale = {o["path"]: [x["key"] for x in o.get("stale", [])] for o in m["outputs"]}
    assert {p: k for p, k in stale.items() if k} == {
        "trusted/customer_trusted/part-00000.parquet": ["p/trusted/customer_trusted/part-00001 (old).parquet"]}
    for o in m["outputs"]:
        assert o["key"] == f"p/{o['path']}"
        for x in o.get("stale", []):
            same_request(x["delete"], boto_url(bucket, "delete_object", {"Bucket": "presign-check", "Key": x["key"]}))
        same_request(o["put"], boto_url(bucket, "put_object",
                                        {"Bucket": "presign-check", "Key": o["key"], "ContentType": o["content_type"]}))
        mp = o.get("multipart")
        if not mp:
            continue
        multipart += 1
        assert mp["part_size"] == 5 * 1024 * 1024 and len(mp["parts"]) == 3
        ids = dict(Bucket="presign-check", Key=o["key"], UploadId=mp["upload_id"])
        for n, url in enumerate(mp["parts"], 1):
            same_request(url, boto_url(bucket, "upload_part", {**ids, "PartNumber": n}))
        same_request(mp["complete"], boto_url(bucket, "complete_multipart_upload", ids))
        same_request(mp["abort"], boto_url(bucket, "abort_multipart_upload", ids))
    assert multipart == 10  # 5 derived tables x (Parquet, NDJSON)
    # The uploads presign created exist on the server, with the Content-Type they were signed for.
    uploads = boto(bucket, token=None).list_multipart_uploads(Bucket="presign-check")["Uploads"]
    assert {u["UploadId"] for u in uploads} >= {o["multipart"]["upload_id"] for o in m["outputs"] if "multipart" in o}


def test_listing_follows_continuation_pages(s3_endpoint):
    s3 = boto(s3_endpoint, token=None)
    s3.create_bucket(Bucket="presign-pages", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for i in range(1003):  # ListObjectsV2 returns at most 1,000 keys a page
        s3.put_object(Bucket="presign-pages", Key=f"x/landing/step_trainer/part-{i:05}.json", Body=b"")
    m, err = presign(s3_endpoint, "s3://presign-pages/x", env_token=False)
    assert len(m["landing"]) == 1003
    assert "1003 landing object(s)" in err
    assert not any("multipart" in o for o in m["outputs"])  # empty landing: nothing outgrows one part


def test_profile_file_credentials_and_errors_without_urls(s3_endpoint, tmp_path):
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(f"[lake]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    res = subprocess.run([str(CLI), "presign", "s3://presign-check/p", "--profile", "lake", "--endpoint", s3_endpoint,
                          "--path-style", "--region", "eu-central-1"], capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert "X-Amz-Credential=AKIDSTEDITEST" in res.stdout
    # A bucket that does not exist: S3's error code, and no signed URL in the message.
    res = subprocess.run([str(CLI), "presign", "s3://no-such-bucket/p", "--profile", "lake", "--endpoint", s3_endpoint,
                          "--path-style"], capture_output=True, text=True, env=env)
    assert res.returncode == 1
    assert "NoSuchBucket" in res.stderr and "X-Amz-Signature" not in res.stderr, res.stderr
    res = subprocess.run([str(CLI), "presign", "s3://presign-check/p", "--profile", "missing"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 1 and "no AWS credentials for profile [missing]" in res.stderr, res.stderr
    res = subprocess.run([str(CLI), "presign", "s3://presign-check/p", "--part-size", "1Mi"],
                         capture_output=True, text=True, env={**env, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert res.returncode == 1 and "5 MiB" in res.stderr


def test_an_output_tree_beside_the_landing_data_is_never_landing_data(s3_endpoint, tmp_path):
    """`aws s3 sync out/ s3://lake/stedi/` of a CLI run (today's layout, plus an older version's
    landing copies below landing/ and ndjson/landing/) next to the real landing JSON: presign lists
    only the landing JSON, names why every other key is skipped, and deletes only the other objects
    of the table folders it uploads into."""
    out = tmp_path / "out"
    res = subprocess.run([str(CLI), "run", str(FIXTURES), "--out", str(out), "--formats", "parquet,ndjson"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    s3 = boto(s3_endpoint, token=None)
    s3.create_bucket(Bucket="presign-tree", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    put = lambda key, body: s3.put_object(Bucket="presign-tree", Key=f"stedi/{key}", Body=body)  # noqa: E731
    landing = sorted(f"stedi/landing/{p.relative_to(FIXTURES).as_posix()}" for p in FIXTURES.rglob("*.json"))
    for p in FIXTURES.rglob("*.json"):
        put(f"landing/{p.relative_to(FIXTURES).as_posix()}", p.read_bytes())
    published = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "_stedi-lake.json" in published and "typed_landing/customer_landing/part-00000.parquet" in published
    for rel in published:
        put(rel, (out / rel).read_bytes())
    # An older version's layout: the engine's landing copies where the landing rule looks.
    old = {
        "landing/customer_landing/part-00000.parquet": out / "typed_landing/customer_landing/part-00000.parquet",
        "ndjson/landing/accelerometer_landing/part-00000.json": out / "ndjson/typed_landing/accelerometer_landing/part-00000.json",
        "landing/step_trainer_landing/part-00000.parquet": out / "typed_landing/step_trainer_landing/part-00000.parquet",
    }
    for key, src in old.items():
        put(key, src.read_bytes())
    # Bookkeeping, hidden files, a folder marker, a foreign file, and stale table files.
    extra = {
        "_SUCCESS": BOOKKEEPING, "landing/customer/.DS_Store": HIDDEN, "landing/_temporary/0/x.json": BOOKKEEPING,
        "landing/": "folder marker", "notes/readme.txt": OUTSIDE_LANDING,
        "trusted/customer_trusted/part-00001.parquet": ENGINE_OUTPUT,
        "trusted/customer_trusted/ndjson/part-00000.json": OUTSIDE_LANDING,
        "ndjson/curated/machine_learning_curated/part-00009.json": ENGINE_OUTPUT,
        "trusted/customer_trusted_old/part-00000.parquet": OUTSIDE_LANDING,
    }
    for key in extra:
        put(key, b"x")

    m, err = presign(s3_endpoint, "s3://presign-tree/stedi", "--formats", "parquet,ndjson")
    # The landing list: exactly the landing JSON (counted on the file system), nothing the engine wrote.
    assert sorted(o["key"] for o in m["landing"]) == landing
    assert f"{len(landing)} landing object(s)" in err
    reasons = {s["key"][len("stedi/"):]: s["reason"] for s in m["skipped"]}
    assert sorted(reasons) == sorted(set(published) | set(old) | set(extra))
    for key in [*published, *old]:
        assert reasons[key].startswith(ENGINE_OUTPUT), (key, reasons[key])
    for key, why in extra.items():
        assert reasons[key].startswith(why), (key, reasons[key])

    # Deletes: the other objects of each table folder written, and only those.
    stale = {o["path"]: sorted(x["key"] for x in o.get("stale", [])) for o in m["outputs"]}
    assert {p: k for p, k in stale.items() if k} == {
        "trusted/customer_trusted/part-00000.parquet": ["stedi/trusted/customer_trusted/ndjson/part-00000.json",
                                                        "stedi/trusted/customer_trusted/part-00001.parquet"],
        "ndjson/curated/machine_learning_curated/part-00000.json": ["stedi/ndjson/curated/machine_learning_curated/part-00009.json"],
    }
    for o in m["outputs"]:
        for x in o.get("stale", []):
            same_request(x["delete"], boto_url(s3_endpoint, "delete_object", {"Bucket": "presign-tree", "Key": x["key"]}))


def test_a_presign_that_fails_after_creating_multipart_uploads_aborts_them(s3_endpoint):
    """An object that cannot be addressed in the last derived table's folder stops presign; the
    multipart uploads it had already created for the earlier tables are aborted, not left billed."""
    s3 = boto(s3_endpoint, token=None)
    s3.create_bucket(Bucket="presign-abort", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    for p in sorted(FIXTURES.rglob("*.json")):
        s3.upload_file(str(p), "presign-abort", f"q/landing/{p.relative_to(FIXTURES).as_posix()}")
    s3.put_object(Bucket="presign-abort", Key="q/curated/machine_learning_curated/x/../part-00001.parquet", Body=b"PAR1")
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_REGION": "eu-central-1"}
    res = subprocess.run([str(CLI), "presign", "s3://presign-abort/q", "--endpoint", s3_endpoint, "--path-style",
                          "--max-output-size", "12Mi", "--part-size", "5Mi"], capture_output=True, text=True, env=env)
    assert res.returncode == 1 and "'..'" in res.stderr, res.stderr
    assert "X-Amz-Signature" not in res.stderr
    assert s3.list_multipart_uploads(Bucket="presign-abort").get("Uploads", []) == []
