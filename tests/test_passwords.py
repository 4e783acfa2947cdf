"""Every way a password is set refuses one equal to, close to or holding the user name, with
Django's validators and the user's own name: create_user (the demo, scripts), `mhis
createsuperuser` prompted or not, `mhis changepassword`, and the admin's forms."""

import builtins

import pytest
from django.contrib.auth.management.commands import changepassword, createsuperuser
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from mhis.access.models import User
from mhis.access.services import create_user

pytestmark = pytest.mark.django_db

SIMILAR = "The password is too similar to the username."
CONTAINS = "The password contains the user name."
# (user name, password, why it is refused): the name itself, and the name padded out to the
# length the rules ask for, which Django's similarity check lets through on its own.
WEAK = [
    ("mae_sot_clinician", "mae_sot_clinician", SIMILAR),
    ("th_admin", "th_admin_password", CONTAINS),
    ("clerk", "Clerk-clerk-2025", CONTAINS),
    ("Somchai.J", "somchaij-2024!!", CONTAINS),
]
STRONG = "a-Strong-passphrase-42"


class Prompts:
    """Answers to a command's prompts (input and getpass), by the prompt's first word."""

    def __init__(self, monkeypatch, module, answers: dict[str, str], password: str):
        monkeypatch.setattr(builtins, "input", lambda prompt="": answers[prompt.split()[0]])
        monkeypatch.setattr(module.getpass, "getpass", lambda prompt="": password)


class Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize(("username", "password", "message"), WEAK)
def test_create_user_refuses_a_password_like_the_user_name(world, username, password, message):
    with pytest.raises(ValidationError) as refused:
        create_user(username=username, password=password, role="clinician", places=[world["TAK"]])
    assert message in refused.value.message_dict["password"]
    assert not User.objects.filter(username=username).exists()
    assert create_user(username=username, password=STRONG, role="clinician").check_password(STRONG)


@pytest.mark.parametrize(("username", "password", "message"), WEAK)
def test_createsuperuser_without_prompts_refuses_it(monkeypatch, username, password, message):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("createsuperuser", interactive=False, username=username, email="", verbosity=0)
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize(("username", "password", "message"), WEAK)
def test_createsuperuser_refuses_it_even_when_told_to_bypass_the_check(
    monkeypatch, capsys, username, password, message
):
    # Django's prompt offers "Bypass password validation and create user anyway? [y/N]".
    Prompts(monkeypatch, createsuperuser, {"Username:": username, "Email": "", "Bypass": "y"},
            password)  # fmt: skip
    with pytest.raises(CommandError, match=message):
        call_command("createsuperuser", interactive=True, stdin=Terminal(), verbosity=0)
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize(("username", "password", "message"), WEAK)
def test_changepassword_refuses_it(monkeypatch, capsys, username, password, message):
    user = User.objects.create_user(username=username, password=STRONG)
    Prompts(monkeypatch, changepassword, {}, password)
    with pytest.raises(CommandError, match="after 3 attempts"):
        call_command("changepassword", username)
    assert message in capsys.readouterr().err
    user.refresh_from_db()
    assert user.check_password(STRONG)


@pytest.fixture
def superuser(client):
    user = User.objects.create_superuser(username="operator", email="", password=STRONG)
    client.force_login(user)
    return user


@pytest.mark.parametrize(("username", "password", "message"), WEAK)
def test_the_admin_refuses_it_for_a_new_user_and_a_new_password(
    client, superuser, username, password, message
):
    page = client.post("/admin/access/user/add/", {"username": username, "usable_password": "true",
                                                   "password1": password, "password2": password})  # fmt: skip
    assert page.status_code == 200 and message in page.content.decode()
    assert not User.objects.filter(username=username).exists()

    user = User.objects.create_user(username=username, password=STRONG)
    page = client.post(f"/admin/access/user/{user.pk}/password/",
                       {"password1": password, "password2": password})  # fmt: skip
    assert page.status_code == 200 and message in page.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_the_admin_refuses_it_for_ones_own_password(client, superuser):
    page = client.post("/admin/password_change/", {"old_password": STRONG,
                       "new_password1": "operator-operator-1", "new_password2": "operator-operator-1"})  # fmt: skip
    assert page.status_code == 200 and CONTAINS in page.content.decode()
    superuser.refresh_from_db()
    assert superuser.check_password(STRONG)
