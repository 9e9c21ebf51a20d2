"""Registration in a real browser: the form asks for no password, the emailed link opens the
page where it is chosen (a weak one refused on its field), and the account is created."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from govtech.accounts.models import User
from govtech.extensions import mail

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-passphrase-42"


def test_a_supplier_registers_and_chooses_the_password_from_the_emailed_link(browse, db):
    page = browse.page()
    page.goto("/accounts/register")
    browse.check(page, "01-register")
    expect(page.locator("input[type=password]")).to_have_count(0)
    # As a person does: by its label (USWDS hides the radio itself).
    page.locator("label[for='account_type-0']", has_text="startup or SME").click()
    page.get_by_label("Your full name").fill("Valentina Ortiz")
    page.get_by_label("Email").fill("valentina@example.org")
    page.get_by_label("Legal name of the company").fill("Datos Abiertos S.A.S.")
    page.get_by_label("Country of registration").select_option("CO")
    page.get_by_label("Tax id").fill("900.123.456-8")
    page.get_by_label("Size").select_option("micro")
    page.get_by_label("Year founded").fill("2021")
    with mail.record_messages() as sent:  # the live server sends in its own thread
        browse.follow(page, page.get_by_role("button", name="Create account"))
    expect(page.get_by_text("Check your email")).to_be_visible()
    [message] = sent
    link = re.search(r"/accounts/register/confirm/\S+", message.body).group(0)

    page.goto(link)
    browse.check(page, "02-choose-password")
    page.get_by_label("Password", exact=True).fill("short1")
    page.get_by_label("Repeat the password").fill("short1")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#password-error-1")).to_contain_text("at least 10 characters")
    # A refused form answers 400, which Chromium reports on the console: expected here.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]
    page.console_errors.clear()
    browse.check(page, "03-password-refused")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0  # nothing spent

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    browse.follow(page, page.get_by_role("button", name="Create my account"))
    expect(page.get_by_text("Your organisation's profile is ready")).to_be_visible()
    browse.check(page, "04-dashboard")
    browse.login(browse.page(), "valentina@example.org", PASSWORD)
