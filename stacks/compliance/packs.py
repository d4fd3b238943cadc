"""The rule packs Roadway answers to, by the names their findings carry; CDK-free for the report and the CLI."""

RULE_PACKS: tuple[str, ...] = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "Roadway")
# CDK's own CloudFormation checks (cfn-lint) run beside the packs; their findings are judged and reported too.
CFN_VALIDATE = "CloudFormation Validate"
PACKS: tuple[str, ...] = (*RULE_PACKS, CFN_VALIDATE)
