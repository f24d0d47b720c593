"""rules.md §7: response and resolution targets on calendar and business clocks, pauses, compliance,
breach credits. Business clock: Mon-Fri 08:00-16:00 Asia/Ho_Chi_Minh with Vietnamese holidays."""
from decimal import Decimal

import pytest

from creditsvc.calculators.calendar import BusinessCalendar
from creditsvc.calculators.errors import DomainError
from creditsvc.calculators.policy import Target
from creditsvc.calculators.records import epoch
from creditsvc.calculators.tickets import BREACHED, MET, PENDING, target_seconds, ticket_targets

from tests.calculators.factories import (
    D,
    HCM,
    VN_HOURS,
    hcm,
    make_contract,
    policy_3cx,
    statement,
    ticket,
    ticket_policy,
)

VN = BusinessCalendar(VN_HOURS, HCM)
H = 3600
LATE = hcm(2026, 12, 31)


def evaluate(*tickets, policy=None, as_of=LATE):
    return ticket_targets(policy or ticket_policy(), list(tickets), epoch(as_of), VN, "VND")


def one(t, **kw):
    return evaluate(t, **kw).items[0]


@pytest.mark.parametrize("text, clock, seconds", [
    ("30m", "calendar", 1800), ("4h", "calendar", 4 * H), ("2d", "calendar", 2 * 86400),
    ("2d", "business", 2 * 8 * H), ("1h30m", "business", 5400), ("1d4h", "business", 12 * H),
])
def test_a_target_duration_is_read_on_its_clock_and_a_business_day_is_one_day_of_business_hours(text, clock, seconds):
    assert target_seconds(text, clock, VN) == seconds


@pytest.mark.parametrize("text", ["", "2x", "h", "4 h", "-1h"])
def test_a_malformed_target_duration_is_a_domain_error(text):
    with pytest.raises(DomainError):
        target_seconds(text, "calendar", VN)


# --- business clock over weekends and Vietnamese holidays --------------------------------------------

def test_a_2d_business_target_opened_friday_14_00_is_met_at_tuesday_14_00_after_the_weekend():
    result = one(ticket("T", "P4", hcm(2026, 9, 4, 14), responded=hcm(2026, 9, 4, 14, 30),
                        resolved=hcm(2026, 9, 8, 14)))
    assert result.resolution.target_seconds == 16 * H
    assert result.resolution.elapsed_seconds == 16 * H
    assert result.resolution.status == MET and not result.breached


def test_a_2d_business_target_opened_friday_14_00_is_breached_one_second_after_tuesday_14_00():
    result = one(ticket("T", "P4", hcm(2026, 9, 4, 14), responded=hcm(2026, 9, 4, 14, 30),
                        resolved=hcm(2026, 9, 8, 14, 0, 1)))
    assert result.resolution.elapsed_seconds == 16 * H + 1
    assert result.resolution.status == BREACHED and result.breached


def test_a_4h_business_response_opened_friday_14_00_is_met_at_monday_10_00():
    result = one(ticket("T", "P4", hcm(2026, 9, 4, 14), responded=hcm(2026, 9, 7, 10)))
    assert result.response.elapsed_seconds == 4 * H and result.response.status == MET


def test_a_2d_business_target_opened_before_tet_skips_the_tet_holidays_16_to_20_february_2026():
    met = one(ticket("T", "P4", hcm(2026, 2, 13, 14), resolved=hcm(2026, 2, 24, 14)))
    assert met.resolution.elapsed_seconds == 16 * H and met.resolution.status == MET
    breached = one(ticket("T", "P4", hcm(2026, 2, 13, 14), resolved=hcm(2026, 2, 24, 14, 0, 1)))
    assert breached.resolution.status == BREACHED
    during_tet = one(ticket("T", "P4", hcm(2026, 2, 13, 14), resolved=hcm(2026, 2, 20, 23)))
    assert during_tet.resolution.elapsed_seconds == 2 * H


