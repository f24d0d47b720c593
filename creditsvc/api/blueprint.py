"""A flask-smorest Blueprint whose argument parser reads JSON numbers as Decimal, never float."""
from __future__ import annotations

import flask_smorest
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request

from ..jsonio import loads


class DecimalParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        return loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DecimalParser()
