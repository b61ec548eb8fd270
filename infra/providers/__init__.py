"""What the pinned providers really answer, read from their source at the version each
Pulumi package bridges: the outputs the program reads (``outputs``), each with the
provider code that fills it and the condition under which it does. The offline plan's
mocks answer from this table and nowhere else."""
