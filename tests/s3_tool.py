"""S3 chores for the end-to-end tests, with boto3 against the test server (moto).

    s3_tool.py setup   ENDPOINT BUCKET PREFIX LANDING_DIR ORIGIN...   create the bucket, apply
        docs/s3-cors.json with ORIGIN(s) allowed, upload LANDING_DIR under PREFIX/landing/
    s3_tool.py presign-get ENDPOINT URL_ENDPOINT BUCKET KEY BODY_FILE  put BODY_FILE at KEY, print a GET URL for URL_ENDPOINT
    s3_tool.py compare ENDPOINT BUCKET PREFIX CLI_OUT PATH...          read each uploaded output back
        and compare it with the CLI's file: Parquet with pyarrow (schema + rows), text byte for byte
    s3_tool.py state   ENDPOINT BUCKET PREFIX                          keys and pending multipart uploads
    s3_tool.py put     ENDPOINT BUCKET PREFIX REL...                   put a small object at PREFIX/REL
        for each REL (its body names it), e.g. an earlier run's files in a table folder

Prints one JSON object.
"""
import io
import json
import os
import sys
from pathlib import Path

import boto3
import pyarrow.parquet as pq
from botocore.config import Config

ACCESS_KEY = "stedi-test-key"
SECRET_KEY = "stedi-test-secret"
ROOT = Path(__file__).resolve().parent.parent


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def setup(endpoint, bucket, prefix, landing, *origins):
    s3 = client(endpoint)
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    cors = json.loads((ROOT / "docs" / "s3-cors.json").read_text())
    cors["CORSRules"][0]["AllowedOrigins"] = list(origins)
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors)
    keys = []
    for p in sorted(Path(landing).rglob("*")):
        if p.is_file():
            key = f"{prefix}/landing/{p.relative_to(landing).as_posix()}"
            s3.upload_file(str(p), bucket, key)
            keys.append(key)
    return {"keys": keys}


def presign_get(endpoint, url_endpoint, bucket, key, body_file):
    client(endpoint).put_object(Bucket=bucket, Key=key, Body=Path(body_file).read_bytes())
    url = client(url_endpoint).generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)
    return {"url": url}


def compare(endpoint, bucket, prefix, cli_out, *paths):
    s3 = client(endpoint)
    results = {}
    for path in paths:
        got = s3.get_object(Bucket=bucket, Key=f"{prefix}/{path}")["Body"].read()
        want = (Path(cli_out) / path).read_bytes()
        r = {"bytes_equal": got == want, "size": len(got)}
        if path.endswith((".json", ".ndjson")) and not path.startswith("ndjson/"):
            r["equal_without_file_names"] = _without_files(got) == _without_files(want)
            if path == "summary.json":
                r["accounted"] = json.loads(got)["accounted"]
        if path.endswith(".parquet"):
            t_got, t_want = pq.read_table(io.BytesIO(got)), pq.read_table(io.BytesIO(want))
            r.update(rows=t_got.num_rows, schema_equal=t_got.schema.equals(t_want.schema), table_equal=t_got.equals(t_want))
        results[path] = r
    return results


def _without_files(data):
    """A report's JSON (or NDJSON lines) with every file-name field dropped."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if k not in ("file", "name", "files")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v
    text = data.decode()
    try:
        return strip(json.loads(text))
    except json.JSONDecodeError:
        return [strip(json.loads(line)) for line in text.splitlines() if line.strip()]


def state(endpoint, bucket, prefix):
    s3 = client(endpoint)
    keys = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for o in page.get("Contents", []):
            keys[o["Key"][len(prefix) + 1 :]] = {"size": o["Size"], "etag": o["ETag"]}
    pending = s3.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/").get("Uploads", [])
    return {"keys": keys, "pending_multipart": [u["Key"] for u in pending]}


def put(endpoint, bucket, prefix, *rels):
    s3 = client(endpoint)
    for rel in rels:
        s3.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=f"left here before the upload: {rel}\n".encode())
    return {"keys": [f"{prefix}/{rel}" for rel in rels]}


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    fn = {"setup": setup, "presign-get": presign_get, "compare": compare, "state": state, "put": put}[cmd]
    print(json.dumps(fn(*args)))
