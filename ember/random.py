"""ember.random: torch.random's namespace (seeding, RNG state, fork_rng)."""
