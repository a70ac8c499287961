"""Reliability campaigns (`make reliability`): hostile inputs, killed commands and concurrent users,
run against the product as its users run it, with a seed, each returning its figures."""
