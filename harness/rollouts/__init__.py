"""GRPO-style rollouts: masks of recorded tool rollouts (``masks``), token-in/token-out episodes (``episodes``), and
the scripted rollout shapes both are checked on (``shapes``)."""
