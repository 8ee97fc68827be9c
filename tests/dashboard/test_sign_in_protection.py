"""Guessing passwords stops working: after repeated failures an account, or an address, is paused.

Before, 40 wrong passwords in a row all answered 200 and the 41st, right one signed in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.dashboard.conftest import PASSWORD

LOGIN = "/accounts/login"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 10
    return 10


def _sign_in(client: Client, username: str, password: str, *, url: str = LOGIN, address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_even_the_right_one_is_refused_with_a_clear_page(team, limit):
    client = Client()
    answers = [_sign_in(client, "member@example.com", f"guess {n}").status_code for n in range(30)]
    assert answers[: limit - 1] == [200] * (limit - 1)  # the form again, with its error
    assert set(answers[limit:]) == {429}

    response = _sign_in(client, "member@example.com", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    page = response.content.decode()
    assert "Too many failed sign-ins" in page and "Try again in 15 minutes" in page
    assert int(response["Retry-After"]) == 15 * 60


def test_the_lock_is_per_account_whatever_the_spelling_of_its_email(team, limit):
    for n in range(limit):
        spelling = ["member@example.com", "MEMBER@example.com", " Member@Example.com "][n % 3]
        _sign_in(Client(), spelling, "wrong", address=f"10.0.1.{n}")  # a new address every time
    assert _sign_in(Client(), "member@example.com", PASSWORD, address="10.0.2.1").status_code == 429
    # Someone else's account, from an address with no failures, is not affected.
    other = Client()
    assert _sign_in(other, "owner@example.com", PASSWORD, address="10.0.2.2").status_code == 302
    assert _signed_in(other)


def test_the_lock_is_per_address_whatever_the_accounts_tried(team, limit):
    for n in range(limit):
        _sign_in(Client(), f"nobody{n}@example.com", "wrong", address="10.9.9.9")
    refused = Client()
    assert _sign_in(refused, "owner@example.com", PASSWORD, address="10.9.9.9").status_code == 429
    assert not _signed_in(refused)
    elsewhere = Client()
    assert _sign_in(elsewhere, "owner@example.com", PASSWORD, address="10.9.9.10").status_code == 302


def test_the_pause_ends_after_the_cool_off(team, limit):
    for _ in range(limit):
        _sign_in(Client(), "member@example.com", "wrong")
    assert _sign_in(Client(), "member@example.com", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    client = Client()
    assert _sign_in(client, "member@example.com", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_a_success_before_the_limit_starts_the_count_again(team, limit):
    for _ in range(limit - 1):
        _sign_in(Client(), "member@example.com", "wrong")
    assert _sign_in(Client(), "member@example.com", PASSWORD).status_code == 302
    for _ in range(limit - 1):
        _sign_in(Client(), "member@example.com", "wrong")
    assert _sign_in(Client(), "member@example.com", PASSWORD).status_code == 302


def test_the_admin_sign_in_counts_and_locks_the_same_way(team, limit, django_user_model):
    django_user_model.objects.create_superuser("root@example.com", "root@example.com", PASSWORD)
    for n in range(limit):
        _sign_in(Client(), "root@example.com", f"guess {n}", url=ADMIN_LOGIN)
    client = Client()
    assert _sign_in(client, "root@example.com", PASSWORD, url=ADMIN_LOGIN).status_code == 429
    assert not _signed_in(client)
    # and the dashboard's sign-in knows the same account is paused
    assert _sign_in(Client(), "root@example.com", PASSWORD).status_code == 429


@pytest.mark.parametrize("weak", ["12345678", "password123", "87654321", "qwertyuiop"])
def test_weak_passwords_are_refused_by_the_validators(weak):
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak)


def test_a_password_like_the_account_is_refused_and_a_long_unusual_one_is_not(django_user_model):
    user = django_user_model(username="maria.gonzalez@example.com", email="maria.gonzalez@example.com")
    with pytest.raises(ValidationError):
        password_validation.validate_password("maria.gonzalez", user)
    assert password_validation.validate_password("correct horse battery staple", user) is None


def _invitation_link(team) -> str:
    from designs.models import Membership
    from designs.services.invitations import invitation_create

    owner = Membership.objects.get(project=team.project, user=team.owner)
    issued = invitation_create(project=team.project, email="new@example.com", role="member", actor=owner)
    return f"/accounts/invitations/{issued.token}"


def test_guessing_invitation_tokens_pauses_that_address_and_only_that_address(team, limit):
    link = _invitation_link(team)
    guesses = [Client().get(f"/accounts/invitations/made-up-{n}", REMOTE_ADDR="10.5.5.5") for n in range(limit)]
    assert [g.status_code for g in guesses] == [404] * (limit - 1) + [429]
    assert Client().get(link, REMOTE_ADDR="10.5.5.5").status_code == 429
    assert _sign_in(Client(), "owner@example.com", PASSWORD, address="10.5.5.5").status_code == 429
    # The real link still works for everyone else: guesses name no account, so they lock no account.
    page = Client().get(link, REMOTE_ADDR="10.5.5.6")
    assert page.status_code == 200 and b"new@example.com" in page.content


def test_guesses_spread_over_many_addresses_lock_no_link(team, limit):
    link = _invitation_link(team)
    for n in range(limit * 3):
        Client().get(f"/accounts/invitations/made-up-{n}", REMOTE_ADDR=f"10.6.{n // 250}.{n % 250}")
    assert Client().get(link, REMOTE_ADDR="10.7.0.1").status_code == 200