def test_a_ticket_opened_on_national_day_starts_counting_business_time_on_3_september():
    opened = hcm(2026, 9, 1, 10)  # 1 and 2 September 2026 are closed
    assert one(ticket("T", "P4", opened, resolved=hcm(2026, 9, 3, 8))).resolution.elapsed_seconds == 0
    met = one(ticket("T", "P4", opened, resolved=hcm(2026, 9, 7, 8)))
    assert met.resolution.elapsed_seconds == 16 * H and met.resolution.status == MET
    assert one(ticket("T", "P4", opened, resolved=hcm(2026, 9, 7, 8, 0, 1))).resolution.status == BREACHED


def test_the_same_2d_target_on_a_calendar_clock_runs_through_the_weekend():
    policy = ticket_policy(P4=Target(resolution="2d", clock="calendar"))
    met = one(ticket("T", "P4", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 6, 14)), policy=policy)
    assert met.resolution.elapsed_seconds == 2 * 86400 and met.resolution.status == MET
    late = one(ticket("T", "P4", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 6, 14, 0, 1)), policy=policy)
    assert late.resolution.status == BREACHED


def test_resolved_at_tuesday_14_00_meets_a_business_2d_target_but_breaches_a_calendar_2d_target():
    policy = ticket_policy(B=Target(resolution="2d", clock="business"), C=Target(resolution="2d", clock="calendar"))
    result = evaluate(ticket("b", "B", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 8, 14)),
                      ticket("c", "C", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 8, 14)), policy=policy)
    assert [i.resolution.status for i in result.items] == [MET, BREACHED]


# --- pauses and when the clock starts ---------------------------------------------------------------

def test_pauses_stop_a_calendar_clock():
    base = dict(resolved=hcm(2026, 9, 10, 14))
    paused = one(ticket("T", "P1", hcm(2026, 9, 10, 9), pauses=((hcm(2026, 9, 10, 10), hcm(2026, 9, 10, 12)),), **base))
    assert paused.resolution.elapsed_seconds == 3 * H and paused.resolution.status == MET
    unpaused = one(ticket("T", "P1", hcm(2026, 9, 10, 9), **base))
    assert unpaused.resolution.elapsed_seconds == 5 * H and unpaused.resolution.status == BREACHED


def test_overlapping_pauses_are_subtracted_once():
    result = one(ticket("T", "P1", hcm(2026, 9, 10, 9), resolved=hcm(2026, 9, 10, 14),
                        pauses=((hcm(2026, 9, 10, 10), hcm(2026, 9, 10, 12)),
                                (hcm(2026, 9, 10, 11), hcm(2026, 9, 10, 12, 30)))))
    assert result.resolution.elapsed_seconds == 5 * H - int(2.5 * H)


def test_pauses_stop_a_business_clock_only_for_their_business_time():
    result = one(ticket("T", "P4", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 8, 16),
                        pauses=((hcm(2026, 9, 5, 0), hcm(2026, 9, 7, 12)),)))  # weekend + 4 business hours
    assert result.resolution.elapsed_seconds == 18 * H - 4 * H
    assert result.resolution.status == MET


def test_the_clock_starts_at_confirmation_when_the_policy_says_clock_starts_confirmed():
    t = ticket("T", "P1", hcm(2026, 9, 10, 9), confirmed=hcm(2026, 9, 10, 10), responded=hcm(2026, 9, 10, 10, 30))
    confirmed = one(t, policy=ticket_policy("confirmed"))
    assert confirmed.response.elapsed_seconds == 1800 and confirmed.response.status == MET
    opened = one(t, policy=ticket_policy("opened"))
    assert opened.response.elapsed_seconds == 5400 and opened.response.status == BREACHED


def test_an_unconfirmed_ticket_has_not_started_its_clock_when_it_starts_at_confirmation():
    result = one(ticket("T", "P1", hcm(2026, 9, 10, 9)), policy=ticket_policy("confirmed"))
    assert result.response.status == PENDING and result.response.elapsed_seconds is None
    assert not result.breached


# --- met, breached, pending as of as_of ----------------------------------------------------------------

