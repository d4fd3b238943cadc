"""The promotion's sessions make each service's client once, per session."""

from __future__ import annotations

from promote_model.sessions import Session


def test_a_session_makes_each_services_client_once() -> None:
    session = Session(region_name="us-east-2", aws_access_key_id="a", aws_secret_access_key="b")
    s3 = session.client("s3")
    assert session.client("s3") is s3
    assert session.client("sagemaker") is not s3
    assert session.client("s3", region_name="eu-west-1") is not s3, "other arguments: another client"
    other = Session(region_name="us-east-2", aws_access_key_id="c", aws_secret_access_key="d")
    assert other.client("s3") is not s3, "never shared between identities"
    assert other.client("s3").meta.region_name == "us-east-2"
