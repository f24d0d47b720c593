"""HTTP edge cases found by probing the served app (gunicorn) with raw sockets."""
import io

import pytest
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize


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
