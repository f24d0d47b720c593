"""A flask-smorest Blueprint whose argument parser reads JSON numbers as Decimal, never float, and
takes a valid body of a schema that can load it from bytes (schemas/fastload.py) that way."""
from __future__ import annotations

import flask_smorest
from marshmallow import Schema
from webargs.core import _UNKNOWN_DEFAULT_PARAM, missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..jsonio import loads
from ..schemas.fastload import HandOver


class DecimalParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        # An empty body too is jsonio's 400 ("the body is empty"): webargs read it as no body, and its
        # schema then said "Missing data" (422); a JSON request with nothing in it does not parse.
        return loads(req.get_data(cache=True))

    def parse(self, argmap, req=None, *, location=None, unknown=_UNKNOWN_DEFAULT_PARAM, validate=None, **kwargs):
        fast = getattr(argmap, "load_body", None) if isinstance(argmap, Schema) else None  # not a class
        location = location or self.location
        if fast is not None and location == "json" and validate is None and self._unknown(unknown) in (None, argmap.unknown):
            req = req if req is not None else self.get_default_request()
            if is_json_request(req):
                body = req.get_data(cache=True)  # a body over the limit is a 413 here, as on webargs' road
                try:
                    return fast(body)
                except HandOver:
                    pass  # webargs' road: jsonio, then marshmallow, whose errors are the response
        return super().parse(argmap, req, location=location, unknown=unknown, validate=validate, **kwargs)

    def _unknown(self, unknown):
        """The `unknown` webargs passes to a body's load (None: the schema's own)."""
        if unknown is not _UNKNOWN_DEFAULT_PARAM:
            return unknown
        if self.unknown is not _UNKNOWN_DEFAULT_PARAM:
            return self.unknown
        return self.DEFAULT_UNKNOWN_BY_LOCATION.get("json")


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalParser()
