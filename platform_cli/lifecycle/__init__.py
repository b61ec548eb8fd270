"""An edit as a sequence: the steps `pulumi up` takes, in the engine's order, and the
checks every removal, move, resize and destroy must pass (``order``, ``checks``)."""
