"""The interval algebra under every rule: half-open [start, end) seconds, overlaps never counted twice."""
from creditsvc.calculators.intervals import clip, intersect, length, subtract, union


def test_union_merges_overlapping_intervals_so_overlaps_are_never_counted_twice():
    assert union([(10, 20), (15, 30)]) == [(10, 30)]
    assert length(union([(10, 20), (15, 30)])) == 20


def test_union_merges_touching_intervals_and_sorts_disjoint_ones():
    assert union([(30, 40), (0, 10), (10, 20)]) == [(0, 20), (30, 40)]


def test_union_drops_empty_and_reversed_intervals():
    assert union([(5, 5), (9, 3), (1, 2)]) == [(1, 2)]


def test_union_keeps_an_interval_contained_in_another_once():
    assert union([(0, 100), (10, 20), (50, 60)]) == [(0, 100)]


def test_intersect_returns_the_common_parts_of_two_unions():
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert intersect([(0, 10)], [(10, 20)]) == []


def test_subtract_removes_covered_parts_and_keeps_the_rest():
    assert subtract([(0, 10)], [(2, 3), (5, 6)]) == [(0, 2), (3, 5), (6, 10)]
    assert subtract([(0, 5), (6, 10)], [(4, 7)]) == [(0, 4), (7, 10)]
    assert subtract([(0, 10)], [(0, 10)]) == []
    assert subtract([(0, 10)], []) == [(0, 10)]


def test_clip_keeps_only_the_part_inside_the_half_open_window():
    assert clip([(0, 10), (20, 30)], 5, 25) == [(5, 10), (20, 25)]
    assert clip([(0, 10)], 10, 5) == []


def test_length_is_the_total_seconds_of_a_union():
    assert length([(0, 10), (20, 25)]) == 15
    assert length([]) == 0


def test_union_without_touching_keeps_intervals_that_only_touch_apart_and_still_merges_overlaps():
    pieces = [(10, 20), (0, 10), (15, 25), (30, 30), (25, 27)]
    assert union(pieces) == [(0, 27)]
    assert union(pieces, touching=False) == [(0, 10), (10, 25), (25, 27)]
