#!/usr/bin/env python3
"""A small GAME evaluator written from the GAME API spec (requests + msgpack).

Usage: evaluator_client.py HOST PORT REQUEST.json

Asks GET /formats and GET /help, sends REQUEST.json to POST /predict as JSON and as msgpack,
checks the responses against the spec (mandatory keys, `type_actual` an array of strings, one
prediction per requested sequence id, in the request's order) and that a malformed request gets GAME's error object with 400.
Prints one line per check and exits non-zero on the first failure.
"""
import json
import sys

import msgpack
import requests

TASK_KEYS = ["name", "type_requested", "type_actual", "cell_type_requested", "cell_type_actual",
             "species_requested", "species_actual", "predictions"]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_predictions(req, resp, how):
    if "prediction_tasks" not in resp:
        fail(f"{how}: no prediction_tasks in {list(resp)}")
    names = [t["name"] for t in req["prediction_tasks"]]
    got = [t["name"] for t in resp["prediction_tasks"]]
    if sorted(names) != sorted(got):
        fail(f"{how}: tasks {got} != requested {names}")
    ids = list(req["sequences"])
    for task in resp["prediction_tasks"]:
        missing = [k for k in TASK_KEYS if k not in task]
        if missing:
            fail(f"{how}: task {task.get('name')} lacks {missing}")
        # GAME's current schema: type_actual is an array of strings, the other labels strings.
        ta = task["type_actual"]
        if not isinstance(ta, list) or not ta or not all(isinstance(x, str) for x in ta):
            fail(f"{how}: task {task['name']}: type_actual is not an array of strings: {ta!r}")
        for key in ("cell_type_actual", "species_actual"):
            if not isinstance(task[key], str):
                fail(f"{how}: task {task['name']}: {key} is not a string: {task[key]!r}")
        if list(task["predictions"]) != ids:
            fail(f"{how}: task {task['name']}: predictions not in request order")
        for sid, v in task["predictions"].items():
            if not isinstance(v, list) or not all(isinstance(x, (int, float)) for x in v):
                fail(f"{how}: prediction of {sid} is not a list of numbers: {v!r}")
    print(f"ok: {how}: {len(ids)} sequences x {len(names)} tasks, order kept")


def main():
    host, port, path = sys.argv[1], sys.argv[2], sys.argv[3]
    base = f"http://{host}:{port}"
    formats = requests.get(f"{base}/formats", timeout=60).json()
    if "application/msgpack" not in formats.get("predictor_supported_request_formats", []):
        fail(f"formats: {formats}")
    print("ok: formats", formats["predictor_supported_request_formats"])
    help_msg = requests.get(f"{base}/help", timeout=60).json()
    print("ok: help from", help_msg.get("predictor_name"), help_msg.get("model"))

    with open(path) as f:
        req = json.load(f)  # dicts keep the file's key order
    r = requests.post(f"{base}/predict", json=req, timeout=600)
    if r.status_code != 200:
        fail(f"json predict: HTTP {r.status_code}: {r.text[:300]}")
    check_predictions(req, r.json(), "json")
    json_resp = r.json()

    r = requests.post(f"{base}/predict", data=msgpack.packb(req, use_bin_type=True),
                      headers={"Content-Type": "application/msgpack", "Accept": "application/msgpack"},
                      timeout=600)
    if r.status_code != 200 or r.headers.get("Content-Type") != "application/msgpack":
        fail(f"msgpack predict: HTTP {r.status_code} {r.headers.get('Content-Type')}")
    mp = msgpack.unpackb(r.content, raw=False)
    check_predictions(req, mp, "msgpack")
    if mp != json_resp:
        fail("msgpack and json responses differ")
    print("ok: msgpack response equals json response")

    r = requests.post(f"{base}/predict", data=b'{"readout": "point",', timeout=60,
                      headers={"Content-Type": "application/json"})
    body = r.json()
    if r.status_code != 400 or "bad_prediction_request" not in body["error"][0]:
        fail(f"malformed request: HTTP {r.status_code} {body}")
    print("ok: malformed request -> 400", body["error"][0]["bad_prediction_request"][:60])
    bad = dict(req)
    bad["sequences"] = {"x": "ACGTZ"}
    bad.pop("prediction_ranges", None)
    r = requests.post(f"{base}/predict", json=bad, timeout=60)
    if r.status_code != 422 or "prediction_request_failed" not in r.json()["error"][0]:
        fail(f"non-ACGTN: HTTP {r.status_code} {r.text[:200]}")
    print("ok: non-ACGTN sequence -> 422")
    print("all checks passed")


if __name__ == "__main__":
    main()
