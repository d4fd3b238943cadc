"""The compliance gate (``gate``: the rule packs and acknowledgements, CDK's side), its one verdict per synth
(``verdict``) and the auditor's report (``report``). Only ``gate`` and the packs import the CDK: the verdict and
the report run after synth, and ``make deploy``'s check before every deploy, without starting jsii."""
