"""Recovery studies: run an estimator on many generated datasets and compare with the truth."""

from .recovery import RecoveryResult, recovery, run_replicate

__all__ = ["RecoveryResult", "recovery", "run_replicate"]
