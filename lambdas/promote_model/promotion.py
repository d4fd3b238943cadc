"""Take one package approved in the previous account into this one: copy, register, roll out; all or none.

This account pulls; the previous one only announces. Its approval event reaches this account's bus, and this
account's function reads the package through a read-only reader role of the previous account (registry, seal),
copies the sealed artifact versions with its own credentials (the previous account's bucket and key policies
grant this function's role read, nothing else), and changes only what it owns: its bucket, its registry, its
serving stack, its ledger. No account holds a right to write another's.

Idempotency (EventBridge delivers at least once, Lambda retries) rests on deterministic state, not a lock:
- artifacts are copied to keys derived from the source package, so a retry overwrites the same objects;
- the target package's description carries a marker naming the source package, so a retry finds a package an
  earlier attempt registered with one list call, and registers no second one;
- the stack update is skipped when the stack already serves that package.
Events reach the function through a FIFO work queue, one message group per project (the model promoter's
construct), so two deliveries of one project's events never interleave.

All-or-nothing: when a step fails, what this attempt created in the target (the package, copied objects) is
removed before the error is raised, so the target registry never holds a package whose rollout failed.

Guardrails: before anything is copied, the package passes the named checks of checks.py in their order, then the
metric gate (gate.py); every artifact's SHA-256 is taken at the source and checked on the copy before registration
(digests.py); every attempt is a record in the ledger (ledger.py), written only after the outcome is final.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from promote_model.artifacts import (
    artifact_name,
    rewrite_uris,
    target_key,
)
from promote_model.aws import S3Object, outputs_of, parameters_of
from promote_model.bias import Figures, figures, refusals, report_uri, shap_summary
from promote_model.checks import Case, first_refusal
from promote_model.contract import (
    PROMOTED_MARKER,
    PROMOTED_PREFIX,
    LedgerOutcome,
    Lineage,
    Output,
    Parameter,
)
from promote_model.digests import sha256_of
from promote_model.errors import PromotionError, error_text
from promote_model.events import Approval
from promote_model.gate import Gate, UnreadableGate, Verdict, judge, rmse_log, statistics_uri
from promote_model.ledger import Ledger, iso
from promote_model.observe import log
from promote_model.seal import LINEAGE_PREFIX, Sealed, artifacts, fingerprint
from promote_model.serving import serve
from promote_model.settings import Settings, Source
from promote_model.upstream import Upstream

# Fields of the source package carried over as they are (after URIs are rewritten).
# SamplePayloadUrl is not carried: it names an object of the source account nobody seals or copies.
_CARRIED = ("InferenceSpecification", "ModelMetrics", "DriftCheckBaselines", "Domain", "Task")
# What of a container is carried: what serves (image and its digest, the rewritten model, the environment the
# package check allowed) and what describes. DescribeModelPackage returns more, naming the source's object
# (ModelDataETag, ModelDataSource with the source's S3 URI and ETag, AdditionalS3DataSource): the copy is another
# object, whose ETag a multipart copy changes, so those stay behind.
_CONTAINER_FIELDS = (
    "ContainerHostname",
    "Image",
    "ImageDigest",
    "ModelDataUrl",
    "Environment",
    "Framework",
    "FrameworkVersion",
    "NearestModelName",
)


def carried(package: dict[str, Any]) -> dict[str, Any]:
    """The source package's fields a target's copy registers with, before its URIs are rewritten."""
    fields = {k: package[k] for k in _CARRIED if package.get(k)}
    if "InferenceSpecification" in fields:
        spec = fields["InferenceSpecification"]
        containers = [{k: c[k] for k in _CONTAINER_FIELDS if k in c} for c in spec.get("Containers", [])]
        fields["InferenceSpecification"] = {**spec, "Containers": containers}
    return fields


@dataclass
class Outcome:
    status: str  # the ledger's "promoted" or "refused", or "already-promoted" (a retry that found it done)
    source_arn: str
    target_arn: str
    stack_updated: bool
    copied: list[str] = field(default_factory=list)
    reason: str = ""


class Promotion:
    """One approval's promotion into this account: its own session, and a read-only one in the source."""

    def __init__(self, approval: Approval, settings: Settings, own: boto3.session.Session) -> None:
        if settings.source is None:
            raise PromotionError("configuration", f"{settings.stage} receives from no stage")
        self.approval = approval
        self.settings = settings
        self.origin: Source = settings.source
        self.own = own
        self.upstream = Upstream(approval, settings.source, own)
        self.case = Case(approval, settings, self.upstream, own)
        self._copies: dict[str, Sealed] = {}  # what this attempt copied: the seal of the package it registers
        self._created_package: str | None = None
        self._copied: list[S3Object] = []
        self.digests: dict[str, str] = {}
        self.verdict: Verdict | None = None
        self.ledger = Ledger(own.client("dynamodb"), settings.ledger_table)
        self._done_before = False  # this stage recorded the source promoted already: nothing to do or record

    @property
    def approved_by(self) -> str:
        identities = self.case.identities
        return (identities.approver if identities else None) or "unknown"

    @property
    def created_by(self) -> str:
        identities = self.case.identities
        return (identities.author if identities else None) or ""

    # Step 3: where this account keeps artifacts, and what its serving stack serves.
    def read_serving_stack(self) -> dict[str, Any]:
        try:
            (stack,) = self.own.client("cloudformation").describe_stacks(StackName=self.settings.serving_stack)[
                "Stacks"
            ]
        except ClientError as error:
            raise PromotionError("read-serving-stack", error_text(error)) from None
        if Output.ARTIFACT_BUCKET not in outputs_of(stack):
            raise PromotionError(
                "read-serving-stack", f"{self.settings.serving_stack} has no {Output.ARTIFACT_BUCKET} output"
            )
        return stack

    # Step 3a: a source this stage promoted once is done. Redelivered, redriven or re-toggled upstream, its
    # approval never moves serving again: not back over a break-glass withdrawal, not back past a later version.
    def promoted_before(self) -> dict[str, Any] | None:
        try:
            return self.ledger.get(self.approval.package_arn, LedgerOutcome.PROMOTED)
        except ClientError as error:
            raise PromotionError("ledger", f"reading this stage's ledger: {error_text(error)}") from None

    # Step 3b: an earlier delivery registered the package but never recorded it promoted. If the stack serves it,
    # only the record is missing (the rollout stood: a redrive after a ledger failure). Otherwise the stack never
    # received it, or a withdrawal took it away: it is checked like a first promotion.
    def finish_earlier(self, package: dict[str, Any], stack: dict[str, Any], existing: str, bucket: str) -> Outcome:
        log("already-registered", target=existing)
        described = self._adopt(existing, bucket)
        if parameters_of(stack).get(Parameter.MODEL_PACKAGE) == existing:
            self._created_package = None  # it is served: whatever happens now, it stays
            self._copied = []
            self.verdict = self._recorded_verdict(described)
            return Outcome("already-promoted", self.approval.package_arn, existing, False)
        if described.get("ModelApprovalStatus") == "Rejected":
            self._created_package, self._copied = None, []  # a withdrawn package stays, as the record of it
            return self.refuse(f"{existing} was withdrawn (Rejected) in {self.settings.stage}; a withdrawal stands")
        verdict = self.check_gate(package, stack)
        if not verdict.passed:
            return self.refuse(verdict.reason)
        updated = self.update_stack(stack, existing, described.get("DriftCheckBaselines"))
        if updated:
            self.page(
                f"Roadway: {self.settings.group} v{self.approval.version} served in {self.settings.stage} by a retry",
                f"{existing} (from {self.approval.package_arn}, approved by {self.approved_by}) is now served by "
                f"{self.settings.serving_stack}: an earlier delivery registered it and never finished; this one "
                "checked it again (status, four eyes, seal, gate) and rolled it out.",
            )
        return Outcome("already-promoted", self.approval.package_arn, existing, updated)

    def _recorded_verdict(self, described: dict[str, Any]) -> Verdict | None:
        value = (described.get("CustomerMetadataProperties") or {}).get(Lineage.RMSE_LOG)
        try:
            return Verdict(True, float(value), None, ()) if value is not None else None
        except ValueError:
            return None

    def find_promoted(self) -> str | None:
        """A package an earlier delivery of this approval already registered in the target."""
        marker = PROMOTED_MARKER + self.approval.package_arn
        client = self.own.client("sagemaker")
        try:
            pages = client.get_paginator("list_model_packages").paginate(
                ModelPackageGroupName=self.settings.group, SortBy="CreationTime", SortOrder="Descending"
            )
            for page in pages:
                for summary in page["ModelPackageSummaryList"]:
                    if summary.get("ModelPackageDescription") == marker:
                        return str(summary["ModelPackageArn"])
        except ClientError as error:
            raise PromotionError("read-target-registry", error_text(error)) from None
        return None

    # Step 4: the metric gate, before anything is copied.
    def check_gate(self, package: dict[str, Any], stack: dict[str, Any]) -> Verdict:
        s3 = self.own.client("s3")
        candidate = self._metric(s3, statistics_uri(package), "candidate", sealed=True)
        try:
            gate = Gate.from_output(outputs_of(stack).get(Output.GATE))  # the project's gate in this stage
        except UnreadableGate as error:
            raise PromotionError("gate", f"{self.settings.serving_stack}: {error}") from None
        served_arn = parameters_of(stack).get(Parameter.MODEL_PACKAGE, "")
        served = None
        if served_arn and gate.max_regression_pct is not None:
            try:
                described = self.own.client("sagemaker").describe_model_package(ModelPackageName=served_arn)
            except ClientError as error:
                raise PromotionError("gate", f"served package {served_arn}: {error_text(error)}") from None
            served = self._metric(s3, statistics_uri(described), "served")
        figures, evidence = self._evidence(s3, package, gate)
        self.verdict = judge(gate, candidate, served, serving=bool(served_arn), evidence=evidence, bias=figures)
        log("gate", passed=self.verdict.passed, reason=self.verdict.reason, **self.verdict.as_record())
        return self.verdict

    def _evidence(self, s3: Any, package: dict[str, Any], gate: Gate) -> tuple[Figures | None, tuple[str, ...]]:
        """The sealed bias and explainability reports, judged as ``gate`` asks; read only when it asks."""
        if not gate.judges_evidence:
            return None, ()
        bias_uri, explainability_uri = report_uri(package, "Bias"), report_uri(package, "Explainability")
        bias_report = self._read(s3, bias_uri, "bias report", sealed=True)
        explanations = self._read(s3, explainability_uri, "explainability report", sealed=True)
        found = figures(bias_report) if bias_report is not None else None
        readable = shap_summary(explanations) is not None if explanations is not None else None
        return found, tuple(refusals(gate, found, bias_uri is not None, readable))

    def _metric(self, s3: Any, uri: str | None, which: str, *, sealed: bool = False) -> float | None:
        body = self._read(s3, uri, f"{which} metrics", sealed=sealed)
        return None if body is None else rmse_log(body)

    def _read(self, s3: Any, uri: str | None, what: str, *, sealed: bool) -> bytes | None:
        """One of a package's artifacts (``sealed``: the version sealed at registration); None when it names none
        or an unparsable location (an empty document: what it should show is missing)."""
        if uri is None:
            return None
        version = self.upstream.version(uri) if sealed else None
        try:
            source = S3Object.parse(uri)
        except ValueError:
            return b""
        extra = {"VersionId": version} if version else {}
        try:
            return bytes(s3.get_object(Bucket=source.bucket, Key=source.key, **extra)["Body"].read())
        except ClientError as error:
            raise PromotionError("gate", f"{what} {uri}: {error_text(error)}") from None

    def refuse(self, reason: str) -> Outcome:
        """Nothing was copied or registered: record it, and tell the people who watch this stage."""
        if not self._record(LedgerOutcome.REFUSED, reason=reason):
            log("already-refused", source=self.approval.package_arn, reason=reason)
            return Outcome(LedgerOutcome.REFUSED, self.approval.package_arn, "", False, reason=reason)
        subject = f"Roadway: {self.settings.group} v{self.approval.version} refused for {self.settings.stage}"
        message = (
            f"{self.approval.package_arn} (approved by {self.approved_by}) was not promoted to "
            f"{self.settings.stage}: {reason}. Nothing was copied or registered."
        )
        self.page(subject, message)
        log(LedgerOutcome.REFUSED, source=self.approval.package_arn, reason=reason)
        return Outcome(LedgerOutcome.REFUSED, self.approval.package_arn, "", False, reason=reason)

    def page(self, subject: str, message: str) -> None:
        """Tell the people who watch this stage (its alarm topic)."""
        try:
            self.own.client("sns").publish(
                TopicArn=self.settings.alarm_topic_arn, Subject=subject[:100], Message=message
            )
        except ClientError as error:
            raise PromotionError("notify", error_text(error)) from None

    def _record(self, outcome: str, **fields: Any) -> bool:
        target_arn = fields.pop("target_arn", "") or ""
        return self.ledger.record(
            self.approval.package_arn,
            outcome,
            source_stage=self.origin.stage,
            target_stage=self.settings.stage,
            source_version=str(self.approval.version),
            approved_by=self.approved_by,
            created_by=self.created_by,
            target_stack=self.settings.serving_stack,
            target_arn=target_arn,
            target_version=target_arn.rsplit("/", 1)[-1] if target_arn else "",
            digests=self.digests,
            metrics=self.verdict.as_record() if self.verdict else {},
            **fields,
        )

    # Step 5: copies, server-side, multipart above the threshold; the Lambda never holds the bytes.
    def copy_artifacts(self, package: dict[str, Any], bucket: str) -> dict[str, str]:
        s3 = self.own.client("s3")
        config = TransferConfig(
            multipart_threshold=self.settings.multipart_threshold,
            multipart_chunksize=max(self.settings.multipart_threshold, 5 * 1024 * 1024),  # S3's smallest part
            max_concurrency=4,
        )
        mapping: dict[str, str] = {}
        for uri in artifacts(package):  # the seal's own list: what is copied is what was sealed
            try:
                source = S3Object.parse(uri)
            except ValueError as error:
                raise PromotionError("copy", str(error)) from None
            copy = S3Object(
                bucket, target_key(source, self.approval.account, self.settings.group, self.approval.version)
            )
            name = artifact_name(uri)
            version = self.upstream.version(uri)
            try:
                digest = sha256_of(s3, source.bucket, source.key, version)
            except ClientError as error:
                raise PromotionError("digest", f"{uri}: {error_text(error)}") from None
            sealed = self.upstream.seal.get(uri)
            if sealed is not None and sealed.sha256 != digest:
                raise PromotionError("verify", f"{uri}: sha256 {digest}, sealed at registration as {sealed.sha256}")
            recorded = (package.get("CustomerMetadataProperties") or {}).get(Lineage.DIGEST + name)
            if recorded and recorded != digest:
                raise PromotionError("verify", f"{uri}: sha256 {digest} differs from {recorded} recorded upstream")
            try:
                self.copy_object(s3, source, copy, config, version)
            except ClientError as error:
                raise PromotionError("copy", f"{uri}: {error_text(error)}") from None
            self._copied.append(copy)
            try:
                copied = sha256_of(s3, copy.bucket, copy.key)
            except ClientError as error:
                raise PromotionError("verify", f"{copy.uri}: {error_text(error)}") from None
            if copied != digest:
                raise PromotionError("verify", f"{copy.uri}: sha256 {copied} after the copy, {digest} at the source")
            try:
                version = s3.head_object(Bucket=copy.bucket, Key=copy.key).get("VersionId") or "null"
            except ClientError as error:
                raise PromotionError("verify", f"{copy.uri}: {error_text(error)}") from None
            self._copies[copy.uri] = Sealed(copy.uri, version, digest)
            self.digests[name] = digest
            mapping[uri] = copy.uri
            log("copied", source=uri, target=copy.uri, sha256=digest)
        return mapping

    def copy_object(
        self, s3: Any, source: S3Object, copy: S3Object, config: TransferConfig, version: str | None = None
    ) -> None:
        origin = {"Bucket": source.bucket, "Key": source.key, **({"VersionId": version} if version else {})}
        s3.copy(origin, copy.bucket, copy.key, Config=config)

    # Step 6: a real package of the target's registry, with its lineage.
    def register(self, package: dict[str, Any], mapping: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
        """The package registered here, and its drift baselines as registered (the copies)."""
        spec = rewrite_uris(carried(package), lambda uri: mapping[uri])
        origin = package.get("CustomerMetadataProperties", {}) or {}
        # Roadway's keys are Roadway's to write: of the source's, only those its seal vouches for travel (the
        # training data its author named, and the origin a promoter of the road registered it with).
        upstream = bool(self.upstream.sealed_author)
        kept = {Lineage.TRAINING_DATA, *([Lineage.ORIGIN_ARN] if upstream else [])}
        lineage = {
            **{k: v for k, v in origin.items() if not k.startswith(LINEAGE_PREFIX) or k in kept},
            Lineage.ORIGIN_ARN: origin.get(Lineage.ORIGIN_ARN, self.approval.package_arn)
            if upstream
            else self.approval.package_arn,
            Lineage.SOURCE_ARN: self.approval.package_arn,
            Lineage.SOURCE_ACCOUNT: self.approval.account,
            Lineage.SOURCE_STAGE: self.origin.stage,
            Lineage.SOURCE_VERSION: str(self.approval.version),
            Lineage.APPROVED_BY: self.approved_by,
            Lineage.CREATED_BY: self.created_by or "unknown",
            Lineage.APPROVED_AT: iso(package.get("LastModifiedTime")),
            **{Lineage.DIGEST + name: digest for name, digest in self.digests.items()},
        }
        if self.verdict is not None and self.verdict.candidate is not None:
            lineage[Lineage.RMSE_LOG] = f"{self.verdict.candidate:.6f}"
        request: dict[str, Any] = {
            "ModelPackageGroupName": self.settings.group,
            "ModelPackageDescription": PROMOTED_MARKER + self.approval.package_arn,
            # SageMaker's own idempotency token: the same source package never registers twice.
            "ClientToken": str(uuid.uuid5(uuid.NAMESPACE_URL, self.approval.package_arn)),
            "ModelApprovalStatus": self.settings.arrival_status,
            "CustomerMetadataProperties": lineage,
            **spec,
        }
        try:
            arn = str(self.own.client("sagemaker").create_model_package(**request)["ModelPackageArn"])
        except ClientError as error:
            raise PromotionError("register", error_text(error)) from None
        self._created_package = arn
        log("registered", target=arn, status=self.settings.arrival_status)
        self.seal_registered(arn)
        return arn, spec.get("DriftCheckBaselines")

    def seal_registered(self, arn: str) -> None:
        """Seal the package registered here at once, with its author: nobody can touch its copies or its lineage
        before the seal exists (the registration event's own seal then finds it sealed)."""
        try:
            # What SageMaker says it registered (it may add an image digest), as the registration event's seal does.
            registered = self.own.client("sagemaker").describe_model_package(ModelPackageName=arn)
            self.ledger.record(
                arn,
                LedgerOutcome.SEALED,
                source_stage=self.settings.stage,
                source_version=arn.rsplit("/", 1)[-1],
                seal={uri: sealed.as_record() for uri, sealed in self._copies.items()},
                fingerprint=fingerprint(registered),
                created_by=self.created_by,
            )
        except ClientError as error:
            raise PromotionError("seal", f"sealing {arn}: {error_text(error)}") from None

    # Step 7: the serving stack's parameters; CloudFormation rolls the endpoint.
    def update_stack(self, stack: dict[str, Any], package_arn: str, baselines: dict[str, Any] | None) -> bool:
        return serve(self.own, self.settings, stack, package_arn, baselines)

    def _adopt(self, package_arn: str, bucket: str) -> dict[str, Any]:
        """Take over a package an earlier delivery registered and never saw served (no ``promoted`` record): its
        undo is this attempt's, like a package this attempt registered."""
        try:
            described = self.own.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
        except ClientError as error:
            raise PromotionError("read-target-registry", error_text(error)) from None
        lineage = described.get("CustomerMetadataProperties") or {}
        self.digests = {k[len(Lineage.DIGEST) :]: v for k, v in lineage.items() if k.startswith(Lineage.DIGEST)}
        self._created_package = package_arn
        self._copied = [
            S3Object.parse(uri) for uri in artifacts(described) if uri.startswith(f"s3://{bucket}/{PROMOTED_PREFIX}/")
        ]
        return described

    def undo(self) -> None:
        """Remove what this attempt created in the target; best effort, every failure logged."""
        target = self.own
        if self._created_package:
            try:
                target.client("sagemaker").delete_model_package(ModelPackageName=self._created_package)
                log("undone", removed=self._created_package)
            except Exception as error:
                log("undo-failed", package=self._created_package, reason=error_text(error))
        s3 = target.client("s3")
        for copy in self._copied:
            try:
                s3.delete_object(Bucket=copy.bucket, Key=copy.key)
            except Exception as error:
                log("undo-failed", object=copy.uri, reason=error_text(error))
        if self._copied:
            log("undone", objects=len(self._copied))

    def run(self) -> Outcome:
        try:
            outcome = self._attempt()
        except Exception as error:
            step = error.step if isinstance(error, PromotionError) else "unexpected"
            log("failed", step=step, reason=str(error), source=self.approval.package_arn)
            self.undo()
            self._record_failure(step, str(error))
            raise
        if outcome.status != LedgerOutcome.REFUSED and not self._done_before:
            # Written once the outcome is final. The rollout stands whatever happens here: if this write fails,
            # the error reaches the dead-letter queue and a retry finds the package, the stack already serving
            # it, and writes the record.
            try:
                self._record(LedgerOutcome.PROMOTED, target_arn=outcome.target_arn)
            except Exception as error:
                log("ledger-failed", step="ledger", reason=error_text(error), target=outcome.target_arn)
                raise PromotionError(
                    "ledger", f"{outcome.target_arn} is served, its record failed: {error_text(error)}"
                ) from None
        return outcome

    def _attempt(self) -> Outcome:
        done = self.promoted_before()
        if done is not None:
            self._done_before = True
            log("already-promoted", target=done.get("target_arn"), serving="unchanged")
            return Outcome("already-promoted", self.approval.package_arn, str(done.get("target_arn") or ""), False)
        self.upstream.assume_reader(self.settings.stage)
        package = self.upstream.package()
        refused = first_refusal(self.case, package)
        if refused:
            return self.refuse(refused)
        stack = self.read_serving_stack()
        existing = self.find_promoted()
        bucket = outputs_of(stack)[Output.ARTIFACT_BUCKET]
        if existing is not None:
            return self.finish_earlier(package, stack, existing, bucket)
        verdict = self.check_gate(package, stack)
        if not verdict.passed:
            return self.refuse(verdict.reason)
        mapping = self.copy_artifacts(package, bucket)
        arn, baselines = self.register(package, mapping)
        updated = self.update_stack(stack, arn, baselines)
        return Outcome(LedgerOutcome.PROMOTED, self.approval.package_arn, arn, updated, sorted(mapping.values()))

    def _record_failure(self, step: str, reason: str) -> None:
        try:
            self._record(LedgerOutcome.FAILED, step=step, reason=reason)
        except Exception as error:  # the failure itself is what must reach the dead-letter queue
            log("ledger-failed", reason=error_text(error))


def promote(approval: Approval, settings: Settings, session_factory: Callable[[], boto3.session.Session]) -> Outcome:
    return Promotion(approval, settings, session_factory()).run()
