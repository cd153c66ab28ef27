"""SMTP settings from a URL (password from the environment), and delivery to a real SMTP
server on loopback, also over STARTTLS with a login."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from rostersync_core.errors import ConfigError
from rostersync_core.notify import (
    NotificationError,
    SmtpSecurity,
    SmtpSettings,
    send_email,
    smtp_settings_from_env,
)
from tests.schedule.conftest import LoopbackController, Mailbox

PASSWORD = "correct-horse-smtp-9"


def message(to: str = "head@maple.example") -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = "[rostersync] test"
    mail["To"] = to
    mail.set_content("hello")
    return mail


def test_a_starttls_url_with_a_user_takes_the_password_from_the_environment() -> None:
    settings = SmtpSettings.from_url(
        "smtp://sync%40district.example@mail.district.example:2587?starttls=1"
        "&from=rostersync@district.example",
        env={"ROSTERSYNC_SMTP_PASSWORD": PASSWORD},
    )
    assert (settings.host, settings.port, settings.security) == (
        "mail.district.example", 2587, SmtpSecurity.STARTTLS,
    )
    assert (settings.user, settings.password) == ("sync@district.example", PASSWORD)
    assert settings.sender == "rostersync@district.example"
    assert PASSWORD not in repr(settings) and PASSWORD not in settings.describe()


def test_smtps_defaults_to_port_465_and_starttls_to_587() -> None:
    assert SmtpSettings.from_url("smtps://mail.example", env={}).port == 465
    assert SmtpSettings.from_url("smtps://mail.example", env={}).security is SmtpSecurity.SSL
    assert SmtpSettings.from_url("smtp://mail.example?starttls=1", env={}).port == 587
    assert SmtpSettings.from_url("smtp://mail.example", env={}).port == 25


def test_a_password_in_the_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="must not contain the password") as info:
        SmtpSettings.from_url(f"smtps://user:{PASSWORD}@mail.example", env={})
    assert PASSWORD not in str(info.value)


def test_a_login_over_an_unencrypted_connection_is_refused() -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        SmtpSettings.from_url("smtp://user@mail.example",
                              env={"ROSTERSYNC_SMTP_PASSWORD": PASSWORD})


def test_a_user_without_a_password_in_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a password") as info:
        SmtpSettings.from_url("smtps://user@mail.example", env={})
    assert info.value.field == "smtp_password"


def test_no_url_in_the_environment_means_no_email() -> None:
    assert smtp_settings_from_env({}) is None


def test_a_message_reaches_the_smtp_server(mailbox: Mailbox, smtp_settings: SmtpSettings) -> None:
    send_email(smtp_settings, message())

    assert mailbox.envelopes == [("rostersync@district.example", ("head@maple.example",))]
    assert mailbox.messages[0]["Subject"] == "[rostersync] test"


def test_an_unreachable_server_is_a_clear_notification_error() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=1, timeout=2)
    with pytest.raises(NotificationError, match=r"could not send e-mail through 127\.0\.0\.1:1"):
        send_email(settings, message())


# -- STARTTLS and login, against a real TLS server -----------------------------------------


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_file, key_file


class Logins:
    def __init__(self) -> None:
        self.users: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = auth_data.login == b"sync" and auth_data.password == PASSWORD.encode()
        if ok:
            self.users.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Mailbox, Logins, int, Path]]:
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    mailbox, logins = Mailbox(), Logins()
    controller = LoopbackController(
        mailbox, hostname="127.0.0.1", port=0, tls_context=context, require_starttls=True,
        authenticator=logins, auth_required=True,
    )
    controller.start()
    try:
        yield mailbox, logins, controller.port, cert_file
    finally:
        controller.stop()


def test_starttls_with_a_login_delivers_the_message(
    tls_server: tuple[Mailbox, Logins, int, Path],
) -> None:
    mailbox, logins, port, cert_file = tls_server
    settings = SmtpSettings.from_url(
        f"smtp://sync@127.0.0.1:{port}?starttls=1&cafile={cert_file}",
        env={"ROSTERSYNC_SMTP_PASSWORD": PASSWORD},
    )

    send_email(settings, message())

    assert logins.users == ["sync"]
    assert len(mailbox.messages) == 1


def test_a_wrong_smtp_password_is_named_without_showing_it(
    tls_server: tuple[Mailbox, Logins, int, Path],
) -> None:
    mailbox, _logins, port, cert_file = tls_server
    settings = SmtpSettings.from_url(
        f"smtp://sync@127.0.0.1:{port}?starttls=1&cafile={cert_file}",
        env={"ROSTERSYNC_SMTP_PASSWORD": "not-" + PASSWORD},
    )

    with pytest.raises(NotificationError, match="refused the login of 'sync'") as info:
        send_email(settings, message())
    assert PASSWORD not in str(info.value)
    assert mailbox.messages == []


def test_an_untrusted_certificate_is_refused(
    tls_server: tuple[Mailbox, Logins, int, Path],
) -> None:
    _mailbox, _logins, port, _cert = tls_server
    settings = SmtpSettings.from_url(f"smtp://sync@127.0.0.1:{port}?starttls=1",
                                     env={"ROSTERSYNC_SMTP_PASSWORD": PASSWORD})
    with pytest.raises(NotificationError, match="SSLCertVerificationError"):
        send_email(settings, message())


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtps_delivers_over_tls_from_the_first_byte(tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    mailbox, logins = Mailbox(), Logins()
    # aiosmtpd only knows STARTTLS as "TLS" for AUTH: the whole connection is TLS here.
    controller = LoopbackController(mailbox, hostname="127.0.0.1", port=0, ssl_context=context,
                                    authenticator=logins, auth_required=True,
                                    auth_require_tls=False)
    controller.start()
    try:
        settings = SmtpSettings.from_url(
            f"smtps://sync@127.0.0.1:{controller.port}?cafile={cert_file}",
            env={"ROSTERSYNC_SMTP_PASSWORD": PASSWORD},
        )
        send_email(settings, message())
    finally:
        controller.stop()

    assert logins.users == ["sync"]
    assert len(mailbox.messages) == 1
