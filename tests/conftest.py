"""Shared test setup: every test starts from the same seed in torch and ember, so no result depends on test
order or on which xdist worker ran what before it."""

import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _seed_both_libraries():
    torch.manual_seed(0)
    ember.manual_seed(0)
