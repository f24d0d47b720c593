"""HTTP edge cases found by probing the served app (gunicorn) with raw sockets."""
import io
import json

import pytest
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize

from tests.api.conftest import CONTRACT_3CX


class _BrokenChunks(io.BytesIO):
    """gunicorn's wsgi.input for a chunked body whose framing is broken: reading it raises."""

    def __init__(self, error):
        super().__init__(b"{}")
        self.error = error

    def read(self, size=-1):
        raise self.error

    readline = readinto = read


@pytest.mark.parametrize("error", [InvalidChunkSize(b"zz"), ChunkMissingTerminator(b"XX")])
@pytest.mark.parametrize("method, path", [("POST", "/v1/calculations"), ("POST", "/v1/contracts/acme-3cx/incidents"),
                                          ("GET", "/healthz")])
def test_a_malformed_chunked_body_is_a_400_problem_not_a_500(client, method, path, error):
    # `Transfer-Encoding: chunked` with a chunk size of "zz": gunicorn raises while the body is read
    # (api/body_limit.py reads every chunked body), and that was an unhandled error: 500.
    response = client.open(path, method=method, input_stream=_BrokenChunks(error), content_type="application/json",
                           environ_overrides={"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(response.json) and response.json["status"] == 400


@pytest.mark.parametrize("media_type", ["application/merge-patch+json", "application/json-patch+json",
                                        "application/problem+json", "application/vnd.example+json"])
def test_a_body_in_another_json_media_type_is_a_415_not_read_as_plain_json(client, media_type):
    # werkzeug's is_json takes every application/*+json. A merge patch (RFC 7396) leaves out what it does
    # not change, and PUT read it as the whole contract: a stored ends_on became null, answered 200.
    contract = {**CONTRACT_3CX, "ends_on": "2027-12-31"}
    assert client.put("/v1/contracts/acme-3cx", json=contract).status_code == 201
    partial = {key: value for key, value in contract.items() if key != "ends_on"}
    response = client.put("/v1/contracts/acme-3cx", data=json.dumps(partial), content_type=media_type)
    assert response.status_code == 415 and response.mimetype == "application/problem+json"
    assert client.get("/v1/contracts/acme-3cx").json["ends_on"] == "2027-12-31"


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=UTF-8"])
def test_application_json_in_any_case_and_with_its_charset_is_still_json(client, content_type):
    response = client.put("/v1/contracts/acme-3cx", data=json.dumps(CONTRACT_3CX), content_type=content_type)
    assert response.status_code == 201


@pytest.mark.parametrize("method, path", [("GET", "/v1//contracts/acme-3cx"), ("GET", "/v1/contracts//acme-3cx"),
                                          ("POST", "/v1//calculations"), ("POST", "/v1/contracts/acme-3cx//incidents"),
                                          ("GET", "/v1//credit-notes/CN-2026-000001")])
def test_a_path_with_an_empty_segment_is_a_404_problem_not_an_html_redirect(client, method, path):
    # werkzeug merges repeated slashes by answering 308 with an HTML page: the one response of the API
    # that was neither JSON nor a problem, in no operation of openapi.yaml, and for a POST an invitation
    # to send the body again elsewhere. A trailing slash (another URL than the operation's) is a 404.
    response = client.open(path, method=method, json={})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert "Location" not in response.headers
    assert {"type", "title", "status", "detail"} <= set(response.json) and response.json["status"] == 404
