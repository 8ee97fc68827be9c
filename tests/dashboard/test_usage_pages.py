"""The usage page (charts, tables, budget, CSV), the limits page, and the chart's geometry."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from designs.bar_chart import bar_chart
from designs.models import KeyLimits, ProjectLimits, Reservation, Run
from designs.services.projects import api_key_create
from tests.dashboard.stored import new_thread, turn


def _run(thread, *, days_ago=0, images=1, cost="0.04", key=None, model="gpt-image-1", provider="openai", **extra):
    """A finished run of `thread` made `days_ago` days ago (UTC), with its images and cost."""
    run, _ = turn(thread, f"make {images}", image=False, **extra)
    at = timezone.now() - timedelta(days=days_ago)
    fields = {"images_generated": images, "cost_usd": Decimal(cost), "api_key": key, "created_at": at}
    Run.objects.filter(pk=run.pk).update(image_provider=provider, image_model=model, **fields)
    return run


def _bars(html: str, metric: str = "images") -> list[tuple[str, float]]:
    """(day, height) of each bar of the chart, left to right."""
    chart = html.split(f'<svg class="chart chart-{metric}"', 1)[1].split("</svg>", 1)[0]
    return [
        (day, float(h))
        for h, day in re.findall(r'<rect class="bar[^"]*"[^>]*height="([\d.]+)" data-day="([\d-]+)"', chart)
    ]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- The chart's geometry ----------------------------------------------------------------------


def test_bar_heights_are_proportional_and_the_largest_reaches_the_top():
    chart = bar_chart([0, 5, 10, 2.5])
    plot = chart.baseline - chart.top
    heights = [bar.height for bar in chart.bars]
    assert heights == [0, pytest.approx(plot / 2), pytest.approx(plot), pytest.approx(plot / 4)]
    assert chart.bars[2].y == chart.top and chart.bars[0].y == chart.baseline
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.bars)
    assert chart.scale_max == 10 and [line.fraction for line in chart.lines] == [0, 0.5, 1]


def test_bars_are_evenly_spaced_inside_the_chart_and_never_overlap():
    chart = bar_chart([1] * 90)
    xs = [bar.x for bar in chart.bars]
    assert len(chart.bars) == 90
    assert xs == sorted(xs) and xs[0] >= chart.left and xs[-1] + chart.bars[-1].width <= chart.right
    assert all(b.x + b.width < nxt.x for b, nxt in zip(chart.bars, chart.bars[1:], strict=False))
    labelled = [i for i, bar in enumerate(chart.bars) if bar.labelled]
    assert labelled[-1] == 89 and len(labelled) <= 7  # today is always named
    assert chart.bars[-1].anchor == "end" and chart.bars[0].anchor == "start"


def test_a_chart_of_zeros_draws_zero_height_bars_and_no_scale():
    chart = bar_chart([0, 0, 0])
    assert [bar.height for bar in chart.bars] == [0, 0, 0] and chart.lines == [] and chart.scale_max == 0
    assert bar_chart([]).bars == []
    with pytest.raises(ValueError):
        bar_chart([1, -1])


# --- Who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["usage", "usage.csv", "settings/limits"])
def test_a_non_member_gets_the_not_found_page(team, page):
    response = team.client("stranger").get(team.url(page))
    assert response.status_code == 404
    assert b"not a member" in response.content


def test_every_member_sees_usage_and_the_nav_names_it(team):
    _run(new_thread(team.project))
    for who in ("owner", "admin", "member", "reviewer"):
        response = team.client(who).get(team.url("usage"))
        assert response.status_code == 200, who
        assert f'href="/projects/{team.project.id}/usage" aria-current="page">Usage' in response.content.decode()


def test_an_empty_project_says_so_and_links_to_a_new_thread(team):
    html = team.client("member").get(team.url("usage")).content.decode()
    assert "Nothing generated yet" in html and f"/projects/{team.project.id}/threads/new" in html
    assert '<svg class="chart' not in html and "Download CSV" not in html
    assert "No budget set" in html and "See limits" in html  # a member reads the limits
    assert "Set limits" in team.client("admin").get(team.url("usage")).content.decode()


# --- What the page shows -----------------------------------------------------------------------


def test_the_page_splits_images_and_cost_by_model_key_and_thread(team):
    key, _secret = api_key_create(project=team.project, name="shop backend", created_by=team.owner)
    sketches, posters = new_thread(team.project), new_thread(team.project)
    _run(sketches, images=2, cost="0.08", key=key)
    _run(sketches, days_ago=1, images=1, cost="0.04", model="easel-local-painter", provider="local")
    _run(posters, days_ago=2, images=4, cost="0.50", key=key)
    _run(posters, status=Run.Status.RUNNING, images=9, cost="9")  # not ended: not counted yet
    _run(new_thread(team.other), images=7, cost="7.77")  # another project's

    html = team.client("member").get(team.url("usage")).content.decode()

    assert 'data-stat="images">7<' in html and 'data-stat="cost">$0.62<' in html and 'data-stat="runs">3<' in html
    models = html.split('data-table="models"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<th scope=\"row\">([\w.-]+) ", models) == ["gpt-image-1", "easel-local-painter"]
    assert "$0.58" in models and "$0.04" in models
    keys = html.split('data-table="keys"', 1)[1].split("</table>", 1)[0]
    assert keys.index("shop backend") < keys.index("Dashboard") and f"{key.prefix}…" in keys
    threads = html.split('data-table="threads"', 1)[1].split("</table>", 1)[0]
    links = re.findall(r'href="/projects/[^/]+/threads/([0-9a-f-]+)"', threads)
    assert links == [str(posters.id), str(sketches.id)] and "make 4" in threads
    assert "$7.77" not in html and "$9.00" not in html


def test_the_chart_has_one_bar_per_day_tall_only_where_images_were_made(team):
    thread = new_thread(team.project)
    _run(thread, days_ago=0, images=2)
    _run(thread, days_ago=3, images=4)
    _run(thread, days_ago=10, images=1)
    client = team.client("member")

    week = _bars(client.get(team.url("usage"), {"days": 7}).content.decode())
    assert len(week) == 7
    today = timezone.now().date()
    tall = {day for day, height in week if height > 0}
    assert tall == {today.isoformat(), (today - timedelta(days=3)).isoformat()}
    heights = dict(week)
    assert heights[(today - timedelta(days=3)).isoformat()] == pytest.approx(2 * heights[today.isoformat()])

    month = _bars(client.get(team.url("usage"), {"days": 30}).content.decode())
    assert len(month) == 30 and sum(1 for _d, h in month if h > 0) == 3
    assert len(_bars(client.get(team.url("usage"), {"days": 90}).content.decode())) == 90
    assert len(_bars(client.get(team.url("usage"), {"days": "12; drop"}).content.decode())) == 30
    html = client.get(team.url("usage")).content.decode()
    assert '<title id="chart-images-title">Images made per day' in html and '<desc id="chart-images-desc">' in html
    assert html.count('<rect class="bar') == 60  # the images chart and the cost chart


def test_the_csv_has_a_row_per_day_model_and_key(team):
    key, _secret = api_key_create(project=team.project, name='=HYPERLINK("x")', created_by=team.owner)
    thread = new_thread(team.project)
    _run(thread, images=2, cost="0.08", key=key)
    _run(thread, images=1, cost="0.04", key=key)
    _run(thread, images=1, cost="0.01")
    _run(thread, days_ago=40, images=5, cost="1")  # outside 30 days
    _run(new_thread(team.other), images=7, cost="7.77")

    response = team.client("reviewer").get(team.url("usage.csv"))

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="easel-usage-')
    today = timezone.now().date().isoformat()
    rows = _csv(response)
    assert rows[0] == ["date", "model", "api_key", "runs", "images", "cost_usd"]
    assert sorted(rows[1:]) == [
        [today, "openai/gpt-image-1", '\'=HYPERLINK("x") (' + key.prefix + "…)", "2", "3", "0.120000"],
        [today, "openai/gpt-image-1", "Dashboard", "1", "1", "0.010000"],
    ]
    assert len(_csv(team.client("member").get(team.url("usage.csv"), {"days": 90}))) == 4


# --- The budget and the limits form ------------------------------------------------------------


def test_the_budget_bar_shows_the_month_and_today_against_the_limits(team):
    ProjectLimits.objects.create(project=team.project, images_per_day=10, cost_per_month_usd=Decimal("2.00"))
    run = _run(new_thread(team.project), images=9, cost="1.00")
    Reservation.objects.create(
        project=team.project, run=run, images=9, estimated_usd=1, charged_usd=Decimal("1.50"), status="settled"
    )
    html = team.client("member").get(team.url("usage")).content.decode()
    assert "$1.50 of $2.00" in html and "9 of 10" in html and "No budget set" not in html
    assert 'width="75.0"' in html and 'class="meter near"' in html  # 90 % of today's images


def test_an_admin_sets_the_limits_and_a_blank_is_no_limit(team):
    key, _secret = api_key_create(project=team.project, name="ci", created_by=team.owner)
    client = team.client("admin")
    form = {"images_per_day": "50", "cost_per_month_usd": "12.5", f"key-{key.id}": "5"}
    response = client.post(team.url("settings/limits"), form)
    assert response.status_code == 302 and response["Location"] == team.url("settings/limits")
    limits = ProjectLimits.objects.get(project=team.project)
    assert (limits.images_per_day, limits.cost_per_month_usd) == (50, Decimal("12.50"))
    assert KeyLimits.objects.get(api_key=key).images_per_day == 5
    page = client.get(team.url("settings/limits")).content.decode()
    assert "The limits are saved" in page and 'value="50"' in page and 'value="12.50"' in page

    client.post(team.url("settings/limits"), {"images_per_day": "", "cost_per_month_usd": "12.50", f"key-{key.id}": ""})
    limits.refresh_from_db()
    assert limits.images_per_day is None and limits.cost_per_month_usd == Decimal("12.50")
    assert KeyLimits.objects.get(api_key=key).images_per_day is None
    usage = client.get(team.url("usage")).content.decode()
    assert "$0.00 of $12.50" in usage and "no daily limit" in usage


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("images_per_day", "-1", "Enter 0 or more"),
        ("images_per_day", "lots", "Enter a whole number of images"),
        ("images_per_day", "2000000", "at most 1,000,000 images a day"),
        ("cost_per_month_usd", "$20", "Enter an amount in US dollars"),
        ("cost_per_month_usd", "1.234", "at most two decimals"),
        ("cost_per_month_usd", "-5", "Enter 0 or more dollars"),
    ],
)
def test_a_bad_limit_is_explained_and_nothing_is_stored(team, field, value, words):
    response = team.client("owner").post(team.url("settings/limits"), {field: value})
    assert response.status_code == 200
    assert words in response.content.decode() and 'aria-invalid="true"' in response.content.decode()
    assert not ProjectLimits.objects.exists() and not KeyLimits.objects.exists()


def test_a_member_reads_the_limits_and_cannot_change_them(team):
    ProjectLimits.objects.create(project=team.project, images_per_day=10)
    client = team.client("member")
    page = client.get(team.url("settings/limits")).content.decode()
    assert "Only owners and admins change the limits" in page and '<form class="panel limits-form"' not in page
    assert 'data-limit="images_per_day">10<' in page and 'data-limit="cost_per_month_usd">No limit<' in page
    refused = client.post(team.url("settings/limits"), {"images_per_day": "999"})
    assert refused.status_code == 403
    assert ProjectLimits.objects.get(project=team.project).images_per_day == 10


def test_saving_unchanged_limits_writes_nothing(team):
    response = team.client("owner").post(team.url("settings/limits"), {"images_per_day": "", "cost_per_month_usd": ""})
    assert response.status_code == 302 and not ProjectLimits.objects.exists()