def test_an_unresolved_ticket_past_its_target_is_breached_as_of_as_of():
    t = ticket("T", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 9, 10))
    late = one(t, as_of=hcm(2026, 9, 10, 13, 0, 1))
    assert late.resolution.status == BREACHED and late.resolution.elapsed_seconds == 4 * H + 1
    assert late.breached and late.breach_credit == Decimal("100000")
    on_time = one(t, as_of=hcm(2026, 9, 10, 13))
    assert on_time.resolution.status == PENDING and not on_time.breached and on_time.breach_credit is None


def test_a_ticket_resolved_without_a_recorded_response_was_answered_by_its_resolution():
    # The response clock ran on to as_of: resolved in 20 minutes, it breached a 30-minute response
    # target by three months and was credited.
    quick = one(ticket("T", "P1", hcm(2026, 9, 10, 9), resolved=hcm(2026, 9, 10, 9, 20)))
    assert (quick.response.status, quick.response.elapsed_seconds, quick.breached) == (MET, 1200, False)
    assert quick.breach_credit is None
    slow = one(ticket("T", "P1", hcm(2026, 9, 10, 9), resolved=hcm(2026, 9, 10, 9, 45)))
    assert (slow.response.status, slow.response.elapsed_seconds, slow.resolution.status) == (BREACHED, 2700, MET)
    unanswered = one(ticket("T", "P1", hcm(2026, 9, 10, 9)), as_of=hcm(2026, 9, 10, 9, 31))
    assert unanswered.response.status == BREACHED  # neither answered nor resolved: as of as_of


def test_a_first_response_recorded_after_the_resolution_stops_the_response_clock_at_the_resolution():
    # resolved 09:20 within the 30-minute target, the reply logged at 11:00: breached by 1 h 30 min before
    late_reply = one(ticket("T", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 11),
                            resolved=hcm(2026, 9, 10, 9, 20)))
    assert (late_reply.response.status, late_reply.response.elapsed_seconds, late_reply.breached) == (MET, 1200, False)


def test_a_target_is_met_when_elapsed_equals_the_target_exactly():
    result = one(ticket("T", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 9, 30),
                        resolved=hcm(2026, 9, 10, 13)))
    assert (result.response.status, result.resolution.status) == (MET, MET)


def test_compliance_per_priority_is_decided_tickets_meeting_every_target_truncated_to_4_decimals():
    result = evaluate(
        ticket("a", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 9, 5), resolved=hcm(2026, 9, 10, 10)),
        ticket("b", "P1", hcm(2026, 9, 11, 9), responded=hcm(2026, 9, 11, 10), resolved=hcm(2026, 9, 11, 10)),
        ticket("c", "P1", hcm(2026, 9, 12, 9), responded=hcm(2026, 9, 12, 9, 5), resolved=hcm(2026, 9, 12, 10)),
        ticket("d", "P1", hcm(2026, 9, 30, 23), responded=hcm(2026, 9, 30, 23, 5)),  # still pending
        ticket("e", "P4", hcm(2026, 9, 30, 15)),  # pending: no decided P4 ticket
        as_of=hcm(2026, 9, 30, 23, 10))
    assert result.compliance == {"P1": D("66.6666"), "P4": None}


def test_a_ticket_breaching_only_its_response_target_is_breached():
    result = one(ticket("T", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 10), resolved=hcm(2026, 9, 10, 11)))
    assert (result.response.status, result.resolution.status, result.breached) == (BREACHED, MET, True)


def test_a_priority_the_policy_does_not_define_is_refused():
    with pytest.raises(DomainError) as info:
        evaluate(ticket("T", "P9", hcm(2026, 9, 10, 9)))
    assert info.value.code == "unknown_priority"


# --- in the statement ------------------------------------------------------------------------------

def tickets_statement(*tickets, as_of=None):
    contract = make_contract(policy_3cx(uptime=None, ticket_targets=ticket_policy(), business_hours=VN_HOURS))
    return statement(contract, "2026-09", tickets=tickets, as_of=as_of)


