"""Roadway's cross-account model promotion (boto3 only; see promotion.py for its guarantees)."""
