"""The promotion's sessions make each service's client once, per session."""

from __future__ import annotations

import pytest
from promote_model.sessions import Session, forget_own_sessions, own_session


def test_a_session_makes_each_services_client_once() -> None:
    session = Session(region_name="us-east-2", aws_access_key_id="a", aws_secret_access_key="b")
    s3 = session.client("s3")
    assert session.client("s3") is s3
    assert session.client("sagemaker") is not s3
    assert session.client("s3", region_name="eu-west-1") is not s3, "other arguments: another client"
    other = Session(region_name="us-east-2", aws_access_key_id="c", aws_secret_access_key="d")
    assert other.client("s3") is not s3, "never shared between identities"
    assert other.client("s3").meta.region_name == "us-east-2"


def test_the_functions_own_session_is_one_per_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm invocations reuse the first one's clients; another identity in the same process gets its own."""
    forget_own_sessions()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-function")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    first = own_session()
    assert own_session() is first and own_session().client("s3") is first.client("s3")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "prod-function")
    prod = own_session()
    assert prod is not first and prod.get_credentials().access_key == "prod-function"
    forget_own_sessions()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-function")
    assert own_session() is not first, "a new execution environment"
