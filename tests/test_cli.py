"""The command line's own pieces, apart from what they drive (tests/api/test_operations.py runs them)."""
import io

from creditsvc.cli import ProgressBar


def test_a_progress_bar_that_drew_nothing_ends_no_line():
    # close-period on a terminal with nothing owed printed an empty line before its summary
    stream = io.StringIO()
    ProgressBar(stream).finish()
    assert stream.getvalue() == ""


def test_a_progress_bar_redraws_its_one_line_and_ends_it_once():
    stream = io.StringIO()
    bar = ProgressBar(stream, width=4)
    bar(1, 2, "CN-2026-000001")
    bar(2, 2, None)
    bar.finish()
    assert stream.getvalue() == "\r[##..] 1/2\r[####] 2/2\n"