def test_a_breach_credit_is_credited_like_a_fine_once_per_breached_ticket():
    result = tickets_statement(
        ticket("a", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 10), resolved=hcm(2026, 9, 10, 11)),
        ticket("b", "P1", hcm(2026, 9, 11, 9), responded=hcm(2026, 9, 11, 9, 5), resolved=hcm(2026, 9, 11, 15)),
        ticket("c", "P4", hcm(2026, 9, 4, 14), resolved=hcm(2026, 9, 30)))  # breached, no credit for P4
    assert [(line.kind, line.amount) for line in result.lines] == [
        ("ticket_breach_credit", Decimal("100000")), ("ticket_breach_credit", Decimal("100000"))]
    assert result.tickets.breach_credit_total == Decimal("200000")
    assert result.credit_total == Decimal("200000")


def test_the_statement_uses_the_policy_business_calendar_with_vietnamese_holidays():
    result = tickets_statement(ticket("T", "P4", hcm(2026, 9, 1, 10), resolved=hcm(2026, 9, 4, 16)))
    assert result.tickets.items[0].resolution.elapsed_seconds == 16 * H


def test_a_ticket_belongs_to_the_statement_of_the_period_in_which_it_was_opened():
    result = tickets_statement(ticket("aug", "P1", hcm(2026, 8, 31, 23)),
                               ticket("sep", "P1", hcm(2026, 9, 1, 0), responded=hcm(2026, 9, 1, 0, 10),
                                      resolved=hcm(2026, 9, 1, 1)),
                               ticket("oct", "P1", hcm(2026, 10, 1)))
    assert [item.ticket_id for item in result.tickets.items] == ["sep"]


def test_a_pause_counts_only_where_the_clock_runs_not_before_it_starts_or_after_it_stops():
    # clock_starts "confirmed": opened 08:00, paused 08:30-10:30 while unconfirmed, confirmed 10:00,
    # resolved 14:30 -> 4 h 30 min on the clock, less the 30 paused minutes after confirmation = 4 h
    # exactly (met). The whole 2 h pause, unclipped, gave 2 h 30 min. And a pause running on past the
    # resolution stops nothing after it.
    policy = ticket_policy("confirmed")
    late = one(ticket("T", "P1", hcm(2026, 9, 10, 8), confirmed=hcm(2026, 9, 10, 10), responded=hcm(2026, 9, 10, 10, 10),
                      resolved=hcm(2026, 9, 10, 14, 30), pauses=((hcm(2026, 9, 10, 8, 30), hcm(2026, 9, 10, 10, 30)),)),
               policy=policy)
    assert late.resolution.elapsed_seconds == 4 * H and late.resolution.status == MET
    breached = one(ticket("T", "P1", hcm(2026, 9, 10, 8), confirmed=hcm(2026, 9, 10, 10), responded=hcm(2026, 9, 10, 10, 10),
                          resolved=hcm(2026, 9, 10, 14, 31), pauses=((hcm(2026, 9, 10, 8), hcm(2026, 9, 10, 10, 30)),)),
                   policy=policy)
    assert breached.resolution.elapsed_seconds == 4 * H + 60 and breached.breached
    assert breached.breach_credit == D(100000)
    after = one(ticket("T", "P1", hcm(2026, 9, 10, 9), responded=hcm(2026, 9, 10, 9, 10), resolved=hcm(2026, 9, 10, 12),
                       pauses=((hcm(2026, 9, 10, 11), hcm(2026, 9, 10, 18)),)))
    assert after.resolution.elapsed_seconds == 2 * H
    # on the business clock alike: paused 07:00-09:00 before a 08:00 start counts its hour inside the clock
    business = one(ticket("T", "P4", hcm(2026, 9, 10, 8), responded=hcm(2026, 9, 10, 8, 30),
                          resolved=hcm(2026, 9, 10, 15), pauses=((hcm(2026, 9, 10, 7), hcm(2026, 9, 10, 9)),)))
    assert business.resolution.elapsed_seconds == 6 * H
