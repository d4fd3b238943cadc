"""The previous account as a promotion reads it: through that account's read-only reader role, the package, its
promotion stack's outputs, its seal and its pipeline runs, each read once. Nothing here writes."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from promote_model.aws import assumed, outputs_of
from promote_model.contract import SOURCE_OUTPUTS, LedgerOutcome, Output
from promote_model.errors import PromotionError, error_text
from promote_model.events import Approval
from promote_model.ledger import Ledger
from promote_model.seal import Sealed, from_record
from promote_model.sessions import Session
from promote_model.settings import Source


def assume(own: boto3.session.Session, role_arn: str, session_name: str) -> boto3.session.Session:
    """A session in the previous account through its read-only reader role."""
    try:
        return assumed(own.client("sts"), role_arn, session_name, own.region_name, session_class=Session)
    except ClientError as error:
        raise PromotionError("assume-reader", f"{role_arn}: {error_text(error)}") from None


class Upstream:
    """One approval's source account: the package approved there, and what that account sealed and recorded."""

    def __init__(self, approval: Approval, origin: Source, own: boto3.session.Session) -> None:
        self.approval = approval
        self.origin = origin
        self.own = own
        self._session: boto3.session.Session | None = None
        self._outputs: dict[str, str] | None = None
        self._executions: dict[str, dict[str, Any]] = {}
        self.seal_record: dict[str, Any] | None = None
        self.seal: dict[str, Sealed] = {}

    def assume_reader(self, stage: str) -> boto3.session.Session:
        """The previous account's reader role: it may read the package, its group and its seal, nothing else."""
        self._session = assume(self.own, self.origin.reader_role_arn, f"roadway-{stage}-pulls-v{self.approval.version}")
        return self._session

    @property
    def session(self) -> boto3.session.Session:
        if self._session is None:
            raise RuntimeError("assume_reader() first")
        return self._session

    def package(self) -> dict[str, Any]:
        """The package, as the source registry holds it now: approved, with a model."""
        try:
            package = self.session.client("sagemaker").describe_model_package(
                ModelPackageName=self.approval.package_arn
            )
        except ClientError as error:
            raise PromotionError("read-source", error_text(error)) from None
        if package.get("ModelApprovalStatus") != "Approved":
            raise PromotionError(
                "read-source", f"{self.approval.package_arn} is {package.get('ModelApprovalStatus')}, not Approved"
            )
        models = [c.get("ModelDataUrl") for c in package.get("InferenceSpecification", {}).get("Containers", [])]
        if not any(models):
            raise PromotionError("read-source", f"{self.approval.package_arn} references no model artifact")
        return dict(package)

    def outputs(self) -> dict[str, str]:
        """The source promotion stack's outputs: where its ledger is, and where its evidence may lie."""
        if self._outputs is None:
            try:
                (stack,) = self.session.client("cloudformation").describe_stacks(StackName=self.origin.promotion_stack)[
                    "Stacks"
                ]
            except ClientError as error:
                raise PromotionError("read-source", f"{self.origin.promotion_stack}: {error_text(error)}") from None
            self._outputs = outputs_of(stack)
        missing = [k for k in SOURCE_OUTPUTS if not self._outputs.get(k)]
        if missing:
            raise PromotionError("read-source", f"{self.origin.promotion_stack} has no {', '.join(missing)} output")
        return self._outputs

    def execution(self, arn: str) -> dict[str, Any]:
        """A source pipeline execution, described once per promotion (four eyes and authorship both ask)."""
        if arn not in self._executions:
            try:
                described = self.session.client("sagemaker").describe_pipeline_execution(PipelineExecutionArn=arn)
            except ClientError as error:
                raise PromotionError("identity", f"pipeline execution {arn}: {error_text(error)}") from None
            self._executions[arn] = described
        return self._executions[arn]

    def read_seal(self) -> str:
        """The seal the source took at registration, in its own ledger (with the author, for packages its promotion
        registered): "" when there is one, why not when the source refused to seal the package. Everything after
        reads and copies exactly the sealed versions."""
        ledger = Ledger(self.session.client("dynamodb"), self.outputs()[Output.LEDGER_TABLE])
        try:
            record = ledger.get(self.approval.package_arn, LedgerOutcome.SEALED)
            refused = None if record is not None else ledger.get(self.approval.package_arn, LedgerOutcome.SEAL_REFUSED)
        except ClientError as error:
            raise PromotionError("seal", f"reading the seal: {error_text(error)}") from None
        if refused is not None:
            return f"{self.origin.stage} refused to seal it at registration: {refused.get('reason') or 'no reason'}"
        if record is None:
            # Registration and approval events can arrive out of order: fail (and retry), never promote unsealed.
            raise PromotionError("seal", f"{self.approval.package_arn} has no seal yet (sealed at registration)")
        self.seal_record = record
        self.seal = from_record(record)
        return ""

    @property
    def sealed_author(self) -> str | None:
        """The author the source's seal names (None before the seal is read); "" for a first-stage seal."""
        return str(self.seal_record.get("created_by") or "") if self.seal_record else None

    def version(self, uri: str) -> str | None:
        """The sealed S3 version of an artifact (None when unversioned or not sealed)."""
        sealed = self.seal.get(uri)
        return sealed.version_id if sealed and sealed.version_id != "null" else None
